"""Connectors: codecs between one native format and xgw's canonical documents.

Usage::

    from connectors.registry import default_registry
    connector = default_registry().get("opaque")
    envelope = await connector.decode(body, "application/json")
"""
