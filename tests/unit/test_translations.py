"""Every message on the pages has a Dutch translation, and every template compiles."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from registry.i18n import catalog_path, translations
from registry.templating import TEMPLATES, build_environment

ROOT = Path(__file__).resolve().parents[2]
METHODS = [("registry/**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def used_messages() -> dict[str, str | None]:
    """Message id -> plural id, for every message the code and templates ask for."""
    found = {}
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        ROOT, METHODS, OPTIONS, KEYWORDS, comment_tags=(), strip_comment_tags=True
    ):
        if isinstance(message, tuple):
            found[message[0]] = message[1]
        else:
            found[message] = None
    return found


def dutch_catalog():
    with catalog_path("nl").open("rb") as source:
        return read_po(source, locale="nl")


def test_every_message_has_a_dutch_translation_with_the_same_placeholders() -> None:
    used, catalog = used_messages(), dutch_catalog()
    assert len(used) > 150
    problems = []
    for message_id, plural in used.items():
        entry = catalog.get((message_id, plural) if plural else message_id) or catalog.get(message_id)
        if entry is None or entry.fuzzy:
            problems.append(f"untranslated: {message_id!r}")
            continue
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(forms):
            problems.append(f"empty: {message_id!r}")
        for form in forms:
            if set(PLACEHOLDER.findall(form)) != set(PLACEHOLDER.findall(message_id)):
                problems.append(f"placeholders differ: {message_id!r} -> {form!r}")
    assert not problems, "\n".join(problems) + "\nRun `make messages` and translate."


def test_the_catalog_holds_no_message_that_is_no_longer_used() -> None:
    used = set(used_messages())
    stale = [message.id for message in dutch_catalog() if message.id and (message.id[0] if isinstance(message.id, tuple) else message.id) not in used]
    assert not stale


def test_dutch_is_served_from_the_catalog() -> None:
    assert translations("nl").gettext("Check a claim") == "Declaratie controleren"
    assert translations("en").gettext("Check a claim") == "Check a claim"


def test_every_template_compiles() -> None:
    environment = build_environment()
    names = [path.relative_to(TEMPLATES).as_posix() for path in TEMPLATES.rglob("*.html")]
    assert len(names) >= 12
    for name in names:
        environment.get_template(name)
