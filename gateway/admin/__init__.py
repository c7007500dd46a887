"""The admin API (``/admin/v1/``) on its own listener, and admin tokens (docs/admin-api.md)."""
