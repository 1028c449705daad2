"""Invalid input gets a 422 that says what to fix, or a 413; never a 5xx (I11)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from spec_client import WorldClient
from world import ALICE, NEVER_EXISTED, end_path, key, session_path, sessions_path

from mockserver.validation import MAX_BODY_BYTES

JSON = {**key(ALICE), "content-type": "application/json"}
VALID = b'{"goal": "focus", "target_minutes": 60}'


@pytest.fixture(scope="module")
def client(shared_client: WorldClient) -> WorldClient:
    """A 422 or 413 depends on nothing but the request, so the module shares one app."""
    return shared_client


def post(client: WorldClient, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.post(sessions_path(), content=body, headers=JSON if headers is None else headers)


def problems(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["type"]) == ("VALIDATION_ERROR", "validation_error")
    listed = error["details"]["errors"]
    assert listed, "a 422 must say what to fix"
    assert all(item["message"] for item in listed)
    return listed


def fields(response: httpx.Response) -> list[str]:
    return [item["field"] for item in problems(response)]


def test_i11_a_valid_body_is_accepted(client: WorldClient) -> None:
    assert post(client, VALID).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        b'{"goal": "focus", "target_minutes": 60',
        b'{"goal": "focus" "target_minutes": 60}',
        b"{'goal': 'focus', 'target_minutes': 60}",
        b'{"goal": "focus", "target_minutes": 60,}',
        b'{"goal": "focus", "target_minutes": 60} trailing',
        b"goal=focus&target_minutes=60",
        b"\xef\xbb\xbf" + VALID,
    ],
    ids=["unclosed", "no-comma", "single-quotes", "trailing-comma", "trailing-text", "form", "bom"],
)
def test_i11_malformed_json_is_422_on_the_body(client: WorldClient, body: bytes) -> None:
    assert fields(post(client, body)) == ["body"]


def test_i11_a_byte_order_mark_is_named_in_words_a_client_can_act_on(client: WorldClient) -> None:
    (error,) = post(client, b"\xef\xbb\xbf" + VALID).json()["error"]["details"]["errors"]
    assert error == {
        "field": "body",
        "message": "starts with a byte order mark (U+FEFF); send the JSON without it",
    }


@pytest.mark.parametrize(
    ("number", "message"),
    [
        (b"60.5", "must be a whole number, not 60.5"),
        (b"1e400", "must be a whole number, not one too large to read"),
    ],
)
def test_i11_a_fraction_where_a_whole_number_belongs_is_named_as_such(
    client: WorldClient, number: bytes, message: str
) -> None:
    body = b'{"goal": "focus", "target_minutes": ' + number + b"}"
    problems = post(client, body).json()["error"]["details"]["errors"]
    assert {"field": "target_minutes", "message": message} in problems


@pytest.mark.parametrize("body", [b"", b"   ", b"\n"], ids=["empty", "spaces", "newline"])
def test_i11_an_empty_body_is_422(client: WorldClient, body: bytes) -> None:
    assert fields(post(client, body)) == ["body"]


@pytest.mark.parametrize("body", [b"[]", b"null", b'"focus"', b"60", b"true"])
def test_i11_a_body_that_is_not_an_object_is_422(client: WorldClient, body: bytes) -> None:
    assert fields(post(client, body)) == ["body"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"goal": 1, "target_minutes": 60}', "goal"),
        (b'{"goal": ["focus"], "target_minutes": 60}', "goal"),
        (b'{"goal": null, "target_minutes": 60}', "goal"),
        (b'{"goal": "focus", "engine": 7, "target_minutes": 60}', "engine"),
        (b'{"goal": "focus", "engine": null, "target_minutes": 60}', "engine"),
        (b'{"goal": "focus", "target_minutes": "60"}', "target_minutes"),
        (b'{"goal": "focus", "target_minutes": 60.5}', "target_minutes"),
        (b'{"goal": "focus", "target_minutes": null}', "target_minutes"),
        (b'{"goal": "focus", "target_minutes": {"value": 60}}', "target_minutes"),
    ],
)
def test_i11_a_wrong_type_is_422_naming_the_field(client: WorldClient, body: bytes, field: str) -> None:
    assert fields(post(client, body)) == [field]


@pytest.mark.parametrize("value", [b"true", b"false"])
def test_i11_a_boolean_is_not_an_integer(client: WorldClient, value: bytes) -> None:
    response = post(client, b'{"goal": "focus", "target_minutes": ' + value + b"}")
    assert problems(response) == [{"field": "target_minutes", "message": "must be an integer, not a boolean"}]


def test_i11_missing_fields_are_each_listed(client: WorldClient) -> None:
    assert fields(post(client, b'{"target_minutes": 60}')) == ["goal"]
    assert fields(post(client, b'{"goal": "focus"}')) == ["target_minutes"]
    assert fields(post(client, b"{}")) == ["goal", "target_minutes"]


def test_i11_unknown_fields_are_named(client: WorldClient) -> None:
    response = post(client, b'{"goal": "focus", "target_minutes": 60, "mood": "calm", "Goal": "x"}')
    assert sorted(fields(response)) == ["Goal", "mood"]
    assert all("goal, engine, target_minutes" in p["message"] for p in problems(response))


def test_i11_every_problem_is_reported_at_once(client: WorldClient) -> None:
    response = post(client, b'{"goal": "Focus", "engine": 1, "target_minutes": 0, "x": 1}')
    assert fields(response) == ["engine", "goal", "target_minutes", "x"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (b"0", "must be at least 1"),
        (b"-1", "must be at least 1"),
        (b"481", "must be at most 480"),
        (b"100000000000000000000000", "must be at most 480"),
        (b"-0", "must be at least 1"),
    ],
)
def test_i11_out_of_range_target_minutes_is_422(client: WorldClient, value: bytes, message: str) -> None:
    response = post(client, b'{"goal": "focus", "target_minutes": ' + value + b"}")
    assert problems(response) == [{"field": "target_minutes", "message": message}]


@pytest.mark.parametrize("value", [b"1", b"480", b"60.0", b"6e1", b"1.0e2"])
def test_i11_integral_numbers_in_range_are_accepted(client: WorldClient, value: bytes) -> None:
    response = post(client, b'{"goal": "focus", "target_minutes": ' + value + b"}")
    assert response.status_code == 201
    assert type(response.json()["target_minutes"]) is int


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/jsonx",
        "application/problem+json",
    ],
)
def test_i11_a_wrong_or_missing_content_type_is_422(client: WorldClient, content_type: str | None) -> None:
    headers = key(ALICE) if content_type is None else {**key(ALICE), "content-type": content_type}
    assert fields(post(client, VALID, headers)) == ["Content-Type"]


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON"])
def test_i11_json_content_type_variants_are_accepted(client: WorldClient, content_type: str) -> None:
    assert post(client, VALID, {**key(ALICE), "content-type": content_type}).status_code == 201


def test_i11_duplicate_keys_are_422_naming_the_key(client: WorldClient) -> None:
    response = post(client, b'{"goal": "focus", "target_minutes": 60, "goal": "sleep"}')
    assert fields(response) == ["goal"]
    assert "more than once" in problems(response)[0]["message"]


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_i11_nan_and_infinity_are_not_json(client: WorldClient, constant: bytes) -> None:
    response = post(client, b'{"goal": "focus", "target_minutes": ' + constant + b"}")
    assert fields(response) == ["body"]


def test_i11_a_number_too_large_for_a_float_is_refused(client: WorldClient) -> None:
    response = post(client, b'{"goal": "focus", "target_minutes": 1e400}')
    assert set(fields(response)) == {"target_minutes"}


def test_i11_an_integer_with_thousands_of_digits_is_422_not_500(client: WorldClient) -> None:
    """Regression: Python refuses to read integers over 4300 digits, which escaped as a 500."""
    response = post(client, b'{"goal": "focus", "target_minutes": ' + b"9" * 5000 + b"}")
    assert fields(response) == ["body"]
    assert "digits" in problems(response)[0]["message"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"goal": "f\xffcus", "target_minutes": 60}',
        b'{"goal": "focus", "target_minutes": 60}\xc3',
        b"\xfe\xff",
    ],
)
def test_i11_a_body_that_is_not_utf8_is_422(client: WorldClient, body: bytes) -> None:
    response = post(client, body)
    assert fields(response) == ["body"]
    assert "UTF-8" in problems(response)[0]["message"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"goal": "focus", "target_minutes": 60, "\\ud800": 1}',
        b'{"goal": "focus", "target_minutes": 60, "\\udc00x": 1, "\\udc00x": 2}',
        b'{"goal": "focus\\ud800", "target_minutes": 60}',
    ],
    ids=["unknown-key", "duplicate-key", "value"],
)
def test_i11_an_unpaired_surrogate_escape_is_422_not_a_crash(client: WorldClient, body: bytes) -> None:
    """Regression: a lone UTF-16 surrogate in a key was echoed into the error and could not be encoded."""
    response = post(client, body)
    assert fields(response) == ["body"]
    assert "surrogate" in problems(response)[0]["message"]


def test_i11_a_paired_surrogate_escape_is_ordinary_text(client: WorldClient) -> None:
    response = post(client, b'{"goal": "focus", "target_minutes": 60, "\\ud83c\\udfb5": 1}')
    assert fields(response) == ["\N{MUSICAL NOTE}"]


@pytest.mark.parametrize("depth", [100, 10_000, 200_000])
def test_i11_deeply_nested_json_is_422(client: WorldClient, depth: int) -> None:
    nested = b"[" * depth + b"]" * depth
    response = post(client, b'{"goal": ' + nested + b', "target_minutes": 60}')
    assert fields(response) in (["body"], ["goal"])


def test_i11_a_body_over_one_mib_is_413(client: WorldClient) -> None:
    padding = b" " * (MAX_BODY_BYTES + 1 - len(VALID))
    response = post(client, VALID + padding)
    _assert_too_large(response)


def test_i11_a_body_of_exactly_one_mib_is_read(client: WorldClient) -> None:
    padding = b" " * (MAX_BODY_BYTES - len(VALID))
    assert post(client, VALID + padding).status_code == 201


def test_i11_an_announced_oversize_body_is_413_before_it_is_read(client: WorldClient) -> None:
    response = post(client, VALID, {**JSON, "content-length": str(MAX_BODY_BYTES + 1)})
    _assert_too_large(response)


def test_i11_an_oversize_chunked_body_is_413(client: WorldClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"goal": "focus", "target_minutes": 60, "pad": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    response = client.post(sessions_path(), content=chunks(), headers=JSON)
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    _assert_too_large(response)


def test_i11_a_small_chunked_body_is_read(client: WorldClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield VALID[:10]
        yield VALID[10:]

    assert client.post(sessions_path(), content=chunks(), headers=JSON).status_code == 201


@pytest.mark.parametrize(
    ("method", "path"), [("GET", session_path(NEVER_EXISTED)), ("POST", end_path(NEVER_EXISTED))]
)
def test_i11_an_announced_oversize_body_is_413_on_any_operation(
    client: WorldClient, method: str, path: str
) -> None:
    response = client.request(method, path, content=b"{}", headers={**JSON, "content-length": "2000000"})
    _assert_too_large(response)


def _assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "PAYLOAD_TOO_LARGE"
    assert error["details"] == {"max_bytes": MAX_BODY_BYTES}
