"""Settings: the only module that reads the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_DATABASE_FILE = "registry.db"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the registry can be configured with; tests pass their own."""

    database_url: str = f"sqlite:///{DEFAULT_DATABASE_FILE}"
    data_dir: Path = Path("data")
    sqlite_busy_timeout_seconds: float = 30.0
    postgres_pool_size: int = 10
    debug: bool = False
    # The registry's public base URL: the issuer of access tokens and the base of their audience.
    public_url: str = "http://127.0.0.1:8000"
    signing_key_file: Path | None = None
    token_lifetime_seconds: int = 3600
    # Retired public keys stay in the JWKS this long, so receipts signed with them stay checkable.
    retired_key_days: int = 400
    # Verifications one client may ask per minute (a batch counts each item), over all instances.
    api_rate_limit_per_minute: int = 60_000
    # Requests one address may make per minute to the public read API, over all instances.
    public_rate_limit_per_minute: int = 1_200
    max_body_bytes: int = 5 * 1024 * 1024
    # The OpenAPI document and its browsable page under /schema; production may switch them off.
    openapi_enabled: bool = True
    # How often an instance looks for changes recorded by other instances or the CLI.
    change_poll_seconds: float = 0.25

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        """Settings from REGISTRY_* environment variables, defaults for the rest."""
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            database_url=env.get("REGISTRY_DATABASE_URL", defaults.database_url),
            data_dir=Path(env.get("REGISTRY_DATA_DIR", str(defaults.data_dir))),
            sqlite_busy_timeout_seconds=float(
                env.get("REGISTRY_SQLITE_BUSY_TIMEOUT", defaults.sqlite_busy_timeout_seconds)
            ),
            postgres_pool_size=int(env.get("REGISTRY_POSTGRES_POOL_SIZE", defaults.postgres_pool_size)),
            debug=env.get("REGISTRY_DEBUG", "") in {"1", "true", "yes"},
            public_url=env.get("REGISTRY_PUBLIC_URL", defaults.public_url).rstrip("/"),
            signing_key_file=Path(env["REGISTRY_SIGNING_KEY_FILE"]) if env.get("REGISTRY_SIGNING_KEY_FILE") else None,
            token_lifetime_seconds=int(env.get("REGISTRY_TOKEN_LIFETIME_SECONDS", defaults.token_lifetime_seconds)),
            retired_key_days=int(env.get("REGISTRY_RETIRED_KEY_DAYS", defaults.retired_key_days)),
            api_rate_limit_per_minute=int(env.get("REGISTRY_API_RATE_LIMIT_PER_MINUTE", defaults.api_rate_limit_per_minute)),
            public_rate_limit_per_minute=int(env.get("REGISTRY_PUBLIC_RATE_LIMIT_PER_MINUTE", defaults.public_rate_limit_per_minute)),
            openapi_enabled=env.get("REGISTRY_OPENAPI", "on").lower() not in {"0", "off", "false", "no"},
            change_poll_seconds=float(env.get("REGISTRY_CHANGE_POLL_SECONDS", defaults.change_poll_seconds)),
        )

    @property
    def key_file(self) -> Path:
        """Where the signing keys live: the configured file, else one in the data directory."""
        return self.signing_key_file or self.data_dir / "signing-keys.json"

    @property
    def token_audience(self) -> str:
        """The `aud` of access tokens: the verification API."""
        return f"{self.public_url}/api/v1"

    def with_database(self, database_url: str) -> "Settings":
        """A copy pointing at another database."""
        return replace(self, database_url=database_url)
