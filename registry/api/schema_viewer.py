"""The browsable OpenAPI page at /schema: Swagger UI from the registry's own static files, no CDN, no inline script."""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

# The vendored copy in registry/static/swagger-ui/ (its README gives the source, licence and file hashes).
SWAGGER_UI_VERSION = "5.35.0"
ASSETS = "/static/swagger-ui"


class SwaggerViewer(OpenAPIRenderPlugin):
    """Swagger UI, served by the registry itself, so /schema works on a network without internet."""

    def __init__(self) -> None:
        super().__init__(path="/swagger", favicon="", style="")

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        title = escape(str(openapi_schema["info"]["title"]))
        document = escape(self.get_openapi_json_route(request))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css?v={SWAGGER_UI_VERSION}">
</head>
<body>
<noscript><p>This page needs JavaScript. The OpenAPI document itself: <a href="{document}">{document}</a>; the guide: <a href="/api">/api</a>.</p></noscript>
<div id="swagger-ui" data-url="{document}"></div>
<script src="{ASSETS}/swagger-ui-bundle.js?v={SWAGGER_UI_VERSION}"></script>
<script src="/static/schema-viewer.js?v={SWAGGER_UI_VERSION}"></script>
</body>
</html>
""".encode()
