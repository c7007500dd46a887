"""xgw: a federated data-exchange gateway for cross-border public administration."""

__version__ = "0.1.0"
