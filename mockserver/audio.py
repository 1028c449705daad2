"""A playable stand-in for every segment, so a UI's audio player has something to load.

One gentle two-minute tone, made once with the standard library and cached:
8 kHz, 8-bit mono keeps it under a megabyte.
"""

from __future__ import annotations

import io
import math
import wave
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

RATE = 8000
SECONDS = 120


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


async def segment_audio(request: Request) -> Response:
    return Response(segment_wav(), media_type="audio/wav", headers={"Cache-Control": "public, max-age=3600"})


def audio_routes(prefix: str) -> list[Route]:
    return [Route(prefix + "/{name}", segment_audio, methods=["GET"])]
