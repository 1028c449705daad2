"""API keys: compared in constant time, and never written anywhere a request can be read back.

Constant time is checked on the implementation, not with a stopwatch: every
authentication compares the offered key with *every* known key through
``hmac.compare_digest``, so a known key, an unknown key and a key that shares
a long prefix with a real one all cost the same comparisons.

Secrecy: requests carrying known and unknown keys go through every kind of
answer (success, 401, 403, 404, 405, 413, 422, forced errors, faults armed for a
key); neither the log, nor the journal, nor the faults list, nor any answer's
body or headers may contain a key, or any eight characters of one.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator

import httpx
import pytest
from live_mock import LiveMock
from spec_client import SpecClient
from world import START

from mockserver import identity
from mockserver.app import create_app
from mockserver.clock import VirtualClock
from mockserver.config import load_config
from mockserver.control import load_document
from mockserver.spec import Spec

KNOWN = ("alice-dev-key", "bob-dev-key", "carol-dev-key")
UNKNOWN = ("sk-live-7f9a2c41e0b5d8aa", "alice-dev-kez", "x" * 300)
SESSIONS = "/v1/music/org_abc123/focus/sessions"
WINDOW = 8


REAL_COMPARE = hmac.compare_digest


class CountingCompare:
    """Stands in for ``hmac.compare_digest``: same answer, and a record of each comparison."""

    def __init__(self) -> None:
        self.calls: list[tuple[bytes, bytes]] = []

    def __call__(self, a: bytes, b: bytes) -> bool:
        self.calls.append((a, b))
        return REAL_COMPARE(a, b)


@pytest.fixture
def compare(monkeypatch: pytest.MonkeyPatch) -> CountingCompare:
    counting = CountingCompare()
    monkeypatch.setattr(identity.hmac, "compare_digest", counting)
    return counting


@pytest.mark.parametrize("offered", [*KNOWN, *UNKNOWN, "alice-dev-ke", "a"], ids=lambda k: k[:20])
def test_every_known_key_is_compared_whatever_is_offered(compare: CountingCompare, offered: str) -> None:
    """D2: one constant-time comparison per known key, for a match and a miss alike."""
    config = load_config(None)
    found = identity.Identities(config.users).authenticate(offered)
    assert (found is not None) == (offered in KNOWN)
    assert len(compare.calls) == len(config.users)
    assert {stored for _, stored in compare.calls} == {user.api_key.encode() for user in config.users}
    assert all(isinstance(a, bytes) and isinstance(b, bytes) for a, b in compare.calls)


@pytest.mark.parametrize("offered", [KNOWN[0], UNKNOWN[0]], ids=["known", "unknown"])
def test_a_request_costs_the_same_comparisons_with_a_known_or_unknown_key(
    compare: CountingCompare, client: SpecClient, offered: str
) -> None:
    """Through the gateway too: the count does not tell a valid key from an invalid one."""
    client.get(f"{SESSIONS}/mfocus_000000000000", headers={"X-API-Key": offered})
    assert len(compare.calls) == len(load_config(None).users)


def _windows(key: str) -> set[str]:
    return {key[i : i + WINDOW] for i in range(max(len(key) - WINDOW + 1, 1))}


def _leaks(text: str) -> list[str]:
    return sorted({piece for key in (*KNOWN, *UNKNOWN) for piece in _windows(key) if piece in text})


def _every_kind_of_answer(client: httpx.Client) -> list[httpx.Response]:
    """One request per kind of answer, each carrying a key; the answers, for inspection."""
    answers: list[httpx.Response] = []

    def send(method: str, path: str, key: str, **kwargs: object) -> httpx.Response:
        headers = {"X-API-Key": key, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        answer = client.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]
        answers.append(answer)
        return answer

    started = send("POST", SESSIONS, KNOWN[0], json={"goal": "focus", "target_minutes": 10})
    session = f"{SESSIONS}/{started.json()['session_id']}"
    for key in (*KNOWN, *UNKNOWN):
        send("GET", session, key)  # 200, 404 (Bob), 403 (Carol), 401 (unknown keys)
        send("POST", f"{session}/end", key, headers={"Prefer": "code=500"})
    send("POST", SESSIONS, KNOWN[1], content=b"{", headers={"Content-Type": "application/json"})  # 422
    send(
        "POST",
        SESSIONS,
        KNOWN[1],
        content=b" " * (1024 * 1024 + 1),
        headers={"Content-Type": "application/json"},
    )
    send("DELETE", session, KNOWN[0])  # 405
    send("GET", "/nowhere", KNOWN[2])  # 404 route
    for key in (KNOWN[1], UNKNOWN[0]):  # a fault armed for a key, and one refused for an unknown key
        answers.append(
            client.post(
                "/__mock/faults", json={"operation": "getFocusSession", "status": 500, "api_key": key}
            )
        )
    send("GET", session, KNOWN[1])  # the fault fires
    answers += [client.get("/__mock/faults"), client.get("/__mock/journal"), client.get("/__mock/sessions")]
    return answers


@pytest.fixture
def client(spec: Spec) -> Iterator[SpecClient]:
    app = create_app(load_config(None), VirtualClock(START), spec=spec)
    with SpecClient(app, spec, app.routes, load_document()) as spec_client:
        spec_client.allow_server_errors = True  # Prefer: code=500 is asked for
        yield spec_client


def test_keys_never_reach_logs_journal_faults_or_answers(
    client: SpecClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        answers = _every_kind_of_answer(client)
    assert {a.status_code for a in answers} >= {200, 201, 401, 403, 404, 405, 413, 422, 500}
    for answer in answers:
        shown = answer.text + "".join(f"{k}: {v}\n" for k, v in answer.headers.items())
        assert not _leaks(shown), (answer.request.method, answer.request.url.path, _leaks(shown))
    assert caplog.records, "nothing was logged, so nothing was checked"
    assert not _leaks(caplog.text), _leaks(caplog.text)


def test_keys_never_reach_the_log_of_a_real_process() -> None:
    """The command users run logs one line per request (not --quiet): none with a key in it."""
    with LiveMock("--clock", "virtual", quiet=False) as mock, mock.client() as client:
        answers = _every_kind_of_answer(client)
        last = client.get("/__mock/clock").headers["x-request-id"]
        for _ in range(500):  # lines are written in order: once the last is there, all are
            log = mock.log()
            if last in log:
                break
            client.get("/__mock/clock")
    assert len(answers) > 20 and last in log
    assert not _leaks(log), _leaks(log)
