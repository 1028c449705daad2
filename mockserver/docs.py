"""``/docs``: the spec rendered for people, with the development keys on the page.

Swagger UI's files come from the ``swagger-ui-py`` package (a maintained wheel
that ships Swagger UI 5, which reads OpenAPI 3.1), so the page works offline:
nothing is loaded from a CDN. Only the package's static folder is used, found
without importing the package. ``/openapi.yaml`` serves the spec the mock runs
on; ``/openapi.json`` serves the same document with this mock listed first
under ``servers``, so "Try it out" calls the mock that served the page.
"""

from __future__ import annotations

import html
import importlib.util
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from . import errors
from .config import Config
from .spec import Spec

DOCS_PATH = "/docs"
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}


def assets_dir() -> Path | None:
    """Swagger UI's static folder inside the installed ``swagger_ui`` package, if any."""
    found = importlib.util.find_spec("swagger_ui")
    if found is None or not found.submodule_search_locations:
        return None
    folder = Path(next(iter(found.submodule_search_locations))) / "static"
    return folder if all((folder / name).is_file() for name in ASSETS) else None


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _keys_table(config: Config) -> str:
    rows = "".join(
        f"<tr><td><code>{html.escape(u.api_key)}</code></td><td>{html.escape(u.id)}</td>"
        f"<td>{html.escape(u.name)}</td><td>{html.escape(', '.join(u.organizations))}</td></tr>"
        for u in config.users
    )
    return (
        "<table><thead><tr><th>X-API-Key</th><th>user</th><th>name</th><th>member of</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} — focus-mock</title>
<link rel="icon" href="docs/assets/favicon-32x32.png">
{head}
<style>
  body {{ margin: 0; font-family: system-ui, sans-serif; }}
  .dev-keys {{ padding: 16px 24px; background: #f4f6f8; border-bottom: 1px solid #d8dde3; }}
  .dev-keys h1 {{ margin: 0 0 4px; font-size: 20px; }}
  .dev-keys p {{ margin: 4px 0 8px; }}
  .dev-keys table {{ border-collapse: collapse; }}
  .dev-keys td, .dev-keys th {{ padding: 2px 12px 2px 0; text-align: left; }}
</style>
</head>
<body>
<section class="dev-keys" id="dev-keys">
  <h1>{title}</h1>
  <p>Served by focus-mock at <code>{base}</code>. Send one of these keys as <code>X-API-Key</code>;
  the first is already filled in for "Try it out".
  The spec itself: <a href="openapi.yaml">openapi.yaml</a>.</p>
  {keys}
</section>
{body}
</body>
</html>
"""

SWAGGER_HEAD = '<link rel="stylesheet" href="docs/assets/swagger-ui.css">'
SWAGGER_BODY = """<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/assets/swagger-ui-standalone-preset.js"></script>
<script>
  const settings = {settings};
  window.ui = SwaggerUIBundle({{
    urls: settings.urls,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
    onComplete: () => {{
      if (settings.key) window.ui.preauthorizeApiKey("ApiKeyAuth", settings.key);
    }},
  }});
</script>"""
MISSING_ASSETS = (
    "<p style='padding: 0 24px'>Swagger UI's files were not found (the <code>swagger-ui-py</code> "
    "package is missing); read the spec at <a href='openapi.yaml'>openapi.yaml</a>.</p>"
)


@lru_cache(maxsize=4)
def _as_yaml(spec: Spec) -> str:
    return yaml.safe_dump(spec.document, sort_keys=False, allow_unicode=True)


def docs_routes(spec: Spec, config: Config, *, control: bool) -> list[Route]:
    folder = assets_dir()
    title = str(spec.document["info"]["title"])
    documents = [{"url": "openapi.json", "name": title}]
    if control:
        documents.append({"url": "__mock/openapi.json", "name": "focus-mock control plane"})

    async def page(request: Request) -> Response:
        settings = {"urls": documents, "key": config.users[0].api_key if config.users else None}
        head, body = (
            (SWAGGER_HEAD, SWAGGER_BODY.format(settings=_script_json(settings)))
            if folder
            else ("", MISSING_ASSETS)
        )
        text = PAGE.format(
            title=html.escape(title),
            base=html.escape(base_url(request)),
            keys=_keys_table(config),
            head=head,
            body=body,
        )
        return HTMLResponse(text)

    async def to_page(request: Request) -> Response:
        """``/docs/`` is ``/docs``: the page's links are relative to ``/``, so it is sent there."""
        query = request.url.query
        return RedirectResponse(DOCS_PATH + (f"?{query}" if query else ""), status_code=308)

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if folder is None or name not in ASSETS:
            raise errors.route_not_found(request.method, request.url.path)
        return FileResponse(folder / name, media_type=ASSETS[name], headers={"Cache-Control": "max-age=3600"})

    async def spec_json(request: Request) -> Response:
        document = dict(spec.document)
        here = {"url": base_url(request), "description": "this focus-mock"}
        document["servers"] = [here] + [
            s for s in spec.document.get("servers", []) if s.get("url") != here["url"]
        ]
        return JSONResponse(document)

    async def spec_yaml(request: Request) -> Response:
        return Response(_as_yaml(spec), media_type="application/yaml")

    return [
        Route(DOCS_PATH, page, methods=["GET"]),
        Route(DOCS_PATH + "/", to_page, methods=["GET"]),
        Route(DOCS_PATH + "/assets/{name}", asset, methods=["GET"]),
        Route("/openapi.json", spec_json, methods=["GET"]),
        Route("/openapi.yaml", spec_yaml, methods=["GET"]),
    ]
