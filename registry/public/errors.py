"""Errors on page paths answered as pages in the visitor's language; everything else stays problem+json."""

from __future__ import annotations

from typing import Any, Callable

from litestar import Request, Response
from litestar.exceptions import HTTPException

from registry.api import problems
from registry.messages import N_
from registry.outages import RETRY_AFTER_SECONDS
from registry.public.page_support import render_page

# Machine paths keep RFC 9457 problems whatever the client accepts.
MACHINE_PREFIXES = ("/api/", "/oauth/", "/.well-known/", "/open-data/", "/health/", "/schema", "/static/")
PAGE_ERRORS = {
    400: (N_("This request cannot be answered"), N_("Something in the address is not right. Go back and try again.")),
    404: (N_("Not found"), N_("This page does not exist. It may have moved, or the address has a typo.")),
    405: (N_("This request cannot be answered"), N_("This page cannot be used this way.")),
    413: (N_("Too much at once"), N_("What was sent is larger than the register accepts.")),
    500: (N_("Something went wrong"), N_("The register could not show this page. The problem has been logged; please try again later.")),
    503: (N_("Temporarily unavailable"), N_("The register cannot reach its database right now. Please try again in a few minutes.")),
}


def wants_page(request: Request) -> bool:
    """A browser asking for a page rather than a program asking for data."""
    return not request.url.path.startswith(MACHINE_PREFIXES) and "text/html" in request.headers.get("accept", "")


def _page_for(request: Request, status: int) -> Response[Any]:
    heading, explanation = PAGE_ERRORS.get(status, PAGE_ERRORS[400 if status < 500 else 500])
    return render_page(request, request.app.state["pages"], "errors/error.html", status, heading=heading, explanation=explanation)


def as_page(handler: Callable[[Request, Any], Response[Any]], status_of: Callable[[Any], int]) -> Callable[[Request, Any], Response[Any]]:
    """The problem handler, but a page for browsers on page paths."""

    def handle(request: Request, exception: Any) -> Response[Any]:
        if not wants_page(request):
            return handler(request, exception)
        status = status_of(exception)
        if status >= 500 and not isinstance(exception, HTTPException):
            status = problems.server_error_status(request, exception)  # logged all the same
        page = _page_for(request, status)
        if status == 503:
            page.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return page

    return handle


EXCEPTION_HANDLERS = {
    **problems.EXCEPTION_HANDLERS,
    HTTPException: as_page(problems.handle_http_exception, lambda exception: exception.status_code),
    problems.NotFound: as_page(problems.handle_not_found, lambda exception: 404),
    Exception: as_page(problems.handle_server_error, lambda exception: 500),
}
