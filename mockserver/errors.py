"""The documented error envelope (D10), raised anywhere and rendered in one place."""

from __future__ import annotations

from typing import Any

from .clock import isoformat


class ApiError(Exception):
    """An answer in the error envelope. ``code``/``type``/``message`` come from the spec."""

    def __init__(
        self,
        status: int,
        system_message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(system_message)
        self.status = status
        self.system_message = system_message
        self.details = details or {}
        self.headers = headers or {}


def unauthorized() -> ApiError:
    return ApiError(401, "Missing or invalid authorization header")


def forbidden(organization_id: str) -> ApiError:
    return ApiError(
        403,
        f"Caller is not a member of organization {organization_id}",
        {"organization_id": organization_id},
    )


def session_not_found(session_id: str) -> ApiError:
    return ApiError(404, "Focus session not found", {"session_id": session_id})


def segment_not_found(segment_id: str) -> ApiError:
    return ApiError(404, "Focus segment not found", {"segment_id": segment_id})


def route_not_found(method: str, path: str) -> ApiError:
    return ApiError(404, f"No route matches {method} {path}", {"path": path})


def method_not_allowed(method: str, allowed: list[str]) -> ApiError:
    return ApiError(
        405,
        f"{method} is not allowed on this path; use {', '.join(allowed)}",
        {"method": method, "allowed": allowed},
        {"Allow": ", ".join(allowed)},
    )


def payload_too_large(limit: int) -> ApiError:
    return ApiError(413, f"Request body exceeds {limit} bytes", {"max_bytes": limit})


def validation_failed(errors: list[dict[str, str]]) -> ApiError:
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return ApiError(422, summary, {"errors": errors})


def internal_error() -> ApiError:
    return ApiError(500, "Unexpected server error")


def envelope(
    error: ApiError, templates: dict[int, dict[str, str]], trace_id: str, now: float
) -> dict[str, Any]:
    """The D10 body for ``error``; the stable fields come from the spec's examples."""
    template = templates[error.status]
    return {
        "success": False,
        "error": {
            "code": template["code"],
            "message": template["message"],
            "system_message": error.system_message,
            "type": template["type"],
            "status": error.status,
            "details": error.details,
            "trace_id": trace_id,
            "timestamp": isoformat(now),
        },
    }
