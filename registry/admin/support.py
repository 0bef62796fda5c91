"""What every staff controller shares: the signed-in session, the actor, the checked form and its pages, injected with Provide."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from litestar import Controller, Request, Response
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency, Provide
from litestar.types import Dependencies

from registry.admin.context import AppContext
from registry.admin.guards import checked_post, session_of
from registry.i18n import translations
from registry.log_text import logged
from registry.outages import RETRY_AFTER_SECONDS, database_unavailable
from registry.public.errors import EXCEPTION_HANDLERS as PAGE_EXCEPTION_HANDLERS
from registry.public.page_support import language_of, not_found, render_page
from registry.roles import Permission, Role, allows
from registry.services.audit import Actor
from registry.services.errors import FieldError
from registry.services.staff.sessions import StaffSession

log = logging.getLogger(__name__)
# Where a staff handler leaves how to show its form again, should the database not take what was sent.
SHOWN_AGAIN = "staff_form_shown_again"


@dataclass(frozen=True)
class StaffPages:
    """Staff pages for one request: in the visitor's language, with who is signed in and the CSRF token for their forms."""

    request: Request
    context: AppContext
    session: StaffSession

    def __call__(self, template: str, status: int = 200, **context: Any) -> Response[str]:
        """The page from this template."""
        session = self.session
        return render_page(self.request, self.context.pages, template, status, staff=session, csrf_token=session.csrf_token,
                           section=context.pop("section", "admin"), may=lambda permission: allows(session.role, Permission(permission)),
                           four_eyes=self.context.settings.four_eyes,
                           **context)

    def not_found(self, what: str) -> Response[str]:
        """The 404 page saying what is missing."""
        return not_found(self.request, self.context.pages, what)

    def messages(self, errors: list[FieldError], prefix: str = "") -> dict[str, str]:
        """Field name -> message in the visitor's language; `prefix` (such as "coaches[0].") is cut from JSON paths."""
        gettext = translations(language_of(self.request)).gettext
        messages: dict[str, str] = {}
        for error in errors:
            name = error.field[len(prefix):] if prefix and error.field.startswith(prefix) else error.field
            text = error.in_language(gettext)
            messages[name] = f"{messages[name]} {text}" if name in messages else text
        return messages

    def unsaved_shows(self, template: str, **context: Any) -> None:
        """Should the database not take this form, show this page again (with what was typed) saying it was not saved."""
        self.request.scope.setdefault("state", {})[SHOWN_AGAIN] = lambda: self(template, 503, database_away=True, **context)


def handle_unsaved_form(request: Request, exception: Exception) -> Response[Any]:
    """A staff form the database could not take: the same form again with what was typed, 503 and Retry-After; else the page for the error."""
    shown_again: Callable[[], Response[str]] | None = request.scope.get("state", {}).get(SHOWN_AGAIN)
    if shown_again is None or not database_unavailable(exception):
        return PAGE_EXCEPTION_HANDLERS[Exception](request, exception)
    log.warning("database unavailable on %s %s: %s", request.method, logged(request.url.path), exception)
    page = shown_again()
    page.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return page


async def provide_session(request: Request) -> StaffSession | None:
    """The signed-in staff member's session (every guarded route has one)."""
    return await session_of(request)


def provide_actor(request: Request, session: NamedDependency[StaffSession]) -> Actor:
    """The signed-in staff member as the audit trail records them: name, role now, and address."""
    address = request.client.host if request.client else "unknown"
    return Actor(name=f"user:{session.username}", role=Role(session.role) if session.role else None, source=address)


async def provide_form_fields(form: NamedDependency[FormMultiDict]) -> dict[str, str]:
    """The checked form's text fields (one value each), without the CSRF token."""
    return {key: value for key, value in form.items() if isinstance(value, str) and key != "csrf_token"}


def provide_page(request: Request, app_context: NamedDependency[AppContext], session: NamedDependency[StaffSession]) -> StaffPages:
    """Staff pages for this request."""
    return StaffPages(request, app_context, session)


class StaffController(Controller):
    """A staff area: its routes declare their permission guards; the session, actor, checked form and pages are injected."""

    dependencies: Dependencies = {
        "session": Provide(provide_session),
        "actor": Provide(provide_actor, sync_to_thread=False),
        "form": Provide(checked_post),
        "form_fields": Provide(provide_form_fields),
        "page": Provide(provide_page, sync_to_thread=False),
    }
    exception_handlers = {Exception: handle_unsaved_form}
    include_in_schema = False
