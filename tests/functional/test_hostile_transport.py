"""What a client cannot choose: the address limits and audits see, and how files and answers are made."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx

from registry import db
from registry.settings import Settings
from tests.support.server import running_registry


def _answers_from_many_forwarded_addresses(base_url: str) -> list[int]:
    return [httpx.get(f"{base_url}/api/v1/programmes", headers={"X-Forwarded-For": f"203.0.113.{number}"}).status_code
            for number in range(1, 7)]


def test_forwarded_addresses_count_only_from_a_trusted_proxy(database_url: str, tmp_path: Path) -> None:
    with running_registry(database_url, tmp_path / "direct", REGISTRY_PUBLIC_RATE_LIMIT_PER_MINUTE="3") as registry:
        # No proxy configured: a client naming another address per request is still one address.
        assert 429 in _answers_from_many_forwarded_addresses(registry.base_url)
    with running_registry(database_url, tmp_path / "proxied", REGISTRY_PUBLIC_RATE_LIMIT_PER_MINUTE="3",
                          REGISTRY_TRUSTED_PROXIES="127.0.0.1") as registry:
        # Behind a proxy the operator named, each forwarded address has its own limit.
        assert _answers_from_many_forwarded_addresses(registry.base_url) == [200] * 6


def test_a_new_sqlite_file_is_the_owners_only(tmp_path: Path) -> None:
    path = tmp_path / "new" / "registry.db"
    db.build_engine(Settings(database_url=f"sqlite:///{path}"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_pages_and_files_name_their_charset_once(database_url: str, tmp_path: Path) -> None:
    with running_registry(database_url, tmp_path / "data", demo_coaches=5) as registry:
        for path in ("/", "/programmas", "/open-data/coaches.csv", "/admin/inloggen"):
            content_type = httpx.get(registry.base_url + path).headers["content-type"]
            assert content_type.count("charset") == 1, (path, content_type)
