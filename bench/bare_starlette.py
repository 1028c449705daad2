"""The ceiling: one Starlette route per operation answering the spec's example, nothing else.

``python -m bench.bare_starlette --port P [--validate none|jsonschema|jsonschema-rs]``

No authentication, no store, no logging: what uvicorn and Starlette cost on
this machine. ``--validate`` adds only a JSON Schema check of each response
(and of the start request body) against the spec, to show what validation
alone costs with the pure-Python and the Rust validator.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

SPEC = Path(__file__).resolve().parent.parent / "openapi" / "focus-sessions.yaml"
SESSIONS = "/v1/music/{organization_id}/focus/sessions"

Check = Callable[[Any], None]


def _example(document: dict[str, Any], path: str, method: str, status: str) -> Any:
    return document["paths"][path][method]["responses"][status]["content"]["application/json"]["example"]


def _checker(document: dict[str, Any], schema_name: str, kind: str) -> Check:
    """A function raising on an invalid instance of ``components.schemas[schema_name]``."""
    if kind == "none":
        return lambda _: None
    schema = {"components": document["components"], "$ref": f"#/components/schemas/{schema_name}"}
    if kind == "jsonschema-rs":
        import jsonschema_rs

        return jsonschema_rs.validator_for(schema, validate_formats=True).validate
    import jsonschema

    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return validator.validate


def build_app(validate: str = "none") -> Starlette:
    document = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    session_item = SESSIONS + "/{session_id}"
    got = _example(document, session_item, "get", "200")
    ended = _example(document, session_item + "/end", "post", "200")
    started = _example(document, SESSIONS, "post", "201")
    check_session = _checker(document, "FocusSession", validate)
    check_start = _checker(document, "StartFocusSessionRequest", validate)

    async def get_session(request: Request) -> JSONResponse:
        check_session(got)
        return JSONResponse(got)

    async def end_session(request: Request) -> JSONResponse:
        check_session(ended)
        return JSONResponse(ended)

    async def start_session(request: Request) -> JSONResponse:
        check_start(json.loads(await request.body()))
        check_session(started)
        return JSONResponse(started, status_code=201)

    return Starlette(
        routes=[
            Route(session_item, get_session, methods=["GET"]),
            Route(session_item + "/end", end_session, methods=["POST"]),
            Route(SESSIONS, start_session, methods=["POST"]),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_starlette")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--validate", choices=("none", "jsonschema", "jsonschema-rs"), default="none")
    args = parser.parse_args(argv)
    uvicorn.run(
        build_app(args.validate),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
