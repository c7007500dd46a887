"""``ee.ariregister``: the Estonian Business Register's ``detailandmed_v2`` X-Road SOAP service.

Usage::

    from connectors.ee.ariregister import AriregisterConnector

    connector = AriregisterConnector(ConnectorOptions())
    envelope = await connector.decode(soap_bytes, "text/xml")   # LegalEntityQuery / LegalEntity

The codec is :mod:`.connector` with :mod:`.tree` (XML, SOAP, one-pass reading
and writing); the element shapes (the native model) are :mod:`.native`; the pure
mappings are :mod:`.mapping` (answers, with :mod:`.addresses`, :mod:`.persons`
and the shared :mod:`.fields`) and :mod:`.query` (requests); :mod:`.schema`
chooses and compiles the XSD. See docs/connectors/ee-ariregister.md.
"""

from __future__ import annotations

from connectors.ee.ariregister.connector import MEDIA_TYPE, AriregisterConnector

__all__ = ["MEDIA_TYPE", "AriregisterConnector"]
