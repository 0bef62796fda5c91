"""The register's data: import a document, load demo data, verify a claim, write the open-data files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from registry.cli.base import main, report_errors, run
from registry.services.audit import Actor
from registry.services.errors import ValidationFailed
from registry.settings import DEFAULT_PUBLIC_URL, Settings


@main.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and report, write nothing.")
@click.option("--section", default=None, help="For a CSV file: the section it holds (organisations, trainings, programmes, coaches, "
                                               "qualifications or decisions).")
def import_command(file: Path, dry_run: bool, section: str | None) -> None:
    """Import a JSON document, an XLSX workbook or a CSV file all-or-nothing (see docs/import.md)."""
    from registry.services.imports import spreadsheet

    content = file.read_bytes()
    sheet = None
    if file.suffix.lower() == ".xlsx" or spreadsheet.is_xlsx(content):
        sheet = spreadsheet.read_xlsx(content)
    elif file.suffix.lower() == ".csv" or section is not None:
        if section is None:
            raise click.UsageError("a CSV file holds one section: name it with --section")
        sheet = spreadsheet.read_csv(content, section)
    if sheet is not None:
        content = sheet.content()
        if sheet.errors:
            # The layout's problems (a sheet not named after a section) with every problem of the rest, in one round.
            from registry.services.imports.plan import import_document

            layout_actor = Actor(name=f"import:{file.name}", role=Actor.operator("import").role, source="cli")
            more: list[Any] = []
            try:
                run(lambda engine: import_document(engine, content, layout_actor, apply=False))
            except ValidationFailed as failure:
                more = failure.errors
            errors = [*sheet.errors, *more]
            click.echo(f"{file.name} refused, nothing was written ({len(errors)} problems):", err=True)
            _report_placed(errors, sheet)
            raise SystemExit(1)
    actor = Actor(name=f"import:{file.name}", role=Actor.operator("import").role, source="cli")
    report = _import_with_progress(content, actor, apply=not dry_run, label=file.name, sheet=sheet)
    click.echo(json.dumps(report, indent=2))


def _report_placed(errors: list[Any], sheet: Any) -> None:
    """Every problem on stderr, with its sheet, row and column."""
    for error in errors:
        place = sheet.place_of(error.field)
        where = error.field if place is None else sheet.describe(place)
        click.echo(f"  {where}: {error.message}", err=True)


def _import_with_progress(
    content: bytes, actor: Actor, apply: bool, label: str, sheet: Any = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    from rich.progress import Progress

    from registry.services.imports.plan import import_document

    with Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task(f"importing {label}", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"{stage} {label}", completed=done, total=total)

        try:
            report = run(lambda engine: import_document(engine, content, actor, apply=apply, progress=progress, now=now))
        except ValidationFailed as failure:
            bar.stop()
            click.echo(f"{label} refused, nothing was written ({len(failure.errors)} problems):", err=True)
            if sheet is not None:
                _report_placed(failure.errors, sheet)
            else:
                report_errors(failure)
            raise SystemExit(1) from None
    return report.as_dict()


@main.command()
@click.option("--coaches", default=400, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--seed", default=2026, show_default=True, type=int)
def demo(coaches: int, seed: int) -> None:
    """Load deterministic demo data (safe to run again)."""
    from registry.demo import RECORDED_AT, build_demo_document

    started = time.perf_counter()
    document = json.dumps(build_demo_document(coaches=coaches, seed=seed)).encode()
    report = _import_with_progress(document, Actor("demo", Actor.operator("demo").role, "cli"), apply=True, label="demo data",
                                   now=RECORDED_AT)
    report["seconds"] = round(time.perf_counter() - started, 2)
    click.echo(json.dumps(report, indent=2))


@main.command()
@click.option("--programme", "programme_code", help="Programme code, e.g. P-000045 (or --provider-agb).")
@click.option("--provider-agb", "provider_agb_code", help="The provider's AGB code from a declaration line (8 digits), instead of --programme.")
@click.option("--guidance-type", "guidance_type", type=click.Choice(["short", "intensive"]), help="With --provider-agb: only programmes of this guidance type.")
@click.option("--coach", "coach_registration_number", help="Coach registration number.")
@click.option("--coach-agb", "coach_agb_code", help="Coach AGB code (8 digits).")
@click.option("--date", "service_date", required=True, help="Service date YYYY-MM-DD.")
@click.option("--end-date", "service_end_date", help="Last day of a period YYYY-MM-DD.")
@click.option("--as-known-at", "as_known_at", help="RFC 3339 time: answer as the registry knew it then.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict object.")
def verify(as_json: bool, **fields: str | None) -> None:
    """Verify a claim: was programme P (or a programme of the provider with this AGB code), delivered by coach C, accredited on a date or period?"""
    from registry.services.verification.answer import parse_claim
    from registry.services.verification.answer import verify as verify_claim

    raw = {name: value for name, value in fields.items() if value is not None}
    try:
        claim = parse_claim(raw)
    except ValidationFailed as failure:
        click.echo("invalid claim:", err=True)
        report_errors(failure)
        raise SystemExit(2) from None
    document = run(lambda engine: verify_claim(engine, claim))
    if as_json:
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    verdict = "ACCREDITED" if document["accredited"] else "REJECTED"
    coach = raw.get('coach_registration_number') or raw.get('coach_agb_code')
    if claim.programme_code:
        click.echo(f"{verdict}: programme {claim.programme_code}, coach {coach}")
    else:
        matched = (document.get("programme") or {}).get("code", "none")
        click.echo(f"{verdict}: provider AGB {raw['provider_agb_code']} (programme {matched}), coach {coach}")
    for reason in document["reasons"]:
        click.echo(f"  {reason['code']} on {reason['on']}")
    for candidate in document.get("candidates", ()):
        fits = "fits" if candidate["fits"] else "does not fit: " + ", ".join(reason["code"] for reason in candidate["reasons"])
        click.echo(f"  candidate {candidate['code']} ({candidate['guidance_type']}, {candidate['format']}) {fits}")



@main.command(name="open-data")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def open_data(directory: Path) -> None:
    """Write the open-data files (registry.json and a CSV per subject kind, the signed audit anchor in each) into DIRECTORY."""
    from registry.services.public.open_data import export
    from registry.services.verification.signing import KeyRing

    settings = Settings.from_env()
    ring = KeyRing.load_or_create(settings.key_file, settings.retired_key_days)
    started = time.perf_counter()
    manifest = run(lambda engine: export(engine, directory, anchor_signer=(settings.public_url or DEFAULT_PUBLIC_URL, ring.sign_compact)))
    click.echo(json.dumps({**dataclasses.asdict(manifest), "seconds": round(time.perf_counter() - started, 2)}, indent=2))

