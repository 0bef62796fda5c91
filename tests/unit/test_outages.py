"""Which errors mean "the database is away for now" (503) and which are faults of our own (500)."""

from __future__ import annotations

import logging
import sqlite3

import asyncpg
import pytest

from registry.outages import RetryLog, database_unavailable


def raised_from(error: BaseException, cause: BaseException) -> BaseException:
    """`error` as if raised while handling `cause` (how drivers and ORMs wrap errors)."""
    try:
        try:
            raise cause
        except BaseException:
            raise error  # noqa: B904 - the implicit context is the point
    except BaseException as raised:
        return raised


@pytest.mark.parametrize("error", [
    ConnectionRefusedError(111, "Connection refused"),
    asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.CannotConnectNowError("the database system is starting up"),
    asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.TooManyConnectionsError("sorry, too many clients already"),
    asyncpg.InterfaceError("connection is closed"),
    asyncpg.exceptions.InternalClientError("cannot switch to state 15; another operation (2) is in progress"),
    TimeoutError(),
    sqlite3.OperationalError("database is locked"),
    raised_from(RuntimeError("query failed"), ConnectionResetError(104, "Connection reset by peer")),
])
def test_an_unreachable_or_locked_database_is_an_outage(error: BaseException) -> None:
    assert database_unavailable(error)


@pytest.mark.parametrize("error", [
    ValueError("bad date"),
    KeyError("code"),
    sqlite3.OperationalError("no such table: decision"),
    sqlite3.IntegrityError("UNIQUE constraint failed: decision.reference"),
    asyncpg.UndefinedTableError('relation "decision" does not exist'),
    asyncpg.UniqueViolationError("duplicate key value"),
    asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
    raised_from(ValueError("bad"), KeyError("x")),
])
def test_a_fault_of_our_own_is_not_an_outage(error: BaseException) -> None:
    assert not database_unavailable(error)


def test_a_background_loop_logs_an_outage_once_and_its_end_once(caplog: pytest.LogCaptureFixture) -> None:
    retries = RetryLog(logging.getLogger("registry.test"), "index catch-up")
    with caplog.at_level(logging.WARNING, logger="registry.test"):
        for _ in range(20):
            retries.failed(ConnectionRefusedError(111, "Connection refused"))
        retries.succeeded()
        retries.succeeded()
        retries.failed(ValueError("a bug"))
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 3, messages
    assert messages[0].startswith("index catch-up: the database cannot be reached")
    assert messages[1].startswith("index catch-up: the database is reachable again after")
    assert messages[2] == "index catch-up failed; will retry" and caplog.records[2].exc_info is not None
