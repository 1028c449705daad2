"""``/__audio/<segment id>.wav``: a playable stand-in, seekable, outside the API's key and journal."""

from __future__ import annotations

import httpx
import pytest

from mockserver.audio import segment_wav
from mockserver.handlers import AUDIO_PATH

from .conftest import ALICE, SESSIONS, start_session

WAV = f"{AUDIO_PATH}/mseg_3b9d2e7a4c1f.wav"
SIZE = len(segment_wav())


def test_a_segment_of_a_session_plays(client: httpx.Client) -> None:
    session = start_session(client)
    client.app.state.service.clock.advance(3)  # type: ignore[attr-defined]
    segment = client.get(f"{SESSIONS}/{session['session_id']}", headers=ALICE).json()["segments"][0]
    answer = client.get(segment["audio_url"])
    assert answer.status_code == 200 and answer.headers["content-type"] == "audio/wav"
    assert answer.content[:4] == b"RIFF" and answer.headers["accept-ranges"] == "bytes"


@pytest.mark.parametrize(
    "name",
    ["x", "mseg_3b9d2e7a4c1f", "mseg_3B9D2E7A4C1F.wav", "mseg_3b9d2e7a4c1.wav", "mfocus_3b9d2e7a4c1f.wav"],
)
def test_any_other_name_is_a_404_in_the_envelope(client: httpx.Client, name: str) -> None:
    """Regression: any name at all got the tone with a 200."""
    answer = client.get(f"{AUDIO_PATH}/{name}")
    assert answer.status_code == 404 and answer.headers["content-type"] == "application/json"
    error = answer.json()["error"]
    assert error["code"] == "RESOURCE_NOT_FOUND" and error["trace_id"] == answer.headers["X-Request-ID"]
    assert "<segment_id>.wav" in error["system_message"]


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=0-99", 0, 99), ("bytes=1000-", 1000, SIZE - 1), ("bytes=-44", SIZE - 44, SIZE - 1)],
)
def test_one_byte_range_is_a_206(client: httpx.Client, header: str, first: int, last: int) -> None:
    """A browser's player seeks with Range; regression: it got the whole file with a 200."""
    answer = client.get(WAV, headers={"Range": header})
    assert answer.status_code == 206
    assert answer.headers["content-range"] == f"bytes {first}-{last}/{SIZE}"
    assert answer.content == segment_wav()[first : last + 1]


def test_a_range_past_the_end_is_cut_to_the_end(client: httpx.Client) -> None:
    answer = client.get(WAV, headers={"Range": f"bytes={SIZE - 10}-{SIZE + 500}"})
    assert answer.status_code == 206 and answer.content == segment_wav()[-10:]


@pytest.mark.parametrize(
    "header",
    ["bytes=0-9,20-29", f"bytes={SIZE}-", "bytes=9-3", "bytes=-0", "bytes=-", "items=0-9", "bytes=x-"],
)
def test_any_other_range_gets_the_whole_file(client: httpx.Client, header: str) -> None:
    """RFC 9110 lets a server ignore Range; several ranges or nonsense get the plain 200."""
    answer = client.get(WAV, headers={"Range": header})
    assert answer.status_code == 200 and answer.content == segment_wav()


def test_audio_is_not_journaled(client: httpx.Client) -> None:
    """Regression: audio requests filled the journal, which the README says holds API requests only."""
    client.get(WAV)
    client.get(f"{AUDIO_PATH}/nope")
    assert client.get("/__mock/journal").json()["entries"] == []
