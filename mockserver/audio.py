"""A playable stand-in for every segment, so a UI's audio player has something to load.

One gentle two-minute tone, made once with the standard library and cached:
8 kHz, 8-bit mono keeps it under a megabyte. It is served at
``/__audio/<segment id>.wav`` for any well-formed segment id (the id's format
comes from the spec); any other name is a ``404`` in the error envelope. A
single byte range is answered with ``206``, as a browser's player asks when
the user seeks; anything else in ``Range`` is ignored, as RFC 9110 allows, and
gets the whole file.
"""

from __future__ import annotations

import io
import math
import re
import wave
from functools import lru_cache

import jsonschema
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import errors

RATE = 8000
SECONDS = 120
SUFFIX = ".wav"
MEDIA_TYPE = "audio/wav"
_ONE_RANGE = re.compile(r"bytes=([0-9]*)-([0-9]*)")


@lru_cache(maxsize=1)
def segment_wav() -> bytes:
    period = [
        int(128 + 40 * math.sin(2 * math.pi * 220 * n / RATE) + 20 * math.sin(2 * math.pi * 330 * n / RATE))
        for n in range(RATE)
    ]
    frames = bytes(period) * SECONDS
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(RATE)
        out.writeframes(frames)
    return buffer.getvalue()


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The first and last byte of a single satisfiable range in ``header``, else None (whole file)."""
    found = _ONE_RANGE.fullmatch((header or "").replace(" ", ""))
    if found is None or not (found[1] or found[2]):
        return None
    if not found[1]:  # bytes=-N: the last N bytes
        suffix = int(found[2])
        return (max(size - suffix, 0), size - 1) if suffix else None
    first = int(found[1])
    last = min(int(found[2]), size - 1) if found[2] else size - 1
    return (first, last) if first <= last and first < size else None


def audio_routes(prefix: str, segment_id: jsonschema.protocols.Validator) -> list[Route]:
    """``prefix/<segment id>.wav``; ``segment_id`` checks the id against the spec's format."""

    async def segment_audio(request: Request) -> Response:
        name: str = request.path_params["name"]
        if not (name.endswith(SUFFIX) and segment_id.is_valid(name.removesuffix(SUFFIX))):
            raise errors.ApiError(
                404,
                f"No audio at {request.url.path}; segment audio is at {prefix}/<segment_id>{SUFFIX}",
                {"path": request.url.path},
            )
        body = segment_wav()
        headers = {"Cache-Control": "public, max-age=3600", "Accept-Ranges": "bytes"}
        wanted = (
            None if "if-range" in request.headers else byte_range(request.headers.get("range"), len(body))
        )
        if wanted is None:
            return Response(body, media_type=MEDIA_TYPE, headers=headers)
        first, last = wanted
        headers["Content-Range"] = f"bytes {first}-{last}/{len(body)}"
        return Response(body[first : last + 1], status_code=206, media_type=MEDIA_TYPE, headers=headers)

    return [Route(prefix + "/{name}", segment_audio, methods=["GET"])]
