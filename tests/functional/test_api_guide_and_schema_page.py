"""The API guide at /api (docs/api.md on the site, headings in Dutch and English) and /schema without internet."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from markdown_it import MarkdownIt

from registry.api.schema_viewer import SWAGGER_UI_VERSION
from registry.i18n import translations
from registry.public.api_guide import GUIDE, HEADINGS, anchor_of
from tests.functional.api_client import ApiSession

VENDORED = Path(__file__).resolve().parents[2] / "registry" / "static" / "swagger-ui"


def guide_headings(levels: tuple[int, ...] = (1, 2)) -> list[str]:
    tokens = MarkdownIt("commonmark").parse(GUIDE.read_text(encoding="utf-8"))
    return [tokens[index + 1].content for index, token in enumerate(tokens) if token.type == "heading_open" and int(token.tag[1]) in levels]


async def test_the_guide_is_a_page_with_dutch_headings_by_default(session: ApiSession) -> None:
    page = await session.http.get("/api")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-language"] == "nl"
    html = page.text
    assert "<h1>Verificatie-API — voor declaratiesystemen</h1>" in html
    assert '<h2 id="1-credentials">1. Inloggegevens</h2>' in html and '<a href="#3-verify-one-claim">3. Eén declaratie controleren</a>' in html
    assert '<table tabindex="0">' in html and "<code>programme_code</code>" in html  # markdown rendered on the server, tables included
    assert '<a href="/schema">' in html and "<script" not in html


async def test_the_guide_in_english(session: ApiSession) -> None:
    for headers in ({"Accept-Language": "en-GB,en"}, {"Cookie": "taal=en"}):
        html = (await session.http.get("/api", headers=headers)).text
        assert "<h1>Verification API — for billing systems</h1>" in html
        assert '<h2 id="1-credentials">1. Credentials</h2>' in html
        assert "<h2>" not in html or "Inloggegevens" not in html


def test_every_section_heading_of_the_guide_has_a_dutch_heading() -> None:
    dutch = translations("nl").gettext
    headings = guide_headings()
    assert len(headings) >= 8
    missing = [heading for heading in headings if heading not in HEADINGS or dutch(heading) == heading]
    assert not missing, f"add these to registry/public/api_guide.py HEADINGS and translate them: {missing}"
    assert len({anchor_of(heading) for heading in guide_headings((1, 2, 3))}) == len(guide_headings((1, 2, 3)))


async def test_the_openapi_description_links_to_the_guide(session: ApiSession) -> None:
    document = (await session.http.get("/schema/openapi.json")).json()
    assert "(/api)" in document["info"]["description"]


async def test_the_schema_page_loads_nothing_from_elsewhere(session: ApiSession) -> None:
    page = await session.http.get("/schema")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "https:" not in policy and "cdn" not in policy
    assert re.search(r"script-src 'self'(;|$)", policy) and re.search(r"style-src 'self'(;|$)", policy)
    addresses = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert addresses and all(address.startswith("/") for address in addresses), addresses
    assert "<script>" not in page.text and "<style" not in page.text and " style=" not in page.text  # nothing inline
    for address in addresses:
        if address.startswith("/static/"):
            asset = await session.http.get(address)
            assert asset.status_code == 200, address
            assert asset.headers["content-type"].split(";")[0] in {"text/javascript", "application/javascript", "text/css"}, address


def test_the_vendored_viewer_is_the_version_and_files_its_readme_names() -> None:
    readme = (VENDORED / "README.md").read_text(encoding="utf-8")
    assert f"**{SWAGGER_UI_VERSION}**" in readme and "Apache License" in (VENDORED / "LICENSE").read_text()
    for name, digest in re.findall(r"\| `([\w.-]+)` \| `([0-9a-f]{64})` \|", readme):
        assert hashlib.sha256((VENDORED / name).read_bytes()).hexdigest() == digest, name
    assert {"swagger-ui-bundle.js", "swagger-ui.css"} <= {name for name, _ in re.findall(r"\| `([\w.-]+)` \| `([0-9a-f]{64})` \|", readme)}
