"""The spec gate: is an OpenAPI document fit to be the contract? (``focus-contract lint``)

Four things are checked, each problem reported as one line naming where it is:

* the document is valid OpenAPI 3.1 (openapi-spec-validator), and YAML without a key given twice;
* it has the four operations of the API notes, and every link's ``operationId`` names one it has;
* every example (media types, parameters, headers, schemas) is valid against its own schema;
* every operation documents the error answers the API notes give it (401 when it needs a key,
  403 under an organization, ...), each with a body schema and an example to show.

The project's own tests use the same walks (``tests/test_spec.py``), so the gate and
the tests cannot disagree about what "every example" means.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator import OpenAPIV31SpecValidator

from mockserver.config import _UniqueKeyLoader as UniqueKeyLoader  # the mock's strict YAML loader
from mockserver.spec import Operation, Spec, spec_path

from .client import END, GET, PROMOTE, START


class SpecUnreadable(Exception):
    """The file cannot be read at all (missing, a directory, not UTF-8): a usage problem."""


# -- walking the document ---------------------------------------------------------


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def nodes(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object in the document with its JSON pointer, not descending into example values."""
    if isinstance(node, dict):
        yield pointer, node
        for name, child in node.items():
            if name not in ("example", "examples"):
                yield from nodes(child, f"{pointer}/{escape(str(name))}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from nodes(child, f"{pointer}/{index}")


def examples(spec: Spec) -> Iterator[tuple[str, str, Any]]:
    """(where, schema pointer, value) for every example the document gives."""
    for pointer, node in nodes(spec.document):
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


# -- the checks ---------------------------------------------------------------------


def structure_problems(document: Any) -> list[str]:
    """OpenAPI 3.1 validity, each error at the place it was found."""
    if not isinstance(document, dict):
        return ["(document): not a YAML mapping"]
    problems = []
    try:
        for error in OpenAPIV31SpecValidator(document).iter_errors():
            where = "/" + "/".join(escape(str(p)) for p in error.absolute_path)
            problems.append(f"{where}: {error.message.splitlines()[0]}")
    except Exception as exc:  # its later checks can trip over a document its first ones rejected
        if not problems:
            problems.append(f"(document): not valid OpenAPI 3.1 ({type(exc).__name__}: {exc})")
    return problems


def example_problems(spec: Spec) -> list[str]:
    return [
        f"{where}: example is not valid against its schema: {error.message}"
        for where, schema, value in examples(spec)
        for error in spec.validator(schema).iter_errors(value)
    ]


def _secured(spec: Spec, op: Operation) -> bool:
    requirements = spec.resolve(op.pointer).get("security", spec.document.get("security", []))
    return any(requirement for requirement in requirements)


def _path_parameter(name: str) -> Callable[[Spec, Operation], bool]:
    return lambda spec, op: "{" + name + "}" in op.path


@dataclass(frozen=True)
class ErrorRule:
    """An error answer the API notes give every operation the rule applies to."""

    status: int
    clauses: str
    applies: Callable[[Spec, Operation], bool]
    when: str


ERROR_RULES = (
    ErrorRule(401, "D2, I13", _secured, "it needs an API key"),
    ErrorRule(403, "D3, I10", _path_parameter("organization_id"), "its path names an organization"),
    ErrorRule(404, "D7, I12", lambda spec, op: "{" in op.path, "its path names a resource"),
    ErrorRule(405, "I12", lambda spec, op: True, "every route answers a wrong method"),
    ErrorRule(413, "I11", lambda spec, op: True, "every request body is size-limited"),
    ErrorRule(422, "I11", lambda spec, op: op.has_body, "it takes a request body"),
    ErrorRule(429, "I12", lambda spec, op: True, "every operation is rate-limited"),
    ErrorRule(500, "I12", lambda spec, op: True, "every operation can fail"),
)


def error_response_problems(spec: Spec) -> list[str]:
    """Every operation documents the error answers that apply to it, each with a schema and an example."""
    problems = []
    for op in spec.operations.values():
        for rule in ERROR_RULES:
            if rule.applies(spec, op) and rule.status not in op.statuses:
                problems.append(
                    f"{op.pointer}/responses: {op.operation_id} documents no {rule.status} answer "
                    f"({rule.clauses}: {rule.when})"
                )
        for status in sorted(s for s in op.statuses if s >= 400):
            where = f"{op.pointer}/responses/{status}"
            media = (spec.resolve(where).get("content") or {}).get("application/json")
            if not isinstance(media, dict) or not isinstance(media.get("schema"), dict):
                problems.append(
                    f"{where}: the {status} answer of {op.operation_id} has no application/json schema"
                )
            elif "example" not in media and not media.get("examples"):
                problems.append(f"{where}: the {status} answer of {op.operation_id} has no example")
    return problems


# The operations the API notes name (I1-I3, D1): a spec without one of them is not the contract.
REQUIRED_OPERATIONS = (START, GET, END, PROMOTE)
LINK = re.compile(r"/links/[^/]+$")


def operation_problems(spec: Spec) -> list[str]:
    """The four operations exist, and every link's ``operationId`` names an operation of the document."""
    problems = [
        f"/paths: no operation {op_id} (the API notes require {', '.join(REQUIRED_OPERATIONS)})"
        for op_id in REQUIRED_OPERATIONS
        if op_id not in spec.operations
    ]
    for pointer, node in nodes(spec.document):
        target = node.get("operationId") if LINK.search(pointer) else None
        if isinstance(target, str) and target not in spec.operations:
            problems.append(f"{pointer}/operationId: the link names {target}, which no operation is")
    return problems


# -- the whole gate -----------------------------------------------------------------


@dataclass(frozen=True)
class LintResult:
    path: Path
    problems: tuple[str, ...]
    examples_checked: int = 0
    operations_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def read_document(path: Path) -> Any:
    """The YAML at ``path``; a key given twice is an error, as it silently hides the first."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecUnreadable(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise SpecUnreadable(f"{path} is not UTF-8 text (byte {exc.start})") from None
    return yaml.load(text, Loader=UniqueKeyLoader)  # a SafeLoader subclass


def lint(path: str | Path | None = None) -> LintResult:
    """Check the spec at ``path`` (default: the bundled one); raise SpecUnreadable if it cannot be read."""
    spec_file = Path(path) if path is not None else spec_path()
    try:
        document = read_document(spec_file)
    except yaml.YAMLError as exc:
        return LintResult(spec_file, (f"(document): not valid YAML: {exc}",))
    problems = structure_problems(document)
    if problems:
        # Examples and responses are only meaningful in a document that is valid OpenAPI.
        return LintResult(spec_file, tuple(problems))
    spec = Spec(document)
    problems = operation_problems(spec) + example_problems(spec) + error_response_problems(spec)
    return LintResult(spec_file, tuple(problems), len(list(examples(spec))), len(spec.operations))
