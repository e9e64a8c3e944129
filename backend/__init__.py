"""Lưu Động backend: HTTP API, clerk web UI, tables, migrations and domain services."""

__version__ = "0.1.0"
