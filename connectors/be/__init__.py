"""Belgian connectors: ``be.magda`` (Flemish MAGDA services GeefPersoon and GeefOnderneming).

Usage::

    from connectors.be.magda import MagdaConnector
"""
