"""xgw's own data files (JSON Schemas, code tables), installed as the package ``xgw_schemas``.

The folder is ``schemas/`` at the top of the repository (the design card's layout);
``pyproject.toml`` installs it under the import name ``xgw_schemas``; code reads it
through :mod:`gateway.shipped`.
"""
