"""The OpenAPI document, loaded once and compiled into what the mock needs.

Routes, request validators, response shapes and error templates all come from
the spec, so the mock cannot drift from it: change the YAML and the mock follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .patterns import SchemaValidator

SPEC_NAME = "focus-sessions.yaml"
SPEC_URI = "urn:focus-sessions"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def spec_path() -> Path:
    """The spec shipped inside the package, or the checkout's ``openapi/`` copy."""
    bundled = resources.files(__package__).joinpath("openapi").joinpath(SPEC_NAME)
    if bundled.is_file():
        return Path(str(bundled))
    return Path(__file__).resolve().parent.parent / "openapi" / SPEC_NAME


def load_bundled_yaml(text: str) -> Any:
    """``yaml.safe_load`` for the documents shipped with the mock, with libyaml when PyYAML has it:
    a tenth of the time, which is most of the start-up (files users write keep their own loaders)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    pointer: str
    statuses: frozenset[int]
    has_body: bool


class Spec:
    """A loaded spec: operations by id, compiled validators, error templates."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self._registry: Registry = Registry().with_resource(SPEC_URI, resource)
        self.operations = self._collect_operations()
        self._validators: dict[str, jsonschema.protocols.Validator] = {}

    @classmethod
    def load(cls, path: str | Path | None = None) -> Spec:
        text = Path(path or spec_path()).read_text(encoding="utf-8")
        return cls(load_bundled_yaml(text))

    def _collect_operations(self) -> dict[str, Operation]:
        operations: dict[str, Operation] = {}
        for path, item in self.document["paths"].items():
            for method in HTTP_METHODS:
                if method not in item:
                    continue
                op = item[method]
                pointer = f"/paths/{_escape(path)}/{method}"
                operations[op["operationId"]] = Operation(
                    operation_id=op["operationId"],
                    method=method.upper(),
                    path=path,
                    pointer=pointer,
                    statuses=frozenset(int(s) for s in op["responses"] if s.isdigit()),
                    has_body="requestBody" in op,
                )
        return operations

    def resolve(self, pointer: str) -> Any:
        """The node at a JSON pointer, following ``$ref`` at the end."""
        return self.resolve_raw(self.resolve_ref_path(pointer))

    def resolve_ref_path(self, pointer: str) -> str:
        """The pointer after following any ``$ref`` chain at ``pointer``."""
        node = self.resolve_raw(pointer)
        while isinstance(node, dict) and "$ref" in node:
            pointer = node["$ref"].removeprefix("#")
            node = self.resolve_raw(pointer)
        return pointer

    def resolve_raw(self, pointer: str) -> Any:
        node: Any = self.document
        for part in pointer.lstrip("/").split("/"):
            node = node[_unescape(part)]
        return node

    def validator(self, pointer: str) -> jsonschema.protocols.Validator:
        """A compiled validator for the schema at ``pointer`` (cached)."""
        if pointer not in self._validators:
            self._validators[pointer] = SchemaValidator(
                {"$ref": f"{SPEC_URI}#{pointer}"},
                registry=self._registry,
                format_checker=SchemaValidator.FORMAT_CHECKER,
            )
        return self._validators[pointer]

    def request_body_pointer(self, operation_id: str) -> str:
        op = self.operations[operation_id]
        return f"{op.pointer}/requestBody/content/application~1json/schema"

    def response_pointer(self, operation_id: str, status: int) -> str | None:
        """Where the JSON schema of this operation's ``status`` answer lives, if documented."""
        op = self.operations[operation_id]
        if status not in op.statuses:
            return None
        response_path = f"{op.pointer}/responses/{status}"
        response = self.resolve(response_path)
        if "content" not in response:
            return None
        ref = self.resolve_ref_path(response_path)
        return f"{ref}/content/application~1json/schema"

    def schema_fields(self, name: str) -> tuple[str, ...]:
        """The declared properties of ``components.schemas[name]``, in spec order."""
        return tuple(self.document["components"]["schemas"][name]["properties"])

    @cached_property
    def error_templates(self) -> dict[int, dict[str, str]]:
        """``code``, ``type`` and ``message`` of each documented error status, from the examples."""
        templates: dict[int, dict[str, str]] = {}
        for response in self.document["components"]["responses"].values():
            for example in _examples(response["content"]["application/json"]):
                error = example["error"]
                templates.setdefault(
                    error["status"],
                    {"code": error["code"], "type": error["type"], "message": error["message"]},
                )
        return templates


def _examples(media: dict[str, Any]) -> list[Any]:
    found = [media["example"]] if "example" in media else []
    return found + [e["value"] for e in media.get("examples", {}).values()]


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")
