"""Import from the staff UI: a dry-run preview writes nothing, applying imports exactly the previewed bytes."""

from __future__ import annotations

import hashlib
import html
import json
import re
from typing import Any

import httpx

from registry.settings import Settings
from tests.functional.helpers import document, encode, snapshot
from tests.functional.staff import add_staff, browser, csrf_of, sign_in, staff_app


async def upload(client: httpx.AsyncClient, content: bytes, name: str = "register.json") -> httpx.Response:
    """Open the import page and send the file, as a browser does."""
    token = csrf_of((await client.get("/admin/importeren")).text)
    return await client.post("/admin/importeren", data={"csrf_token": token}, files={"file": (name, content, "application/json")})


def digest_in(page: httpx.Response) -> str:
    return re.search(r'name="sha256" value="([0-9a-f]{64})"', page.text).group(1)


async def apply(client: httpx.AsyncClient, digest: str) -> httpx.Response:
    token = csrf_of((await client.get("/admin/importeren")).text)
    return await client.post("/admin/importeren/uitvoeren", data={"csrf_token": token, "sha256": digest})


def counts_row(page: httpx.Response, section: str) -> list[str]:
    row = re.search(rf'<th scope="row">{section}</th>(.*?)</tr>', page.text, re.S).group(1)
    return re.findall(r'<td class="number">([^<]*)</td>', row)


async def test_an_editor_previews_a_file_then_applies_exactly_it(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await sign_in(editor, "editor")
        form = await editor.get("/admin/importeren")
        assert form.status_code == 200 and 'type="file"' in form.text and 'accept="application/json' in form.text
        assert 'enctype="multipart/form-data"' in form.text and "docs/import.md" in form.text
        before = await snapshot(app.state.api.engine)
        content = encode(document())

        preview = await upload(editor, content)
        assert preview.status_code == 200 and "Voorvertoning van register.json" in preview.text
        assert counts_row(preview, "Coaches") == ["1", "0", "0"] and counts_row(preview, "Organisaties") == ["2", "0", "0"]
        assert "C-000123" in preview.text and "SKZ-2026-0102" in preview.text and "Import uitvoeren" in preview.text
        assert digest_in(preview) == hashlib.sha256(content).hexdigest()
        assert await snapshot(app.state.api.engine) == before  # a dry run writes nothing
        assert (await editor.get("/api/v1/coaches/C-000123")).status_code == 404

        done = await apply(editor, digest_in(preview))
        assert done.status_code == 200 and "Import uitgevoerd" in done.text
        coach = await editor.get("/api/v1/coaches/C-000123")
        assert coach.status_code == 200 and coach.json()["registration_number"] == "C-000123"
        engine_rows = await snapshot(app.state.api.engine)
        [event] = [e for e in engine_rows["audit_event"] if e["action"] == "registry:import:apply"]
        assert event["actor"] == "user:editor" and event["actor_role"] == "editor"
        assert json.loads(event["after_state"])["decisions_recorded"] == 4
        assert {d["recorded_by"] for d in engine_rows["decision"]} == {"user:editor"}

        again = await apply(editor, digest_in(preview))  # the button pressed twice, or the page reloaded
        assert again.status_code == 409 and "al geïmporteerd" in again.text
        assert await snapshot(app.state.api.engine) == engine_rows
        unchanged = await upload(editor, content)
        assert unchanged.status_code == 200 and "verandert niets" in unchanged.text and 'name="sha256"' not in unchanged.text


async def test_a_refused_file_shows_each_json_path_with_a_dutch_message_and_writes_nothing(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await sign_in(editor, "editor")
        before = await snapshot(app.state.api.engine)
        wrong = document()
        wrong["coaches"][0]["agb_code"] = 87654321
        wrong["decisions"][1]["valid_until"] = "2025-08-31"
        refused = await upload(editor, encode(wrong))
        assert refused.status_code == 422 and "er is niets opgeslagen" in refused.text
        text = html.unescape(refused.text)
        assert re.search(r"<code>coaches\[0\]\.agb_code</code></td><td>moet precies 8 cijfers zijn", text)
        assert "<code>decisions[1].valid_until</code>" in text and 'name="sha256"' not in text
        assert await snapshot(app.state.api.engine) == before


async def test_bad_uploads_get_a_clear_message_and_write_nothing(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await sign_in(editor, "editor")
        before = await snapshot(app.state.api.engine)
        not_json = await upload(editor, b"{not json")
        assert not_json.status_code == 422 and "het hele bestand" in not_json.text and "geen geldige JSON" in not_json.text
        not_utf8 = await upload(editor, '{"organisations": [{"name": "Zwolle é"}]}'.encode("latin-1"))
        assert not_utf8.status_code == 400 and "geen UTF-8" in not_utf8.text
        assert (await upload(editor, b"  \n")).status_code == 400
        assert "Het bestand is leeg" in (await upload(editor, b"")).text
        token = csrf_of((await editor.get("/admin/importeren")).text)
        nothing = await editor.post("/admin/importeren", data={"csrf_token": token}, files={"file": ("", b"", "application/octet-stream")})
        assert nothing.status_code == 400 and "Kies een bestand" in nothing.text
        too_large = await upload(editor, b" " * (6 * 1024 * 1024))
        assert too_large.status_code == 413 and "groter dan 5 MB" in too_large.text
        with_bom = await upload(editor, b"\xef\xbb\xbf" + encode(document()))
        assert with_bom.status_code == 200 and "Import uitvoeren" in with_bom.text
        assert await snapshot(app.state.api.engine) == before


async def test_apply_takes_only_this_sessions_latest_preview(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await sign_in(editor, "editor")
        admin = browser(app, "192.0.2.51")
        await sign_in(admin, "admin")
        before = await snapshot(app.state.api.engine)
        foreign = digest_in(await upload(admin, encode(document())))
        assert (await apply(editor, foreign)).status_code == 409  # another session's preview
        assert (await apply(editor, "0" * 64)).status_code == 409
        first = digest_in(await upload(editor, encode(document())))
        later = await upload(editor, encode({"organisations": [{"code": "O-000077", "name": "Later", "city": "Ede"}]}))
        stale = await apply(editor, first)  # an older tab: the session holds the later file now
        assert stale.status_code == 409 and "niet meer beschikbaar" in stale.text
        assert await snapshot(app.state.api.engine) == before
        assert (await apply(editor, digest_in(later))).status_code == 200
        assert (await editor.get("/api/v1/organisations/O-000077")).status_code == 200
        assert (await editor.get("/api/v1/coaches/C-000123")).status_code == 404


async def test_apply_checks_again_against_the_registry_as_it_is_then(settings: Settings) -> None:
    async with staff_app(settings) as (app, editor):
        await add_staff(app)
        await sign_in(editor, "editor")
        admin = browser(app, "192.0.2.52")
        await sign_in(admin, "admin")
        coach = {"registration_number": "C-000500", "initials": "A.", "surname": "Jansen", "agb_code": "11112222"}
        preview = await upload(editor, encode({"coaches": [coach]}))
        other = {**coach, "registration_number": "C-000501"}  # meanwhile someone gives that AGB code to another coach
        assert (await apply(admin, digest_in(await upload(admin, encode({"coaches": [other]}))))).status_code == 200
        before = await snapshot(app.state.api.engine)
        refused = await apply(editor, digest_in(preview))
        assert refused.status_code == 422 and "coaches[0].agb_code" in refused.text and "C-000501" in refused.text
        assert await snapshot(app.state.api.engine) == before


async def test_viewers_cannot_import_and_forms_need_the_token(settings: Settings) -> None:
    async with staff_app(settings) as (app, viewer):
        await add_staff(app)
        await sign_in(viewer, "viewer")
        assert (await viewer.get("/admin/importeren")).status_code == 403
        token = csrf_of((await viewer.get("/admin")).text)
        files: Any = {"file": ("register.json", encode(document()), "application/json")}
        assert (await viewer.post("/admin/importeren", data={"csrf_token": token}, files=files)).status_code == 403
        assert (await viewer.post("/admin/importeren/uitvoeren", data={"csrf_token": token, "sha256": "0" * 64})).status_code == 403
        editor = browser(app, "192.0.2.53")
        await sign_in(editor, "editor")
        before = await snapshot(app.state.api.engine)
        missing = await editor.post("/admin/importeren", files=files)
        assert missing.status_code == 403 and "Formulier verlopen" in missing.text
        digest = digest_in(await upload(editor, encode(document())))
        assert (await editor.post("/admin/importeren/uitvoeren", data={"sha256": digest})).status_code == 403
        assert await snapshot(app.state.api.engine) == before
