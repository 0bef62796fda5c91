"""/api: the API guide (docs/api.md) as a page, rendered on the server, its headings in the visitor's language."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from litestar import Request, Response, get
from litestar.di import NamedDependency
from markdown_it import MarkdownIt
from markupsafe import Markup

from registry.api.context import ApiContext
from registry.i18n import translations
from registry.messages import N_
from registry.public.page_support import language_of, render_page, too_many
from registry.templating import Renderer

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "api.md"
# The guide's section headings, marked for translation: the page shows them in the visitor's language (the text
# below them is English, as integrators' documentation is). A heading not listed here is shown as written.
HEADINGS = (
    N_("Verification API — for billing systems"),
    N_("1. Credentials"),
    N_("2. An access token (OAuth 2.0 client credentials)"),
    N_("3. Verify one claim"),
    N_("A claim from a declaration line (provider AGB code instead of programme code)"),
    N_("Reason codes, in the order they are listed"),
    N_("4. Verify many claims"),
    N_("Batch as CSV"),
    N_("5. Read back a verification"),
    N_("6. Errors"),
    N_("7. Check a receipt offline"),
    N_("8. Public read API (no sign-in)"),
    N_("9. A Python client"),
    N_("10. Retries, limits and size"),
    N_("Send a claim again safely: `Idempotency-Key`"),
    N_("Rate-limit headers"),
    N_("Compressed answers"),
)


@dataclass(frozen=True, slots=True)
class Section:
    """A heading of the guide, for the table of contents."""

    anchor: str
    title: Markup
    level: int


def anchor_of(heading: str) -> str:
    """A heading's fragment id, from its English text, so links hold in either language."""
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-") or "section"


@functools.cache
def rendered(language: str) -> tuple[Markup, Markup, tuple[Section, ...]]:
    """The guide's title, body (HTML, raw HTML in the markdown escaped) and sections, in this language."""
    markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = markdown.parse(GUIDE.read_text(encoding="utf-8"))
    gettext = translations(language).gettext
    sections: list[Section] = []
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[index + 1]
        anchor = anchor_of(inline.content)
        token.attrSet("id", anchor)
        inline.children = markdown.parseInline(gettext(inline.content))[0].children
        title = Markup(markdown.renderer.render(inline.children or [], markdown.options, {}))  # nosec B704 # our own guide, raw HTML escaped
        sections.append(Section(anchor, title, int(token.tag[1])))
    # The first heading is the page's own title; the layout writes it.
    first_close = next(index for index, token in enumerate(tokens) if token.type == "heading_close")
    html = markdown.renderer.render(tokens[first_close + 1:], markdown.options, {})
    # Code and tables scroll sideways on a narrow screen: keyboards must reach them (raw HTML in the markdown is escaped,
    # so these tags are only the renderer's own).
    body = Markup(html.replace("<pre>", '<pre tabindex="0">').replace("<table>", '<table tabindex="0">'))  # nosec B704 # as above
    return sections[0].title, body, tuple(sections[1:])


@get("/api", include_in_schema=False, sync_to_thread=True)
def api_guide(request: Request, api: NamedDependency[ApiContext], pages: NamedDependency[Renderer]) -> Response[str]:
    """How billing systems use the verification API (read from docs/api.md in a thread the first time)."""
    refused = too_many(request, api, pages)
    if refused is not None:
        return refused
    title, body, sections = rendered(language_of(request))
    return render_page(request, pages, "public/api_guide.html", section="api", title=title, body=body, sections=sections)


ROUTES = [api_guide]
