"""Keys and certificates for admins: one service layer for ``xgw certs`` and the admin API.

Usage::

    from gateway.certs.authority import init_ca, issue_certificate, load_ca
    from gateway.certs.inventory import find_certificate, import_certificate, load_inventory
    from gateway.certs.requests import create_csr
    from gateway.certs.rotate import install_next, rotate

    inventory = load_inventory(Path("certs"), settings)
    [info.to_json() for info in inventory.certificates]

The modules return plain data (dataclasses with ``to_json()``) and raise
AdminError, NotFoundError, ConflictError or ConfigError; they never print, and no
result ever holds a private key. ``cli.py`` is the ``xgw certs`` front;
``staging.py`` names the staged next/previous files a rotation writes; ``files.py``
writes files whole or exclusively and holds a key pair's rotation lock.
"""
