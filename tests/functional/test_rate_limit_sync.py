"""Sharing rate-limit counts writes only the buckets that counted something: thousands of idle addresses cost nothing.

A trigger logs every row the sharing writes, so the test sees the database's side, on both engines.
"""

from __future__ import annotations

from typing import Any

from registry import db
from registry.services.rate_limits import RateLimiter
from registry.services.sql import reading, writing
from tests.functional.helpers import fresh_rate_window

SQLITE_LOG = [
    "CREATE TABLE counter_writes (bucket TEXT)",
    "CREATE TRIGGER counter_inserted AFTER INSERT ON rate_limit_counter BEGIN INSERT INTO counter_writes VALUES (new.bucket); END",
    "CREATE TRIGGER counter_updated AFTER UPDATE ON rate_limit_counter BEGIN INSERT INTO counter_writes VALUES (new.bucket); END",
]
POSTGRES_LOG = [
    "CREATE TABLE counter_writes (bucket TEXT)",
    "CREATE FUNCTION log_counter_write() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN INSERT INTO counter_writes VALUES (NEW.bucket); RETURN NEW; END $$",
    "CREATE TRIGGER counter_written AFTER INSERT OR UPDATE ON rate_limit_counter FOR EACH ROW EXECUTE FUNCTION log_counter_write()",
]


async def written(engine: Any) -> list[str]:
    """Buckets written since the log was last read, in order; the log is emptied."""
    async with writing(engine, serialise=False) as writer:
        rows = await writer.fetch_all("SELECT bucket FROM counter_writes")
        await writer.execute("DELETE FROM counter_writes")
    return sorted(row["bucket"] for row in rows)


async def test_only_buckets_that_counted_something_are_written(engine: Any) -> None:
    async with writing(engine, serialise=False) as writer:
        for statement in SQLITE_LOG if db.is_sqlite(engine) else POSTGRES_LOG:
            await writer.execute(statement)
    await fresh_rate_window()
    limiter = RateLimiter(engine)
    addresses = [f"public:192.0.2.{number}" for number in range(200)]
    for address in addresses:
        assert limiter.take(address, 1, 1200).allowed
    await limiter.sync()
    assert await written(engine) == sorted(addresses)

    # Nothing new: a sync writes nothing at all.
    await limiter.sync()
    assert await written(engine) == []

    # One address comes back: only its bucket is written, and it reads back what every instance used.
    limiter.take("public:192.0.2.7", 2, 1200)
    await limiter.sync()
    assert await written(engine) == ["public:192.0.2.7"]
    async with reading(engine) as reader:
        row = await reader.fetch_row("SELECT used FROM rate_limit_counter WHERE bucket = ?", "public:192.0.2.7")
    assert row["used"] == 3
    assert limiter.take("public:192.0.2.7", 1, 1200).remaining == 1200 - 4


async def test_an_idle_bucket_near_its_limit_is_read_not_written(engine: Any) -> None:
    async with writing(engine, serialise=False) as writer:
        for statement in SQLITE_LOG if db.is_sqlite(engine) else POSTGRES_LOG:
            await writer.execute(statement)
    await fresh_rate_window()
    here, there = RateLimiter(engine), RateLimiter(engine)
    for _ in range(3):
        assert here.take("client:a", 1, 4).allowed
    await here.sync()
    assert there.take("client:a", 1, 4).allowed
    await there.sync()
    assert await written(engine) == ["client:a", "client:a"]
    # `here` is idle on the bucket but past half its limit: its sync reads what `there` spent and writes nothing.
    await here.sync()
    assert await written(engine) == []
    assert not here.take("client:a", 1, 4).allowed
