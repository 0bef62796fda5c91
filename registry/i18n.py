"""Languages of the registry's pages: Dutch by default, English available, through gettext catalogs (Babel).

Message ids are English; `registry/translations/nl/LC_MESSAGES/messages.po` holds the Dutch. The
catalog is compiled in memory when first used, so a changed .po file needs no build step.
"""

from __future__ import annotations

import contextvars
import functools
import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = {"nl": "Nederlands", "en": "English"}
DEFAULT_LANGUAGE = "nl"
LANGUAGE_COOKIE = "taal"
CATALOGS = Path(__file__).parent / "translations"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("language", default=DEFAULT_LANGUAGE)


def catalog_path(language: str) -> Path:
    """Where a language's catalog lives."""
    return CATALOGS / language / "LC_MESSAGES" / "messages.po"


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of a language (English is the message ids themselves)."""
    path = catalog_path(language)
    if language == "en" or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)  # a fuzzy guess is never shown to the public
    compiled.seek(0)
    return Translations(compiled)


def current_language() -> str:
    """The language of the page being rendered."""
    return _current.get()


@functools.cache
def _gettext_of(language: str):
    return translations(language).gettext


def gettext_now(message: str) -> str:
    """A message in the current language."""
    return _gettext_of(_current.get())(message)


def ngettext_now(singular: str, plural: str, count: int) -> str:
    """A counted message in the current language."""
    return translations(_current.get()).ngettext(singular, plural, count)


class speaking:
    """Within the block, messages are translated into this language."""

    def __init__(self, language: str):
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE

    def __enter__(self) -> str:
        self._token = _current.set(self.language)
        return self.language

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._token)


def _accepted(header: str) -> list[str]:
    """Primary language tags of an Accept-Language header, most wanted first."""
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag.split("-")[0].lower()))
    return [tag for _, _, tag in sorted(weighted)]


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    """The visitor's choice (cookie) first, then the browser's languages, then Dutch."""
    if cookie in LANGUAGES:
        return cookie
    for tag in _accepted(accept_language or ""):
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE
