"""Settings: the only module that reads the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_DATABASE_FILE = "registry.db"
# Where `registry serve` listens by default: what the command line names as the registry when REGISTRY_PUBLIC_URL is unset.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


def parse_role_map(text: str) -> tuple[tuple[str, str], ...]:
    """`group=role,group=role` as pairs; a role that is not viewer, editor or admin is an error."""
    pairs = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        claim_value, _, role = item.partition("=")
        if role.strip() not in {"viewer", "editor", "admin"}:
            raise ValueError(f"REGISTRY_OIDC_ROLE_MAP: {item!r} must map to viewer, editor or admin")
        pairs.append((claim_value.strip(), role.strip()))
    return tuple(pairs)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the registry can be configured with; tests pass their own."""

    database_url: str = f"sqlite:///{DEFAULT_DATABASE_FILE}"
    data_dir: Path = Path("data")
    sqlite_busy_timeout_seconds: float = 30.0
    postgres_pool_size: int = 10
    debug: bool = False
    # The registry's public base URL (issuer of tokens and receipts, base of the token audience and of the
    # metadata's URLs). Unset: each request's own origin, so any host and port the registry is reached on works.
    public_url: str | None = None
    signing_key_file: Path | None = None
    # The secret that keys the audit chain's hashes; kept outside the database, beside the signing keys.
    audit_key_file: Path | None = None
    token_lifetime_seconds: int = 3600
    # Retired public keys stay in the JWKS this long, so receipts signed with them stay checkable.
    retired_key_days: int = 400
    # Verifications one client may ask per minute (a batch counts each item), over all instances.
    api_rate_limit_per_minute: int = 60_000
    # Requests one address may make per minute to the public read API, over all instances.
    public_rate_limit_per_minute: int = 1_200
    # An address over a public limit gets its refusal after this pause (registry/public/public_work.py).
    over_limit_pause_seconds: float = 0.25
    max_body_bytes: int = 5 * 1024 * 1024
    # The OpenAPI document and its browsable page under /schema; production may switch them off.
    openapi_enabled: bool = True
    # How often an instance looks for changes recorded by other instances or the CLI.
    change_poll_seconds: float = 0.25
    # Staff sessions end after this long without a request, and this long after sign-in in any case.
    session_idle_seconds: int = 30 * 60
    session_absolute_seconds: int = 12 * 3600
    # Sign-in attempts one address may make per minute (local and OIDC), over all instances.
    login_rate_limit_per_minute: int = 10
    # Password attempts for one username per minute, from whatever addresses, over all instances.
    login_account_rate_limit_per_minute: int = 10
    # Staff sign-in through the foundation's OpenID Provider; off while no issuer is set.
    # Addresses of reverse proxies whose X-Forwarded-For / -Proto headers are believed; none by default, so a
    # client cannot choose the address that rate limits and the audit trail see.
    trusted_proxies: tuple[str, ...] = ()
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    # The claim holding the staff member's groups or roles, and how its values map to registry roles.
    oidc_role_claim: str = "roles"
    oidc_role_map: tuple[tuple[str, str], ...] = (("viewer", "viewer"), ("editor", "editor"), ("admin", "admin"))
    # Four eyes: suspensions, revocations, retractions and care-standard overrides wait for a second staff member's
    # approval. A foundation of one person may switch it off (REGISTRY_FOUR_EYES=off).
    four_eyes: bool = True

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
            public_url=env.get("REGISTRY_PUBLIC_URL", "").rstrip("/") or None,
            signing_key_file=Path(env["REGISTRY_SIGNING_KEY_FILE"]) if env.get("REGISTRY_SIGNING_KEY_FILE") else None,
            audit_key_file=Path(env["REGISTRY_AUDIT_KEY_FILE"]) if env.get("REGISTRY_AUDIT_KEY_FILE") else None,
            token_lifetime_seconds=int(env.get("REGISTRY_TOKEN_LIFETIME_SECONDS", defaults.token_lifetime_seconds)),
            retired_key_days=int(env.get("REGISTRY_RETIRED_KEY_DAYS", defaults.retired_key_days)),
            api_rate_limit_per_minute=int(env.get("REGISTRY_API_RATE_LIMIT_PER_MINUTE", defaults.api_rate_limit_per_minute)),
            public_rate_limit_per_minute=int(env.get("REGISTRY_PUBLIC_RATE_LIMIT_PER_MINUTE", defaults.public_rate_limit_per_minute)),
            over_limit_pause_seconds=float(env.get("REGISTRY_OVER_LIMIT_PAUSE_SECONDS", defaults.over_limit_pause_seconds)),
            openapi_enabled=env.get("REGISTRY_OPENAPI", "on").lower() not in {"0", "off", "false", "no"},
            change_poll_seconds=float(env.get("REGISTRY_CHANGE_POLL_SECONDS", defaults.change_poll_seconds)),
            session_idle_seconds=int(env.get("REGISTRY_SESSION_IDLE_SECONDS", defaults.session_idle_seconds)),
            session_absolute_seconds=int(env.get("REGISTRY_SESSION_ABSOLUTE_SECONDS", defaults.session_absolute_seconds)),
            login_rate_limit_per_minute=int(env.get("REGISTRY_LOGIN_RATE_LIMIT_PER_MINUTE", defaults.login_rate_limit_per_minute)),
            login_account_rate_limit_per_minute=int(
                env.get("REGISTRY_LOGIN_ACCOUNT_RATE_LIMIT_PER_MINUTE", defaults.login_account_rate_limit_per_minute)
            ),
            trusted_proxies=tuple(part.strip() for part in env.get("REGISTRY_TRUSTED_PROXIES", "").split(",") if part.strip()),
            oidc_issuer=env.get("REGISTRY_OIDC_ISSUER") or None,
            oidc_client_id=env.get("REGISTRY_OIDC_CLIENT_ID") or None,
            oidc_client_secret=env.get("REGISTRY_OIDC_CLIENT_SECRET") or None,
            oidc_role_claim=env.get("REGISTRY_OIDC_ROLE_CLAIM", defaults.oidc_role_claim),
            oidc_role_map=parse_role_map(env["REGISTRY_OIDC_ROLE_MAP"]) if env.get("REGISTRY_OIDC_ROLE_MAP") else defaults.oidc_role_map,
            four_eyes=env.get("REGISTRY_FOUR_EYES", "on").lower() not in {"0", "off", "false", "no"},
        )

    @property
    def key_file(self) -> Path:
        """Where the signing keys live: the configured file, else one in the data directory."""
        return self.signing_key_file or self.data_dir / "signing-keys.json"

    @property
    def chain_key_file(self) -> Path:
        """Where the audit chain's key lives: the configured file, else one beside the signing keys."""
        return self.audit_key_file or self.key_file.with_name("audit-chain-key.json")

    def with_database(self, database_url: str) -> "Settings":
        """A copy pointing at another database."""
        return replace(self, database_url=database_url)
