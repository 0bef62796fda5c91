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
        )

    def with_database(self, database_url: str) -> "Settings":
        """A copy pointing at another database."""
        return replace(self, database_url=database_url)
