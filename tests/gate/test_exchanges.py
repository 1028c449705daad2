"""Which request proved a failure, shown without keys, and a curl that sends it again."""

from __future__ import annotations

import json
import shlex

import requests

from contracts.exchanges import BODY_LIMIT, Exchange, ExchangeLog, curl_command, evidence, proving_exchange

BASE = "http://127.0.0.1:4010/v1/music/org_abc123/focus/sessions"
KEYS = {"alice-dev-key": "FOCUS_API_KEY", "bob-dev-key": "FOCUS_PEER_API_KEY"}


def answered(
    method: str,
    url: str,
    status: int,
    body: object = None,
    *,
    key: str | None = "alice-dev-key",
    sent: object = None,
) -> requests.Response:
    headers = {"X-API-Key": key} if key is not None else {}
    request = requests.Request(method, url, headers=headers, json=sent).prepare()
    response = requests.Response()
    response.request = request
    response.status_code = status
    response.headers["Content-Type"] = "application/json"
    response._content = json.dumps(body).encode() if body is not None else b""
    return response


def log_of(*responses: requests.Response) -> ExchangeLog:
    log = ExchangeLog()
    log.begin_test()
    for response in responses:
        log.observe(response)
    return log


def test_the_answer_a_failure_quotes_is_chosen_over_later_requests() -> None:
    log = log_of(
        answered("POST", BASE, 201, {"session_id": "mfocus_aaaaaaaaaaaa"}),
        answered("POST", f"{BASE}/mfocus_aaaaaaaaaaaa/end", 404, {"success": False}),
        answered("GET", f"{BASE}/mfocus_aaaaaaaaaaaa", 200, {"status": "ended"}),
        answered("POST", "http://127.0.0.1:4010/__mock/clock/advance", 200, {}),
    )
    message = (
        "D6: expected HTTP 200, got 404\n"
        "answer: POST /v1/music/org_abc123/focus/sessions/mfocus_aaaaaaaaaaaa/end -> 404 {}"
    )
    found = proving_exchange(log.since_test_began(), message)
    assert found is not None
    exchange, how = found
    assert (exchange.method, exchange.status, how) == ("POST", 404, "named in the failure")


def test_a_schemathesis_failure_is_matched_by_its_curl_and_status() -> None:
    log = log_of(
        answered("POST", BASE, 201, {"session_id": "mfocus_bbbbbbbbbbbb"}),
        answered(
            "POST", f"{BASE}/mfocus_bbbbbbbbbbbb/end", 200, {"status": "ended"}
        ),  # clean-up after the failure
    )
    message = (
        "Schemathesis found 1 distinct failure\n\n- Response violates schema\n\n[201] Created:\n\n"
        f"Reproduce with:\n\n    curl -X POST -H 'X-API-Key: [Filtered]' -d '{{}}' {BASE}\n"
    )
    found = proving_exchange(log.since_test_began(), message)
    assert found is not None and found[0].status == 201 and found[0].url == BASE


def test_without_a_mention_the_last_api_request_is_taken_and_said_so() -> None:
    log = log_of(
        answered("GET", f"{BASE}/mfocus_cccccccccccc", 200, {}),
        answered("POST", "http://127.0.0.1:4010/__mock/clock/advance", 200, {}),
    )
    found = proving_exchange(log.since_test_began(), "I7: ready_count went down")
    assert found is not None
    assert found[0].method == "GET" and found[1] == "the test's last request"
    assert proving_exchange([], "anything") is None


def test_only_the_current_tests_exchanges_count() -> None:
    log = log_of(answered("GET", f"{BASE}/mfocus_dddddddddddd", 200, {}))
    log.begin_test()
    log.observe(answered("GET", f"{BASE}/mfocus_eeeeeeeeeeee", 404, {}))
    assert [e.url.rsplit("/", 1)[1] for e in log.since_test_began()] == ["mfocus_eeeeeeeeeeee"]


def test_the_evidence_masks_every_key_and_the_curl_takes_it_from_the_environment() -> None:
    response = answered(
        "POST",
        BASE,
        422,
        {"error": {"message": "bad key bob-dev-key echoed"}},
        key="bob-dev-key",
        sent={"goal": "it's alice-dev-key", "target_minutes": 60},
    )
    shown = evidence(Exchange.of(1, response), "named in the failure", KEYS)
    text = json.dumps(shown)
    assert not [key for key in KEYS if key in text]
    assert shown["request"]["headers"]["X-API-Key"] == "[redacted]"
    assert shown["response"]["status"] == 422 and "[redacted] echoed" in shown["response"]["body"]
    words = shlex.split(shown["curl"])
    assert words[:5] == ["curl", "-i", "-X", "POST", BASE]
    assert "X-API-Key: $FOCUS_PEER_API_KEY" in words  # expanded by the shell that runs it
    assert json.loads(words[words.index("--data-binary") + 1]) == {
        "goal": "it's [redacted]",
        "target_minutes": 60,
    }


def test_an_unknown_key_is_shown_as_sent_since_the_failure_may_be_about_it() -> None:
    curl = curl_command(Exchange.of(1, answered("GET", BASE, 200, {}, key="wrong-key")), KEYS)
    assert "-H 'X-API-Key: wrong-key'" in curl


def test_a_large_body_is_cut_in_the_report_and_not_spelled_out_in_the_curl() -> None:
    response = answered("POST", BASE, 413, {}, sent={"goal": "x" * (2 * BODY_LIMIT)})
    exchange = Exchange.of(1, response)
    shown = evidence(exchange, "named in the failure", KEYS)
    assert len(shown["request"]["body"]) < BODY_LIMIT + 100
    assert shown["request"]["body"].endswith("bytes in all)")
    assert "--data-binary @request-body" in shown["curl"] and "xxxx" not in shown["curl"]
