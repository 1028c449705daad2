"""The OpenAPI document itself: valid, self-consistent, and faithful to the published page."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from openapi_spec_validator import validate
from spec_client import WorldClient
from world import ALICE, key, without_volatile

from contracts.lint import error_response_problems, example_problems, examples, nodes
from mockserver.spec import Spec

SEED = json.loads((Path(__file__).parent / "data" / "seed_examples.json").read_text(encoding="utf-8"))
CLAUSES = {f"D{n}" for n in range(1, 13)} | {f"I{n}" for n in range(1, 15)}
SEED_SESSION_ID = SEED["error_404"]["error"]["details"]["session_id"]


def test_the_spec_is_valid_openapi_3_1(spec: Spec) -> None:
    assert spec.document["openapi"].startswith("3.1")
    validate(spec.document)


def test_every_example_validates_against_its_schema(spec: Spec) -> None:
    assert len(list(examples(spec))) >= 25, "the walk found too few examples to be trusted"
    assert example_problems(spec) == []


def test_the_example_walk_sees_every_kind_of_example(spec: Spec) -> None:
    wheres = [where for where, _, _ in examples(spec)]
    assert any("/parameters/" in w and w.endswith("/example") for w in wheres)
    assert any("/headers/" in w for w in wheres)
    assert any("/content/application~1json/examples/" in w for w in wheres)
    assert any("/components/schemas/" in w and "/examples/" in w for w in wheres)


def test_the_example_walk_catches_a_bad_example(spec: Spec) -> None:
    broken = Spec(json.loads(json.dumps(spec.document)))
    broken.document["components"]["schemas"]["TargetMinutes"]["examples"] = [0]
    failures = [w for w, s, v in examples(broken) if not broken.validator(s).is_valid(v)]
    assert failures == ["/components/schemas/TargetMinutes/examples/0"]


def test_every_operation_documents_its_error_answers_each_with_an_example(spec: Spec) -> None:
    assert error_response_problems(spec) == []


def test_every_inference_says_why_in_one_line(spec: Spec) -> None:
    problems = []
    for pointer, node in nodes(spec.document):
        reason = node.get("x-inferred-reason")
        if node.get("x-inferred") is True:
            if not isinstance(reason, str) or not reason.strip() or "\n" in reason.strip():
                problems.append(f"{pointer}: x-inferred needs a one-line x-inferred-reason")
        elif "x-inferred" in node or reason is not None:
            problems.append(f"{pointer}: x-inferred-reason without x-inferred: true")
    assert problems == []


def test_inferred_parts_are_marked_and_the_documented_end_is_not(spec: Spec) -> None:
    """End is the one published operation (D1); the siblings and their errors are inference."""
    marked = [node for _, node in nodes(spec.document) if node.get("x-inferred") is True]
    assert len(marked) >= 10
    assert "x-inferred" not in spec.resolve(spec.operations["endFocusSession"].pointer)
    for operation_id in ("startFocusSession", "getFocusSession", "promoteFocusSegment"):
        assert spec.resolve(spec.operations[operation_id].pointer)["x-inferred"] is True


def test_clause_references_are_known_clause_ids(spec: Spec) -> None:
    used = {c for _, node in nodes(spec.document) for c in node.get("x-clauses", [])}
    assert used <= CLAUSES
    assert {"D1", "D2", "D5", "D6", "D7", "D9", "D10"} <= used


def test_d8_the_session_schema_requires_the_documented_fields_in_their_order(spec: Spec) -> None:
    schema = spec.document["components"]["schemas"]["FocusSession"]
    assert schema["required"] == list(SEED["end_200"])
    assert list(schema["properties"]) == list(SEED["end_200"])


def test_the_documented_end_example_is_the_published_one(spec: Spec) -> None:
    op = spec.operations["endFocusSession"]
    media = spec.resolve(f"{op.pointer}/responses/200")["content"]["application/json"]
    assert media["example"] == SEED["end_200"]


@pytest.mark.parametrize(("status", "seeded"), [(401, "error_401"), (404, "error_404")])
def test_the_documented_end_errors_are_the_published_ones(spec: Spec, status: int, seeded: str) -> None:
    op = spec.operations["endFocusSession"]
    media = spec.resolve(f"{op.pointer}/responses/{status}")["content"]["application/json"]
    assert media["example"] == SEED[seeded]


def _end_unknown(client: WorldClient, headers: dict[str, str]) -> httpx.Response:
    return client.post(f"/v1/music/org_abc123/focus/sessions/{SEED_SESSION_ID}/end", headers=headers)


def test_d2_the_mocks_401_is_the_published_one_but_for_trace_id_and_timestamp(client: WorldClient) -> None:
    response = _end_unknown(client, {})
    assert response.status_code == 401
    assert without_volatile(response.json()) == without_volatile(SEED["error_401"])


def test_d7_the_mocks_404_is_the_published_one_but_for_trace_id_and_timestamp(client: WorldClient) -> None:
    response = _end_unknown(client, key(ALICE))
    assert response.status_code == 404
    assert without_volatile(response.json()) == without_volatile(SEED["error_404"])
