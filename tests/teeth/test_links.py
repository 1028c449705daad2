"""The stateful run counts only the spec's own links: without them there is nothing to follow."""

from __future__ import annotations

import copy

import schemathesis

from contracts.fuzzing import configure, spec_link_count
from contracts.settings import Caller
from mockserver.spec import Spec

OWNER = Caller("owner", "alice-dev-key", "org_abc123")


def without_links(document: dict) -> dict:
    stripped = copy.deepcopy(document)
    for item in stripped["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                for response in operation.get("responses", {}).values():
                    response.pop("links", None)
    return stripped


def test_the_specs_links_are_collected() -> None:
    document = Spec.load().document
    declared = sum(
        len(response.get("links", {}))
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for response in operation.get("responses", {}).values()
    )
    schema = configure(schemathesis.openapi.from_dict(copy.deepcopy(document)), OWNER, 5)
    assert declared > 0
    assert spec_link_count(schema) == declared


def test_links_schemathesis_would_infer_do_not_count() -> None:
    linkless = without_links(Spec.load().document)
    by_default = schemathesis.openapi.from_dict(copy.deepcopy(linkless))
    assert by_default.apply_stateful_inference(None).total > 0, "nothing to infer: the test proves nothing"
    schema = configure(schemathesis.openapi.from_dict(copy.deepcopy(linkless)), OWNER, 5)
    schema.apply_stateful_inference(None)
    assert spec_link_count(schema) == 0
