"""What every public page shares: the visitor's language, the rate limit, rendering and paging links."""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response

from registry.api import limits
from registry.api.context import ApiContext
from registry.i18n import LANGUAGE_COOKIE, LANGUAGES, choose_language, translations
from registry.messages import N_
from registry.services.public import read as public_read
from registry.services.rate_limits import Decision
from registry.templating import Renderer

PAGE_SIZE = 20
MAX_TEXT = 200
HTML = "text/html"  # Litestar adds "; charset=utf-8" to text/* itself
# Pages depend on the language cookie and the browser's languages; shared caches must keep them apart.
PAGE_HEADERS = {"Vary": "Cookie, Accept-Language", "Cache-Control": "no-cache"}


def language_of(request: Request) -> str:
    """The language to answer this visitor in."""
    return choose_language(request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language"))


def here(request: Request) -> str:
    """This page's path and query, to come back to after switching language."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def render_html(request: Request, pages: Renderer, template: str, language: str, **context: Any) -> str:
    """A page's HTML in a language, with what the layout needs."""
    return pages.render(
        template, language, here=here(request), languages=LANGUAGES, today=public_read.today(), path=request.url.path, **context
    )


def page_response(html: str, language: str, status: int = 200) -> Response[str]:
    """Rendered HTML as a page response, with the headers every page has."""
    return Response(html, status_code=status, media_type=HTML, headers={**PAGE_HEADERS, "Content-Language": language})


def render_page(request: Request, pages: Renderer, template: str, status: int = 200, **context: Any) -> Response[str]:
    """A page in the visitor's language, with what the layout needs."""
    language = language_of(request)
    return page_response(render_html(request, pages, template, language, **context), language, status)


def with_query(request: Request, **changes: str) -> str:
    """This page's path with its query, some fields changed and the page number left out."""
    kept = [(key, value) for key, value in request.query_params.multi_items() if key not in changes and key != "page" and value != ""]
    return f"{request.url.path}?{urlencode([*kept, *changes.items()])}"


def local_path(target: str | None, within: str = "/") -> str:
    """The target if it is a path on this site under `within`, else `within` (no open redirect)."""
    if not target or not target.startswith(within) or target.startswith("//") or "\\" in target:
        return within
    return target


def public_bucket(address: str) -> str:
    """The rate limiter's bucket of an address's public requests (pages and the JSON API share it)."""
    return f"public:{address}"


def public_allowance(request: Request, api: ApiContext) -> Decision:
    """One request from this address against the public limit, shared by the pages and the JSON API."""
    address = request.client.host if request.client else "unknown"
    allowance = api.limiter.take(public_bucket(address), 1, api.settings.public_rate_limit_per_minute)
    limits.note(request.scope, "public", allowance)
    return allowance


TOO_MANY_PAGES = N_("You asked for many pages in a short time. Please wait a minute and try again.")


@functools.cache
def refusal_html(language: str, explanation: str, heading: str = N_("Too many requests")) -> bytes:
    """A small complete page saying why: made once per language and message, no template, no database."""
    gettext = translations(language).gettext
    heading, text = html.escape(gettext(heading)), html.escape(gettext(explanation))
    return (f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{heading}</title></head><body><main><h1>{heading}</h1><p>{text}</p></main></body></html>").encode()


def plain_refusal(request: Request, retry_after: int, explanation: str = TOO_MANY_PAGES) -> Response[bytes]:
    """429 for an address over its limit, as cheap as an answer can be: a flood of refused requests costs no rendering."""
    language = language_of(request)
    return Response(refusal_html(language, explanation), status_code=429, media_type=HTML,
                    headers={**PAGE_HEADERS, "Content-Language": language, "Retry-After": str(retry_after)})


def too_many(request: Request, api: ApiContext, pages: Renderer) -> Response[Any] | None:
    """The refusal when this address asked too often, else None."""
    allowance = public_allowance(request, api)
    if allowance.allowed:
        return None
    return plain_refusal(request, allowance.retry_after)


def not_found(request: Request, pages: Renderer, what: str) -> Response[str]:
    """The page for a code the register does not hold."""
    return render_page(request, pages, "errors/error.html", 404, heading=N_("Not found"), explanation=what)


@dataclass(frozen=True)
class Paging:
    """Where a result list is: page number, pages in all, and the links to go back and forth."""

    number: int
    last: int
    total: int
    previous: str | None
    next: str | None
    first_shown: int
    last_shown: int


def paging(request: Request, number: int, total: int, size: int = PAGE_SIZE) -> Paging:
    """Links to the neighbouring pages of a search, keeping every filter."""
    last = max(1, -(-total // size))
    number = min(number, last)
    kept = [(key, value) for key, value in request.query_params.multi_items() if key != "page" and value != ""]

    def link(page: int) -> str:
        return f"{request.url.path}?{urlencode([*kept, ('page', page)])}"

    return Paging(
        number=number,
        last=last,
        total=total,
        previous=link(number - 1) if number > 1 else None,
        next=link(number + 1) if number < last else None,
        first_shown=min(total, (number - 1) * size + 1),
        last_shown=min(total, number * size),
    )


class FormErrors(dict[str, str]):
    """Field name -> message id, translated when the page is rendered."""


def text_field(request: Request, name: str, errors: FormErrors, limit: int = MAX_TEXT) -> str:
    """A free-text query field, trimmed; too long is an error."""
    value = (request.query_params.get(name) or "").strip()
    if len(value) > limit:
        errors[name] = N_("Use at most 200 characters.")
        return ""
    return value


def choice_field(request: Request, name: str, allowed: Any, errors: FormErrors) -> str | None:
    """A value from a fixed list, or None when not chosen; anything else is an error."""
    value = request.query_params.get(name) or None
    if value is not None and value not in allowed:
        errors[name] = N_("Choose one of the options.")
        return None
    return value


def page_number(request: Request) -> int:
    """The page asked for; anything that is not a sensible page number means the first."""
    raw = request.query_params.get("page") or "1"
    # isdecimal() alone would let through other scripts' digits and isdigit() superscripts, which int() refuses.
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) <= 100_000 else 1
