"""Telling a database that cannot be reached (or is locked too long) from a fault of our own."""

from __future__ import annotations

import logging
import socket
import sqlite3
import time

import asyncpg

# SQLite errors that say "not now" rather than "wrong": another process held the write lock past the
# busy timeout, or the file cannot be opened or written at the moment.
_SQLITE_TRANSIENT = ("database is locked", "database table is locked", "unable to open database file", "disk i/o error")
# Retry-After for answers given while the database is away: long enough not to hammer it, short
# enough that a billing system's retry lands soon after a restart or failover.
RETRY_AFTER_SECONDS = 5


def _transient(error: BaseException) -> bool:
    if isinstance(error, asyncpg.PostgresConnectionError | asyncpg.TooManyConnectionsError):
        return True
    # 57P01 admin shutdown, 57P02 crash shutdown, 57P03 starting up: a restart or failover in progress.
    if isinstance(error, asyncpg.AdminShutdownError | asyncpg.CrashShutdownError | asyncpg.CannotConnectNowError):
        return True
    if isinstance(error, asyncpg.InterfaceError) and "connection" in str(error).lower():  # "connection is closed"
        return True
    # A pooled connection the server dropped mid-operation: "cannot switch to state 15; another operation is in progress".
    if isinstance(error, asyncpg.exceptions.InternalClientError) and "another operation" in str(error):
        return True
    if isinstance(error, ConnectionError | TimeoutError | socket.gaierror):  # refused, reset, timed out, host unknown
        return True
    return isinstance(error, sqlite3.OperationalError) and str(error).lower().startswith(_SQLITE_TRANSIENT)


def database_unavailable(error: BaseException) -> bool:
    """True when the error (or one it was raised from) means the database is unreachable or busy for now."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if _transient(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


class RetryLog:
    """Logs a background task's failures once per outage, with the full trace only for real faults."""

    def __init__(self, logger: logging.Logger, what: str):
        self.logger = logger
        self.what = what
        self.failing_since: float | None = None

    def failed(self, error: BaseException) -> None:
        """Record one failed attempt: an unreachable database is logged when the outage starts; anything else every time."""
        if not database_unavailable(error):
            self.logger.exception("%s failed; will retry", self.what, exc_info=error)
            return
        if self.failing_since is None:
            self.failing_since = time.monotonic()
            self.logger.warning("%s: the database cannot be reached (%s); retrying until it can", self.what, error)

    def succeeded(self) -> None:
        """Record a successful attempt, saying so when it ends an outage."""
        if self.failing_since is not None:
            self.logger.warning("%s: the database is reachable again after %.1f s", self.what, time.monotonic() - self.failing_since)
            self.failing_since = None
