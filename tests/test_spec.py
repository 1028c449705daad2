"""The OpenAPI document itself: valid, self-consistent, and faithful to the published page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate
from spec_client import WorldClient
from world import ALICE, key, without_volatile

from mockserver.spec import Spec

SEED = json.loads((Path(__file__).parent / "data" / "seed_examples.json").read_text(encoding="utf-8"))
CLAUSES = {f"D{n}" for n in range(1, 13)} | {f"I{n}" for n in range(1, 15)}
SEED_SESSION_ID = SEED["error_404"]["error"]["details"]["session_id"]


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _nodes(node: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """Every object in the document with its JSON pointer, not descending into example values."""
    if isinstance(node, dict):
        yield pointer, node
        for name, child in node.items():
            if name not in ("example", "examples"):
                yield from _nodes(child, f"{pointer}/{_escape(str(name))}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _nodes(child, f"{pointer}/{index}")


def _examples(spec: Spec) -> Iterator[tuple[str, str, Any]]:
    """(where, schema pointer, value) for every example the document gives."""
    for pointer, node in _nodes(spec.document):
        if isinstance(node.get("schema"), dict):  # media type, parameter or header object
            if "example" in node:
                yield f"{pointer}/example", f"{pointer}/schema", node["example"]
            for name, example in (node.get("examples") or {}).items():
                while "$ref" in example:
                    example = spec.resolve(example["$ref"].removeprefix("#"))
                yield f"{pointer}/examples/{name}", f"{pointer}/schema", example["value"]
        elif "schema" not in node:  # a schema object
            for index, value in enumerate(node.get("examples") or []):
                yield f"{pointer}/examples/{index}", pointer, value
            if "example" in node:
                yield f"{pointer}/example", pointer, node["example"]


def test_the_spec_is_valid_openapi_3_1(spec: Spec) -> None:
    assert spec.document["openapi"].startswith("3.1")
    validate(spec.document)


def test_every_example_validates_against_its_schema(spec: Spec) -> None:
    examples = list(_examples(spec))
    assert len(examples) >= 25, "the walk found too few examples to be trusted"
    failures = [
        f"{where}: {error.message}"
        for where, schema, value in examples
        for error in spec.validator(schema).iter_errors(value)
    ]
    assert failures == []


def test_the_example_walk_sees_every_kind_of_example(spec: Spec) -> None:
    wheres = [where for where, _, _ in _examples(spec)]
    assert any("/parameters/" in w and w.endswith("/example") for w in wheres)
    assert any("/headers/" in w for w in wheres)
    assert any("/content/application~1json/examples/" in w for w in wheres)
    assert any("/components/schemas/" in w and "/examples/" in w for w in wheres)


def test_the_example_walk_catches_a_bad_example(spec: Spec) -> None:
    broken = Spec(json.loads(json.dumps(spec.document)))
    broken.document["components"]["schemas"]["TargetMinutes"]["examples"] = [0]
    failures = [w for w, s, v in _examples(broken) if not broken.validator(s).is_valid(v)]
    assert failures == ["/components/schemas/TargetMinutes/examples/0"]


def test_every_error_response_has_an_example(spec: Spec) -> None:
    missing = []
    for op in spec.operations.values():
        for status in sorted(op.statuses):
            if status < 400:
                continue
            response = spec.resolve(f"{op.pointer}/responses/{status}")
            media = response["content"]["application/json"]
            if "example" not in media and not media.get("examples"):
                missing.append(f"{op.operation_id} {status}")
    assert missing == []


def test_every_inference_says_why_in_one_line(spec: Spec) -> None:
    problems = []
    for pointer, node in _nodes(spec.document):
        reason = node.get("x-inferred-reason")
        if node.get("x-inferred") is True:
            if not isinstance(reason, str) or not reason.strip() or "\n" in reason.strip():
                problems.append(f"{pointer}: x-inferred needs a one-line x-inferred-reason")
        elif "x-inferred" in node or reason is not None:
            problems.append(f"{pointer}: x-inferred-reason without x-inferred: true")
    assert problems == []


def test_inferred_parts_are_marked_and_the_documented_end_is_not(spec: Spec) -> None:
    """End is the one published operation (D1); the siblings and their errors are inference."""
    marked = [node for _, node in _nodes(spec.document) if node.get("x-inferred") is True]
    assert len(marked) >= 10
    assert "x-inferred" not in spec.resolve(spec.operations["endFocusSession"].pointer)
    for operation_id in ("startFocusSession", "getFocusSession", "promoteFocusSegment"):
        assert spec.resolve(spec.operations[operation_id].pointer)["x-inferred"] is True


def test_clause_references_are_known_clause_ids(spec: Spec) -> None:
    used = {c for _, node in _nodes(spec.document) for c in node.get("x-clauses", [])}
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
