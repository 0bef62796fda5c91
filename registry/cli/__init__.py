"""The `registry` command: migrate, serve, demo, import, verify, users, API clients, keys, backups, audit."""

from registry.cli import access, data, operations  # noqa: F401 - each module adds its commands to the group
from registry.cli.base import main, report_errors, run

__all__ = ["main", "report_errors", "run"]
