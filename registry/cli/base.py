"""The `registry` command group and what its commands share: one database task per run, problems on stderr."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, TypeVar

import click

from registry import db
from registry.services.errors import ValidationFailed
from registry.settings import Settings

T = TypeVar("T")


def run(work: Callable[[Any], Awaitable[T]], settings: Settings | None = None, migrate: bool = True) -> T:
    """Run one database task with the engine the settings choose."""
    settings = settings or Settings.from_env()
    engine = db.bind(db.build_engine(settings))

    async def main() -> T:
        await db.start(engine, pool_size=2)
        try:
            if migrate:
                await db.migrate(engine)
            return await work(engine)
        finally:
            await db.stop(engine)

    return asyncio.run(main())


def run_or_refuse(work: Callable[[Any], Awaitable[T]]) -> T:
    """run(work); if the service refuses, its problems go to stderr and the command exits with 1."""
    try:
        return run(work)
    except ValidationFailed as failure:
        report_errors(failure)
        raise SystemExit(1) from None


def report_errors(failure: ValidationFailed) -> None:
    """Every problem on stderr, one per line, with its JSON path."""
    for error in failure.errors:
        click.echo(f"  {error.field}: {error.message}", err=True)


@click.group()
def main() -> None:
    """SMR Accreditation Registry: who and what is accredited, when, and by which decision."""
