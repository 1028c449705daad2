"""CORS, so a frontend served from its own dev server (say ``localhost:5173``) can call the mock.

The browser's preflight carries no API key, so CORS sits outside the gateway:
preflights are answered before the ``401`` check (I13 still holds for every
real request). The default admits any localhost origin on any port; the
``--cors-origin`` flag replaces that list (``*`` admits every origin).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

LOCALHOST_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?"
REQUEST_HEADERS = ("X-API-Key", "Content-Type", "Prefer")
EXPOSED_HEADERS = ("X-Request-ID", "Location", "Retry-After", "Allow")


def cors_middleware(methods: Iterable[str], origins: Sequence[str] | None = None) -> Middleware:
    """CORS for ``methods`` from ``origins`` (None: any localhost origin)."""
    return Middleware(
        CORSMiddleware,
        allow_origins=list(origins or ()),
        allow_origin_regex=None if origins else LOCALHOST_ORIGINS,
        allow_methods=sorted(set(methods)),
        allow_headers=list(REQUEST_HEADERS),
        expose_headers=list(EXPOSED_HEADERS),
        allow_private_network=True,
        max_age=600,
    )
