"""A real OpenID Provider (npm oidc-provider) on loopback, and a browserless walk through its dev sign-in, for staff sign-in tests."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
from joserfc.jwk import RSAKey

from tests.support.server import free_port, stop

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc"
READY_TIMEOUT = 60.0  # a start takes 1-2 s (2.3 s at most in 210 starts, six at a time); generous for a loaded machine
# Sign-in plus consent is about six hops; more means the flow is going round in circles.
MAX_STEPS = 20


class OidcProviderError(RuntimeError):
    """The test OpenID Provider could not be installed or started, or its sign-in went wrong."""


@dataclass(frozen=True)
class Provider:
    """A running test OpenID Provider and its one client."""

    issuer: str
    client_id: str
    client_secret: str
    accounts: dict[str, dict] = field(default_factory=dict)
    process: subprocess.Popen | None = field(default=None, repr=False)

    def stop(self) -> None:
        """Stop the provider now, as an outage would (the block's end then has nothing left to do)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    @property
    def metadata_url(self) -> str:
        """Where its discovery document is."""
        return f"{self.issuer}/.well-known/openid-configuration"


def ensure_installed() -> None:
    """Install the provider's npm packages from the lock file when they are missing (a fresh clone).

    Test workers and the two database passes start providers at the same time: one installs under
    a lock while the others wait, and a tree counts as installed only once `npm ci` has finished
    (a half-written node_modules made a provider that never became ready).
    """
    installed = PROVIDER_DIR / "node_modules" / ".installed-by-tests"
    if installed.exists():
        return
    with open(PROVIDER_DIR / ".npm-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed.exists():
            return
        npm = shutil.which("npm")
        if npm is None:
            raise OidcProviderError("npm is not installed: the test OpenID Provider needs Node.js and npm (e.g. apt-get install nodejs npm)")
        result = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise OidcProviderError(f"npm ci in {PROVIDER_DIR} failed:\n{result.stdout}\n{result.stderr}")
        installed.touch()


@contextlib.contextmanager
def running_provider(redirect_uris: list[str], accounts: dict[str, dict], client_id: str = "registry-staff",
                     client_secret: str | None = None, token_endpoint_auth_method: str = "client_secret_basic") -> Iterator[Provider]:
    """Run the provider on a free loopback port until the block ends.

    `accounts` maps a login name to its claims (email, name, roles, ...). Any other login name
    signs in too, as an account with only `sub`.
    """
    ensure_installed()
    node = shutil.which("node")
    if node is None:
        raise OidcProviderError("node is not installed: the test OpenID Provider needs Node.js")
    client_secret = client_secret or secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "OIDC_PORT": str(free_port()),
        "OIDC_CLIENT_ID": client_id,
        "OIDC_CLIENT_SECRET": client_secret,
        "OIDC_REDIRECT_URIS": ",".join(redirect_uris),
        "OIDC_ACCOUNTS": json.dumps(accounts),
        "OIDC_TOKEN_AUTH": token_endpoint_auth_method,
        # A fresh key per provider, so no test can come to depend on a fixed one (see provider.mjs for why it is made here).
        "OIDC_SIGNING_JWK": json.dumps(RSAKey.generate_key(2048, private=True).as_dict(private=True)),
    }
    with tempfile.TemporaryDirectory(prefix="oidc-provider-") as logs:
        # Files, not pipes: nobody reads the output after READY, and a full pipe would stall the provider.
        stdout_path, stderr_path = Path(logs) / "stdout.log", Path(logs) / "stderr.log"
        with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
            process = subprocess.Popen([node, "provider.mjs"], cwd=PROVIDER_DIR, env=env, stdout=stdout, stderr=stderr,
                                       stdin=subprocess.DEVNULL)
        try:
            issuer = _wait_until_ready(process, stdout_path, stderr_path)
            yield Provider(issuer, client_id, client_secret, accounts, process)
        finally:
            stop(process, timeout=10)


def _wait_until_ready(process: subprocess.Popen, stdout_path: Path, stderr_path: Path) -> str:
    """The issuer from the provider's `READY <issuer>` line."""
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        # The provider prints notices of its own on stdout, so look for the line rather than take the first.
        for line in stdout_path.read_text(errors="replace").splitlines():
            if line.startswith("READY "):
                return line.removeprefix("READY ").strip()
        if process.poll() is not None:
            problem = f"exited with status {process.returncode}"
        elif time.monotonic() > deadline:
            problem = f"did not print READY within {READY_TIMEOUT:.0f} s"
        else:
            time.sleep(0.05)
            continue
        raise OidcProviderError(f"the test OpenID Provider {problem}.\nstdout:\n{stdout_path.read_text(errors='replace')}"
                                f"\nstderr:\n{stderr_path.read_text(errors='replace')}")


class _Forms(HTMLParser):
    """The forms of a page: action, method and the named inputs with their values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attributes.get("action") or "", "method": (attributes.get("method") or "get").lower(),
                               "inputs": {}})
        elif tag == "input" and self.forms and attributes.get("name"):
            self.forms[-1]["inputs"][attributes["name"]] = attributes.get("value") or ""


def complete_login(authorize_url: str, login: str, http: httpx.Client | None = None) -> str:
    """Sign in as `login` and consent in the dev interactions; the callback URL reached (code and state, or error), not requested."""
    redirect_uri = parse_qs(urlsplit(authorize_url).query).get("redirect_uri", [None])[0]
    if not redirect_uri:
        raise OidcProviderError("the authorization URL has no redirect_uri parameter")
    with contextlib.ExitStack() as stack:
        # One client for the whole walk: the provider keeps the interaction in cookies.
        if http is None:
            http = stack.enter_context(httpx.Client(timeout=10))
        response = http.get(authorize_url, follow_redirects=False)
        for _ in range(MAX_STEPS):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                if location.startswith(redirect_uri):
                    return location
                response = http.get(location, follow_redirects=False)
            elif response.status_code == 200 and "html" in response.headers.get("content-type", ""):
                response = _submit_form(http, response, login)
            else:
                raise OidcProviderError(f"unexpected {response.status_code} from {response.url}:\n{response.text[:2000]}")
        raise OidcProviderError(f"no redirect to {redirect_uri} after {MAX_STEPS} steps; last was {response.url}")


def _submit_form(http: httpx.Client, page: httpx.Response, login: str) -> httpx.Response:
    """Fill in and post the page's one form: the sign-in form (prompt=login) or the consent form (prompt=consent)."""
    parser = _Forms()
    parser.feed(page.text)
    if len(parser.forms) != 1 or parser.forms[0]["method"] != "post":
        raise OidcProviderError(f"expected one POST form on {page.url}:\n{page.text[:2000]}")
    form = parser.forms[0]
    data = dict(form["inputs"])
    if "login" in data:
        data["login"] = login
    if "password" in data:
        # devInteractions accepts any password, but the field is required in the form.
        data["password"] = "any"
    return http.post(urljoin(str(page.url), form["action"]), data=data, follow_redirects=False)
