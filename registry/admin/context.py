"""What staff handlers share, built once by create_app and injected with Provide."""

from __future__ import annotations

from dataclasses import dataclass

from piccolo.engine.base import Engine

from registry.api.context import ApiContext
from registry.auth.oidc import OidcClient
from registry.services.staff.sessions import SessionStore
from registry.settings import Settings
from registry.templating import Renderer


@dataclass(frozen=True)
class AppContext:
    """The API's parts (settings, database, indexes, rate limits), the page renderer, staff sessions and the OpenID Provider client."""

    api: ApiContext
    pages: Renderer
    sessions: SessionStore
    oidc: OidcClient

    @classmethod
    def build(cls, api: ApiContext, pages: Renderer) -> "AppContext":
        """Sessions and the OpenID Provider client from the API's settings and database."""
        settings = api.settings
        return cls(api, pages, SessionStore(api.engine, settings.session_idle_seconds, settings.session_absolute_seconds),
                   OidcClient(settings))

    @property
    def settings(self) -> Settings:
        """The app's settings."""
        return self.api.settings

    @property
    def engine(self) -> Engine:
        """The registry's database."""
        return self.api.engine


# The name it is provided (and kept in the app's state) under.
APP_CONTEXT = "app_context"
