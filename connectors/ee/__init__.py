"""Connectors for Estonian registers, reached over X-Road.

Usage::

    from connectors.ee.ariregister import AriregisterConnector
    from connectors.ee.rahvastikuregister import RahvastikuregisterConnector

- ``ee.ariregister``: the Business Register's ``detailandmed_v2`` SOAP service
  <-> LegalEntityQuery / LegalEntity (docs/connectors/ee-ariregister.md);
- ``ee.rahvastikuregister``: the Population Register's REST ``isikud`` service
  <-> PersonQuery / Person (docs/connectors/ee-rahvastikuregister.md).
"""
