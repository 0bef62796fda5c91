"""The public check: was programme P, delivered by coach C, accredited on a date or over a period?

It asks the same rules, from the same index, as POST /api/v1/verifications; the answer is shown,
not stored, and carries no receipt (billing systems use the API for proof).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency

from registry.api.context import ApiContext
from registry.messages import N_
from registry.public.page_support import FormErrors, render_page, too_many
from registry.services.values import CODE_PATTERN, EIGHT_DIGITS, accepted_day
from registry.services.verification import answer as verification
from registry.templating import Renderer

FIELDS = ("programme_code", "provider_agb_code", "guidance_type", "coach_registration_number", "coach_agb_code", "service_date", "service_end_date")
DUTCH_DATE = re.compile(r"([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})")
GUIDANCE_TYPES = ("short", "intensive")
OUT_OF_RANGE = N_("Enter a date between 01-01-1900 and 31-12-2199.")


def parse_day(text: str) -> dt.date | None:
    """A date typed as 2026-03-14 (what date fields send) or the Dutch way, 14-03-2026."""
    try:
        if match := DUTCH_DATE.fullmatch(text):
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year, month, day)
        return dt.date.fromisoformat(text) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) else None
    except ValueError:
        return None


def check_form(asked: dict[str, str]) -> tuple[dict[str, Any] | None, FormErrors]:
    """The claim for the rules, or every field's problem in words a visitor understands."""
    errors = FormErrors()
    programme, number, agb = asked["programme_code"].upper(), asked["coach_registration_number"].upper(), asked["coach_agb_code"]
    provider, guidance = asked["provider_agb_code"], asked["guidance_type"]
    if not programme and not provider:
        errors["programme_code"] = N_("Enter the programme's code, for example P-000045, or the provider's AGB code.")
    elif programme and provider:
        errors["programme_code"] = N_("Enter the programme's code or the provider's AGB code, not both.")
    elif programme and not CODE_PATTERN.fullmatch(programme):
        errors["programme_code"] = N_("A code has only letters, digits and hyphens, for example P-000045.")
    elif provider and not EIGHT_DIGITS.fullmatch(provider):
        errors["provider_agb_code"] = N_("An AGB code is exactly 8 digits.")
    if guidance and guidance not in GUIDANCE_TYPES:
        errors["guidance_type"] = N_("Choose short or intensive guidance, or leave it empty.")
    elif guidance and programme and "programme_code" not in errors:
        errors["guidance_type"] = N_("The guidance type narrows a provider's programmes; a programme code needs none.")
    if not number and not agb:
        errors["coach_registration_number"] = N_("Enter the coach's registration number or AGB code.")
    elif number and agb:
        errors["coach_registration_number"] = N_("Enter the registration number or the AGB code, not both.")
    elif number and not CODE_PATTERN.fullmatch(number):
        errors["coach_registration_number"] = N_("A registration number has only letters, digits and hyphens, for example C-000123.")
    elif agb and not EIGHT_DIGITS.fullmatch(agb):
        errors["coach_agb_code"] = N_("An AGB code is exactly 8 digits.")
    first = last = None
    if not asked["service_date"]:
        errors["service_date"] = N_("Enter the date of the care, for example 14-03-2026.")
    elif (first := parse_day(asked["service_date"])) is None:
        errors["service_date"] = N_("Enter a real date, for example 14-03-2026.")
    elif not accepted_day(first):
        errors["service_date"], first = OUT_OF_RANGE, None
    if asked["service_end_date"] and (last := parse_day(asked["service_end_date"])) is None:
        errors["service_end_date"] = N_("Enter a real date, for example 01-05-2026, or leave it empty.")
    elif last and not accepted_day(last):
        errors["service_end_date"], last = OUT_OF_RANGE, None
    if first and last:
        if last < first:
            errors["service_end_date"] = N_("The last date must not be before the first.")
        elif (last - first).days + 1 > verification.MAX_PERIOD_DAYS:
            errors["service_end_date"] = N_("A period may span at most 366 days.")
    if errors or first is None:  # a missing first date has already added an error
        return None, errors
    claim: dict[str, Any] = {"service_date": first.isoformat()}
    claim |= {"programme_code": programme} if programme else {"provider_agb_code": provider}
    if guidance:
        claim["guidance_type"] = guidance
    claim |= {"coach_registration_number": number} if number else {"coach_agb_code": agb}
    if last:
        claim["service_end_date"] = last.isoformat()
    return claim, errors


@get("/controleren", include_in_schema=False)
async def check(request: Request, api: NamedDependency[ApiContext], pages: NamedDependency[Renderer]) -> Response[str]:
    """The check form, and with it filled in, the verdict with every reason."""
    if refused := too_many(request, api, pages):
        return refused
    asked = {name: (request.query_params.get(name) or "").strip()[:64] for name in FIELDS}
    errors, result = FormErrors(), None
    if any(name in request.query_params for name in FIELDS):  # the form was sent, even if empty
        claim, errors = check_form(asked)
        if claim is not None:
            now = dt.datetime.now(dt.timezone.utc)
            result = verification.answer(verification.parse_claim(claim, now), await api.index.current(), now, "")
    return render_page(request, pages, "public/check.html", 400 if errors else 200, section="check",
                       asked=asked, errors=errors, result=result)


ROUTES = [check]
