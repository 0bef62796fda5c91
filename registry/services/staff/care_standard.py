"""The care-standard record: its dates as versions in transaction time, changed by an admin with an audit event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.engine.base import Engine

from registry import rules
from registry.messages import N_
from registry.services import values as checks
from registry.services.audit import Actor, AuditAction, AuditEntry, record_events
from registry.services.errors import FieldError, ValidationFailed
from registry.services.sql import Writer, writing
from registry.services.staff import queries
from registry.services.staff.decisions import recording_time


async def versions(reader: Writer) -> list[dict[str, Any]]:
    """Every version of the record, oldest first."""
    return await reader.fetch_all(queries.CARE_STANDARD)


def dates_of(rows: list[dict[str, Any]]) -> rules.CareStandard:
    """The stored versions as the rules read them."""
    return rules.CareStandard(tuple(rules.CareStandardDates(r["in_force_from"], r["strict_from"], r["recorded_at"]) for r in rows))


def read_change(raw: dict[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """The new dates and the reason, each checked; strict_from may not come before in_force_from."""
    errors: list[FieldError] = []
    fields = checks.FieldReader(raw, "care_standard", errors)
    fields.take("in_force_from", checks.iso_date, nullable=False)
    fields.take("strict_from", checks.iso_date, nullable=False)
    fields.take("reason", checks.text(4000, lines=True), nullable=False)
    for name in ("in_force_from", "strict_from", "reason"):
        if name not in raw or raw[name] in (None, ""):
            errors.append(FieldError.said(f"care_standard.{name}", N_("is required"), "required"))
    values = fields.values
    start, strict = values.get("in_force_from"), values.get("strict_from")
    if isinstance(start, dt.date) and isinstance(strict, dt.date) and strict < start:
        errors.append(FieldError.said("care_standard.strict_from", N_("strict enforcement cannot start before the standard is in force"),
                                      "period_ends_before_start"))
    return values, errors


async def change(engine: Engine, actor: Actor, raw: dict[str, Any], now: dt.datetime | None = None) -> None:
    """Record new dates as a new version, with its audit event in the same transaction; raises ValidationFailed."""
    values, errors = read_change(raw)
    if errors:
        raise ValidationFailed(errors)
    async with writing(engine) as writer:
        before = dates_of(await versions(writer)).as_known_at()
        moment = await recording_time(writer, now)
        row = {"in_force_from": values["in_force_from"], "strict_from": values["strict_from"], "reason": values["reason"],
               "recorded_at": moment, "recorded_by": actor.name}
        await writer.insert_many("care_standard", [row])
        audit = AuditEntry(AuditAction.CARE_STANDARD_CHANGE, "care_standard", "zorgstandaard",
                           {"in_force_from": before.in_force_from, "strict_from": before.strict_from},
                           {"in_force_from": row["in_force_from"], "strict_from": row["strict_from"], "reason": row["reason"]})
        await record_events(writer, actor, [audit], moment)
