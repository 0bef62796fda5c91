"""Invitation links: an administrator invites, the holder chooses a password once through the link and is signed in."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time

import httpx

from registry.services.sql import reading
from registry.services.staff import invitations
from registry.settings import Settings
from tests.functional.helpers import OPERATOR, fresh_rate_window
from tests.functional.staff import BASE_URL, add_staff, browser, csrf_of, session_cookie, sign_in, staff_app

CHOSEN = "Lotte's own long passphrase"
LINK = re.compile(re.escape(BASE_URL) + r"(/admin/uitnodiging/([A-Za-z0-9_-]{43}))")
DOES_NOT_WORK = "Deze uitnodigingslink werkt niet"
EXPIRED = "Deze uitnodigingslink is verlopen"


async def invite(admin: httpx.AsyncClient, username: str = "lotte", role: str = "editor") -> tuple[str, str]:
    """An administrator invites someone through the staff pages: the link's path and the page that showed it."""
    form = await admin.get("/admin/medewerkers/uitnodigen")
    assert form.status_code == 200 and "Medewerker uitnodigen" in form.text and 'name="password"' not in form.text
    shown = await admin.post("/admin/medewerkers/uitnodigen", data={
        "csrf_token": csrf_of(form.text), "username": username, "display_name": "Lotte de Wit", "email": "lotte@example.nl", "role": role})
    assert shown.status_code == 200, shown.text
    found = LINK.search(shown.text)
    assert found, shown.text
    return found.group(1), shown.text


def main_of(html: str) -> str:
    """The page's main content (the header's language links name the page's own address)."""
    found = re.search(r"<main.*</main>", html, re.S)
    assert found
    return found.group(0)


async def events_about(app, username: str) -> list[dict]:
    async with reading(app.state.api.engine) as reader:
        return await reader.fetch_all("SELECT actor, action, before_state, after_state, source FROM audit_event WHERE subject_code = ? "
                                      "ORDER BY id", username)


async def admin_invites(app, admin: httpx.AsyncClient) -> tuple[str, str]:
    """The tests' staff, the administrator signed in, Lotte invited: her link's path and the page that showed it."""
    await add_staff(app)
    await sign_in(admin, "admin")
    return await invite(admin)


async def account_page(app, admin: httpx.AsyncClient) -> tuple[int, httpx.Response]:
    """Lotte's account id and her account page as the administrator sees it."""
    user_id = (await account(app, "lotte"))["id"]
    return user_id, await admin.get(f"/admin/medewerkers/{user_id}")


async def account(app, username: str) -> dict:
    async with reading(app.state.api.engine) as reader:
        row = await reader.fetch_one("SELECT * FROM staff_user WHERE username = ?", username)
    assert row is not None
    return row


async def choose(client: httpx.AsyncClient, path: str, password: str = CHOSEN, repeat: str | None = None) -> httpx.Response:
    """Open the link and post the form, as the invited person's browser does."""
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return await client.post(path, data={"csrf_token": csrf_of(page.text), "password": password,
                                         "password_repeat": password if repeat is None else repeat})


async def test_the_holder_chooses_a_password_through_the_link_once_and_is_signed_in(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        path, shown = await admin_invites(app, admin)
        token = path.rsplit("/", 1)[1]
        assert "Geldig tot" in shown and "Kopieer de uitnodigingslink nu" in shown
        stored = await account(app, "lotte")
        # Only the token's SHA-256 is kept, and nobody can sign in to the account yet.
        assert stored["invitation_hash"] == hashlib.sha256(token.encode()).hexdigest() and stored["password_hash"] is None
        assert token not in (await admin.get(f"/admin/medewerkers/{stored['id']}")).text
        assert (await sign_in(browser(app, "192.0.2.50"), "lotte", "")).status_code == 400
        listed = await admin.get("/admin/medewerkers")
        assert "uitgenodigd" in listed.text

        lotte = browser(app, "192.0.2.51")
        for _ in range(3):  # a mail scanner's prefetch, then the person: opening the link never uses it
            opened = await lotte.get(path)
            assert opened.status_code == 200 and "<h1>Kies uw wachtwoord</h1>" in opened.text and "lotte" in opened.text
        assert opened.headers["cache-control"] == "no-store" and opened.headers["referrer-policy"] == "same-origin"
        assert not re.search(r'(src|href)="(https?:)?//', opened.text)  # nothing from another origin sees the address
        visitor_id = session_cookie(lotte)
        async with reading(app.state.api.engine) as reader:
            assert (await reader.fetch_row("SELECT COUNT(*) AS n FROM staff_session"))["n"] == 1  # the admin's only

        short = await lotte.post(path, data={"csrf_token": csrf_of(opened.text), "password": "too short", "password_repeat": "different"})
        assert short.status_code == 400 and "<title>Fout: " in short.text and "autofocus" in short.text
        assert 'href="#password"' in short.text and 'href="#password_repeat"' in short.text
        assert "moet minstens 12 tekens zijn" in short.text and "is niet hetzelfde als het wachtwoord" in short.text
        assert "too short" not in short.text
        assert (await account(app, "lotte"))["password_hash"] is None

        done = await lotte.post(path, data={"csrf_token": csrf_of(opened.text), "password": CHOSEN, "password_repeat": CHOSEN})
        assert done.status_code == 303 and done.headers["location"] == "/admin"
        assert session_cookie(lotte) not in (None, visitor_id)
        dashboard = await lotte.get("/admin")
        assert dashboard.status_code == 200 and "Lotte de Wit" in dashboard.text

        stored = await account(app, "lotte")
        assert stored["password_hash"].startswith("$argon2id$") and stored["invitation_hash"] is None
        assert not stored["must_change_password"]
        again = await browser(app, "192.0.2.52").get(path)
        unknown = await browser(app, "192.0.2.53").get("/admin/uitnodiging/" + "A" * 43)
        assert again.status_code == unknown.status_code == 404 and DOES_NOT_WORK in again.text
        assert main_of(again.text) == main_of(unknown.text)  # a used link and a made-up one read alike
        replayed = await lotte.post(path, data={"csrf_token": csrf_of(dashboard.text), "password": "someone else's choice",
                                                "password_repeat": "someone else's choice"})
        assert replayed.status_code == 404
        assert (await sign_in(browser(app, "192.0.2.54"), "lotte", CHOSEN)).headers["location"] == "/admin"

        events = await events_about(app, "lotte")
        assert [event["action"] for event in events] == ["auth:staff_user:create", "auth:invitation:issue", "auth:session:refuse",
                                                         "auth:invitation:accept", "auth:session:start", "auth:session:start"]
        assert events[1]["actor"] == "user:admin" and "valid_until" in events[1]["after_state"]
        assert events[3]["actor"] == "user:lotte" and events[3]["source"] == "192.0.2.51"
        assert "invitation" in str(events[4]["after_state"]) and "password" in str(events[5]["after_state"])
        assert not any(token in str(event) or CHOSEN in str(event) for event in events)
        log = await admin.get("/admin/audit", params={"code": "lotte"})
        for words in ("Uitnodigingslink gemaakt", "Uitnodigingslink gebruikt: wachtwoord gekozen", "Geldig tot"):
            assert words in log.text, words


async def test_an_expired_link_is_refused_and_changes_nothing(settings: Settings) -> None:
    async with staff_app(settings) as (app, _client):
        engine = app.state.api.engine
        past = time.time() - invitations.VALID_SECONDS - 1
        invitation = await invitations.invite_account(engine, OPERATOR, "sem", "Sem", "", "viewer", now=past)
        assert invitation.expires_at.timestamp() < time.time()
        sem = browser(app, "192.0.2.60")
        opened = await sem.get(invitation.path)
        assert opened.status_code == 410 and EXPIRED in opened.text and "72 uur" in opened.text
        sign_in_page = await sem.get("/admin/inloggen")
        posted = await sem.post(invitation.path, data={"csrf_token": csrf_of(sign_in_page.text), "password": CHOSEN, "password_repeat": CHOSEN})
        assert posted.status_code == 410
        assert (await account(app, "sem"))["password_hash"] is None
        assert [event["action"] for event in await events_about(app, "sem")] == ["auth:staff_user:create", "auth:invitation:issue"]
        # The service itself: a link within its 72 hours opens, past them it does not.
        fresh = await invitations.invite_account(engine, OPERATOR, "noor", "", "", "viewer")
        assert (await invitations.open_invitation(engine, fresh.token)).username == "noor"
        try:
            await invitations.open_invitation(engine, fresh.token, now=time.time() + invitations.VALID_SECONDS + 1)
            raise AssertionError("a link past its 72 hours opened")
        except invitations.InvitationGone as gone:
            assert gone.expired


async def test_a_new_link_stops_the_old_one(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        old, _shown = await admin_invites(app, admin)
        user_id, page = await account_page(app, admin)
        assert "Nieuwe uitnodigingslink maken" in page.text and "nog niet gekozen; de uitnodigingslink werkt tot" in page.text
        question = await admin.get(f"/admin/medewerkers/{user_id}/uitnodiging")
        assert question.status_code == 200 and "werkt dan direct niet meer" in question.text
        unconfirmed = await admin.post(f"/admin/medewerkers/{user_id}/uitnodiging", data={"csrf_token": csrf_of(question.text)})
        assert unconfirmed.status_code == 200 and LINK.search(unconfirmed.text) is None  # only the question again
        assert (await browser(app, "192.0.2.70").get(old)).status_code == 200
        made = await admin.post(f"/admin/medewerkers/{user_id}/uitnodiging", data={"csrf_token": csrf_of(question.text), "bevestigd": "ja"})
        assert made.status_code == 200 and "De vorige link werkt niet meer." in made.text
        new = LINK.search(made.text)
        assert new and new.group(1) != old
        assert (await browser(app, "192.0.2.71").get(old)).status_code == 404
        assert (await choose(browser(app, "192.0.2.72"), new.group(1))).status_code == 303
        actions = [event["action"] for event in await events_about(app, "lotte")]
        assert actions[:4] == ["auth:staff_user:create", "auth:invitation:issue", "auth:invitation:reissue", "auth:invitation:accept"]
        # Used: no new link for an account that has its password, nor for one that signs in with a password from the start.
        for member in (user_id, 1):
            refused = await admin.post(f"/admin/medewerkers/{member}/uitnodiging", data={"csrf_token": csrf_of(question.text), "bevestigd": "ja"})
            assert refused.status_code == 409 and "heeft geen uitnodigingslink nodig" in refused.text
        assert "Nieuwe uitnodigingslink maken" not in (await admin.get(f"/admin/medewerkers/{user_id}")).text
        assert [event["action"] for event in await events_about(app, "lotte")].count("auth:invitation:reissue") == 1


async def test_a_disabled_accounts_link_does_not_work(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        path, _shown = await admin_invites(app, admin)
        user_id, page = await account_page(app, admin)
        disabled = await admin.post(f"/admin/medewerkers/{user_id}", data={"csrf_token": csrf_of(page.text), "role": "editor", "active": "0"})
        assert disabled.status_code == 303
        lotte = browser(app, "192.0.2.80")
        opened = await lotte.get(path)
        assert opened.status_code == 404 and DOES_NOT_WORK in opened.text
        form = await lotte.get("/admin/inloggen")
        posted = await lotte.post(path, data={"csrf_token": csrf_of(form.text), "password": CHOSEN, "password_repeat": CHOSEN})
        assert posted.status_code == 404 and (await account(app, "lotte"))["password_hash"] is None
        question = await admin.get(f"/admin/medewerkers/{user_id}/uitnodiging")
        assert question.status_code == 409 and "Zet het eerst weer op actief" in question.text
        enabled = await admin.post(f"/admin/medewerkers/{user_id}", data={"csrf_token": csrf_of(page.text), "role": "editor", "active": "1"})
        assert enabled.status_code == 303
        assert (await choose(lotte, path)).status_code == 303  # enabled again within its 72 hours, the link works


async def test_the_form_needs_its_csrf_token_and_is_limited_per_address(settings: Settings) -> None:
    async with staff_app(settings, login_rate_limit_per_minute=3) as (app, admin):
        path, _shown = await admin_invites(app, admin)
        lotte = browser(app, "192.0.2.90")
        opened = await lotte.get(path)
        missing = await lotte.post(path, data={"password": CHOSEN, "password_repeat": CHOSEN})
        assert missing.status_code == 403 and "Formulier verlopen" in missing.text
        stranger = browser(app, "192.0.2.91")
        foreign = csrf_of((await stranger.get("/admin/inloggen")).text)
        assert (await lotte.post(path, data={"csrf_token": foreign, "password": CHOSEN, "password_repeat": CHOSEN})).status_code == 403
        cross_site = await lotte.post(path, data={"csrf_token": csrf_of(opened.text), "password": CHOSEN, "password_repeat": CHOSEN},
                                      headers={"Origin": "https://evil.example"})
        assert cross_site.status_code == 403
        assert (await account(app, "lotte"))["password_hash"] is None

        await fresh_rate_window(needed_seconds=15)
        for _ in range(3):
            assert (await lotte.post(path, data={"csrf_token": csrf_of(opened.text), "password": "x", "password_repeat": "y"})).status_code == 400
        limited = await lotte.post(path, data={"csrf_token": csrf_of(opened.text), "password": CHOSEN, "password_repeat": CHOSEN})
        assert limited.status_code == 429 and limited.headers["retry-after"]
        assert (await account(app, "lotte"))["password_hash"] is None


async def test_the_invitation_form_checks_its_fields(settings: Settings) -> None:
    async with staff_app(settings) as (app, admin):
        await add_staff(app)
        await sign_in(admin, "admin")
        form = await admin.get("/admin/medewerkers/uitnodigen")
        refused = await admin.post("/admin/medewerkers/uitnodigen", data={"csrf_token": csrf_of(form.text), "username": "jan de vries",
                                                                          "display_name": "", "email": "not an address", "role": "viewer"})
        assert refused.status_code == 400 and 'href="#username"' in refused.text and 'href="#email"' in refused.text
        assert LINK.search(refused.text) is None and 'value="jan de vries"' in refused.text
        duplicate = await admin.post("/admin/medewerkers/uitnodigen", data={"csrf_token": csrf_of(form.text), "username": "Editor",
                                                                            "display_name": "", "email": "", "role": "viewer"})
        assert duplicate.status_code == 400 and "bestaat al" in duplicate.text
        editor = browser(app, "192.0.2.95")
        await sign_in(editor, "editor")
        assert (await editor.get("/admin/medewerkers/uitnodigen")).status_code == 403


def test_create_user_can_print_an_invitation_link(database_url: str) -> None:
    env = {**os.environ, "REGISTRY_DATABASE_URL": database_url, "REGISTRY_PUBLIC_URL": "https://register.example.nl"}
    done = subprocess.run([sys.executable, "-m", "registry.cli", "create-user", "Sanne", "--role", "viewer", "--invite"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert re.search(r"https://register\.example\.nl/admin/uitnodiging/[A-Za-z0-9_-]{43}\n", done.stdout), done.stdout
    env.pop("REGISTRY_PUBLIC_URL")
    bare = subprocess.run([sys.executable, "-m", "registry.cli", "create-user", "sem", "--role", "viewer", "--invite"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert bare.returncode == 0 and re.search(r"followed by /admin/uitnodiging/[A-Za-z0-9_-]{43}\n", bare.stdout), bare.stdout
    both = subprocess.run([sys.executable, "-m", "registry.cli", "create-user", "piet", "--role", "viewer", "--invite", "--password-stdin"],
                          env=env, input="a password long enough\n", capture_output=True, text=True, timeout=120)
    assert both.returncode == 2
