"""A staff member's browser against a real `registry serve` over plain HTTP.

The session cookie is `__Host-` and Secure, so httpx (rightly) never sends it back over http://:
this browser reads it from Set-Cookie and sends it itself, as a browser behind TLS would.
"""

from __future__ import annotations

import re

import httpx

COOKIE = "__Host-registry-session"
PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the page's first form."""
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


class StaffBrowser:
    """One browser: a session cookie, the CSRF token of its last page, and optionally its own address."""

    def __init__(self, base_url: str, address: str | None = None, timeout: float = 10.0):
        self.base_url = base_url
        self.address = address
        self.cookie: str | None = None
        self.csrf: str | None = None
        # A server started with REGISTRY_TRUSTED_PROXIES=127.0.0.1 believes X-Forwarded-For, so a test can be any address.
        headers = {"X-Forwarded-For": address} if address else {}
        self.http = httpx.Client(base_url=base_url, timeout=timeout, headers=headers)

    def at(self, base_url: str) -> "StaffBrowser":
        """The same browser (cookie and CSRF token) talking to another instance."""
        other = StaffBrowser(base_url, self.address, self.http.timeout.read or 10.0)
        other.cookie, other.csrf = self.cookie, self.csrf
        return other

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        """One request with the session cookie; a Set-Cookie for the session is taken over."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.cookie:
            headers["Cookie"] = f"{COOKIE}={self.cookie}"
        response = self.http.request(method, path, headers=headers, **kwargs)
        self.http.cookies.clear()
        for line in response.headers.get_list("set-cookie"):
            if line.startswith(f"{COOKIE}="):
                value = line.split(";", 1)[0].split("=", 1)[1].strip('"')
                self.cookie = value or None
        match = _CSRF.search(response.text) if "text/html" in response.headers.get("content-type", "") else None
        if match:
            self.csrf = match.group(1)
        return response

    def get(self, path: str) -> httpx.Response:
        """GET a page."""
        return self.request("GET", path)

    def post_form(self, path: str, **fields: str) -> httpx.Response:
        """POST a form with the CSRF token of the last page seen."""
        assert self.csrf, "open a page with a form first"
        return self.request("POST", path, data={"csrf_token": self.csrf, **fields})

    def sign_in(self, username: str, password: str = PASSWORD) -> httpx.Response:
        """Open the sign-in page and post it; then open the dashboard for the new session's CSRF token."""
        self.get("/admin/inloggen")
        response = self.post_form("/admin/inloggen", username=username, password=password, return_to="/admin")
        assert response.status_code == 303 and response.headers["location"] == "/admin", (response.status_code, response.text[:300])
        dashboard = self.get("/admin")
        assert dashboard.status_code == 200, dashboard.status_code
        return response

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()
