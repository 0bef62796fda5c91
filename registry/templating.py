"""Jinja2 for the registry's pages: autoescaped, translated through registry.i18n, Dutch dates."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo

import msgspec
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape

from registry import rules
from registry.i18n import current_language, gettext_now, ngettext_now, speaking
from registry.messages import N_
from registry.public import labels

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _as_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def day(value: Any) -> str:
    """A calendar date in words, in the page's language ("14 maart 2026")."""
    parsed = _as_date(value)
    return _day_in(parsed, current_language()) if parsed else ""


@functools.lru_cache(maxsize=65536)
def _day_in(value: dt.date, language: str) -> str:
    # Babel's formatting costs ~40 µs a date; a result list shows dozens, mostly the same few.
    return format_date(value, "d MMMM y", locale=language)


def moment(value: Any) -> str:
    """A moment as a date and time in the Netherlands ("14 maart 2026 09:12")."""
    if not value:
        return ""
    parsed = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return format_datetime(parsed, "d MMMM y HH:mm", tzinfo=AMSTERDAM, locale=current_language())


def month(value: dt.date) -> str:
    """A month and year in words ("maart 2026")."""
    return format_date(value, "MMMM y", locale=current_language())


def month_short(value: dt.date) -> str:
    """A month's short name ("mrt.")."""
    return format_date(value, "MMM", locale=current_language())


def number(value: int) -> str:
    """A count with the language's digit grouping (12.345 in Dutch)."""
    return format_decimal(value, locale=current_language())


@pass_context
def person(context: Any, value: Any) -> str:
    """Who did something, as people say it: a staff member's name (from the page's `people`, username -> name), else the username."""
    text = str(value or "")
    if text.startswith("user:"):
        username = text[len("user:"):]
        return context.get("people", {}).get(username) or username
    if text.startswith("cli:"):
        return gettext_now(N_("the command line (%(command)s)")) % {"command": text[len("cli:"):]}
    return text


def decision_span(decision: Any) -> dict[str, Any]:
    """A decision's start, end and target whatever its shape: a staff row (generic columns) or a published Struct (its kind's own fields)."""
    if isinstance(decision, Mapping):
        return {"start": decision.get("starts_on"), "end": decision.get("ends_on"), "target": decision.get("target_reference")}
    fields = rules.DECISION_FIELDS[rules.DecisionKind(decision.kind)]
    attributes = {field.encode_name: field.name for field in msgspec.structs.fields(decision)}
    return {role: getattr(decision, attributes[name]) if name else None
            for role, name in (("start", fields.start), ("end", fields.end), ("target", fields.target))}


def build_environment(directory: Path = TEMPLATES, reload: bool = False) -> Environment:
    """The template environment; gettext follows the language of the render in progress."""
    environment = Environment(
        auto_reload=reload,  # checking every template file on every render costs a stat() each
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_callables(gettext_now, ngettext_now, newstyle=True)  # type: ignore[attr-defined]
    environment.filters.update(day=day, moment=moment, number=number, month=month, month_short=month_short, person=person)
    environment.globals.update(
        STATUS_WORDS=labels.STATUS_WORDS,
        STATUS_SYMBOLS=labels.STATUS_SYMBOLS,
        STATUS_ORDER=labels.STATUS_ORDER,
        STATUS_SENTENCES=labels.STATUS_SENTENCES,
        VOID_DECISION=labels.VOID_DECISION,
        VOID_BY=labels.VOID_BY,
        LIFTED=labels.LIFTED,
        GUIDANCE_TYPES=labels.GUIDANCE_TYPES,
        FORMATS=labels.FORMATS,
        MODES=labels.MODES,
        DECISION_KINDS=labels.DECISION_KINDS,
        COACH_DECISION_KINDS=labels.COACH_DECISION_KINDS,
        DECISION_NOUNS=labels.DECISION_NOUNS,
        DECISION_NAMED=labels.DECISION_NAMED,
        REASONS=labels.REASONS,
        ROLE_NAMES=labels.ROLE_NAMES,
        DECISION_FIELDS=rules.DECISION_FIELDS,
        DECISION_WORDING=labels.DECISION_WORDING,
        decision_span=decision_span,
        status_options=lambda kind: [(key, labels.STATUS_WORDS[kind][key]) for key in labels.STATUS_ORDER],
    )
    return environment


@functools.cache
def shared_environment() -> Environment:
    """One environment per process when templates do not change: each template is compiled once, not once per app."""
    return build_environment(reload=False)


class Renderer:
    """Renders a template in one language."""

    def __init__(self, environment: Environment | None = None, reload: bool = False):
        self.environment = environment or (build_environment(reload=True) if reload else shared_environment())

    def render(self, template: str, language: str, **context: Any) -> str:
        """The page as HTML text."""
        with speaking(language) as spoken:
            return self.environment.get_template(template).render(lang=spoken, **context)
