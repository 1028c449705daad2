"""The mock's world: who exists, which keys they hold, how fast sessions progress.

A built-in default lets the mock run with no file at all; ``--config`` replaces
it. Files are checked against ``config_schema.yaml`` and for cross references,
and a bad file is refused with every offending field named, in file order, and
what to write instead. A key is never repeated back: error messages end up in
terminals, CI logs and bug reports.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema import ValidationError

from .patterns import SchemaValidator
from .spec import load_bundled_yaml

DEFAULT_QUOTA = 10_000


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the field."""


@dataclass(frozen=True)
class Timings:
    first_segment_seconds: float = 3.0
    segment_interval_seconds: float = 10.0


@dataclass(frozen=True)
class Organization:
    id: str
    name: str = ""
    segment_quota: int = DEFAULT_QUOTA


@dataclass(frozen=True)
class User:
    id: str
    api_key: str
    organizations: tuple[str, ...]
    name: str = ""


@dataclass(frozen=True)
class Config:
    organizations: tuple[Organization, ...]
    users: tuple[User, ...]
    timings: Timings = field(default_factory=Timings)

    def organization(self, organization_id: str) -> Organization | None:
        return self._organizations_by_id.get(organization_id)

    @cached_property  # looked up on every answer; a changed world is a new Config
    def _organizations_by_id(self) -> dict[str, Organization]:
        return {o.id: o for o in reversed(self.organizations)}  # the first of a repeated id wins


DEFAULT_CONFIG_DATA: dict[str, Any] = {
    "timings": {"first_segment_seconds": 3, "segment_interval_seconds": 10},
    "organizations": [
        {"id": "org_abc123", "name": "Acme Studio", "segment_quota": DEFAULT_QUOTA},
        {"id": "org_xyz789", "name": "Globex (small quota)", "segment_quota": 20},
    ],
    "users": [
        {"id": "usr_alice", "name": "Alice", "api_key": "alice-dev-key", "organizations": ["org_abc123"]},
        {"id": "usr_bob", "name": "Bob", "api_key": "bob-dev-key", "organizations": ["org_abc123"]},
        {"id": "usr_carol", "name": "Carol", "api_key": "carol-dev-key", "organizations": ["org_xyz789"]},
    ],
}


def _schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("config_schema.yaml").read_text(encoding="utf-8")
    return load_bundled_yaml(text)


def _field_name(path: Any) -> str:
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "(top level)"


# A number as YAML 1.1 (PyYAML) reads it: ``1e3`` has no dot and ``1.0e3`` no exponent sign,
# so both load as text.
_NUMBER_TEXT = re.compile(r"[-+]?([0-9][0-9_]*\.?[0-9_]*|\.[0-9_]+)([eE][-+]?[0-9]+)?")


def _position(data: Any, path: Iterable[Any]) -> tuple[int, ...]:
    """Where ``path`` is in the file: each step's index among its mapping's keys or list's items."""
    place: list[int] = []
    node = data
    for part in path:
        if isinstance(node, dict):
            keys = list(node)
            place.append(keys.index(part) if part in node else len(keys))
        else:
            place.append(part if isinstance(part, int) else 0)
        node = node[part]
    return tuple(place)


def _as_yaml_number(number: float, whole: bool) -> str:
    """``number`` written so that YAML 1.1 reads it as one: in full, or with a dot and a signed exponent."""
    in_full = str(int(number)) if number.is_integer() and abs(number) < 1e16 else None
    if whole:
        return in_full or f"{number:.0f}"
    mantissa, exponent = f"{number:e}".split("e")
    mantissa = mantissa.rstrip("0")
    mantissa += "0" if mantissa.endswith(".") else ""
    power = int(exponent)
    scientific = f"{mantissa}e{'+' if power >= 0 else '-'}{abs(power)}"
    return f"{in_full} or {scientific}" if in_full else scientific


def _describe(error: ValidationError) -> str:
    """What is wrong with one field and what to write instead, without showing a secret value."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    secret = bool(schema.get("writeOnly"))
    must = schema.get("x-must")
    keyword, expected, value = error.validator, error.validator_value, error.instance
    if keyword == "pattern" and must:
        return f"must {must}" if secret else f"must {must}, not {value!r}"
    numeric = keyword == "type" and expected in ("number", "integer")
    if numeric and isinstance(value, str) and _NUMBER_TEXT.fullmatch(value.strip()):
        whole = expected == "integer"
        kind = "a whole number" if whole else "a number"
        written = _as_yaml_number(float(value.replace("_", "")), whole)
        return f"must be {kind} (YAML reads {value} as text; write {written})"
    if secret:
        return f"must {must} (written as text)" if must else "is not valid (the value is not shown)"
    return _IN_WORDS.get(keyword, lambda e: e.message)(error)


def _shown(value: Any) -> str:
    """A value as the file gave it, cut short: a whole mapping would drown the line."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_TYPE_NAMES = {
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of keys to values",
    "null": "empty",
}

_IN_WORDS: dict[str, Callable[[ValidationError], str]] = {
    "type": lambda e: (
        f"must be {_TYPE_NAMES.get(str(e.validator_value), e.validator_value)}, not {_shown(e.instance)}"
    ),
    "minimum": lambda e: f"must be at least {e.validator_value}, not {_shown(e.instance)}",
    "maximum": lambda e: f"must be at most {e.validator_value}, not {_shown(e.instance)}",
    "exclusiveMinimum": lambda e: f"must be more than {e.validator_value}, not {_shown(e.instance)}",
    "minItems": lambda e: (
        "must not be empty" if e.validator_value == 1 else f"needs at least {e.validator_value} items"
    ),
    "uniqueItems": lambda e: f"must not repeat a value ({_shown(e.instance)})",
    "enum": lambda e: "must be one of " + ", ".join(repr(v) for v in e.validator_value),
}


def schema_problems(validator: Any, data: Any) -> list[str]:
    """Every way ``data`` breaks the schema, one line per field, in the order of the file:
    a missing key and an unknown one named as fields of their own."""
    found = sorted(validator.iter_errors(data), key=lambda e: _position(data, e.absolute_path))
    return list(dict.fromkeys(line for error in found for line in _lines(error)))


def _lines(error: ValidationError) -> list[str]:
    where = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        return [f"{_field_name([*where, name])}: is required" for name in missing]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(schema.get("properties", {}))
        extra = [key for key in error.instance if key not in allowed]
        known = ", ".join(allowed) or "none"
        return [f"{_field_name([*where, key])}: is not a known key (allowed: {known})" for key in extra]
    return [f"{_field_name(where)}: {_describe(error)}"]


def _problems(data: Any) -> list[str]:
    return schema_problems(SchemaValidator(_schema()), data)


def parse_config(data: Any) -> Config:
    """Check ``data`` (as loaded from YAML) and build a :class:`Config`.

    A file with several mistakes gets them all in one go, one per line: first
    every field the schema refuses, then, once each field is well formed,
    every duplicate and unknown organization, in the order of the file.
    """
    problems = _problems(data) or _cross_field_problems(data)
    if problems:
        raise ConfigError("\n".join(problems))
    organizations = tuple(Organization(**o) for o in data["organizations"])
    users = tuple(
        User(
            id=u["id"], api_key=u["api_key"], organizations=tuple(u["organizations"]), name=u.get("name", "")
        )
        for u in data["users"]
    )
    return Config(organizations=organizations, users=users, timings=Timings(**data.get("timings", {})))


def _cross_field_problems(data: dict[str, Any]) -> list[str]:
    """What the schema cannot see: ids and keys given twice, organizations nobody declared."""
    found: list[tuple[tuple[int, ...], str]] = []

    def duplicates(section: str, what: str) -> None:
        seen: set[str] = set()
        for i, item in enumerate(data[section]):
            if item[what] in seen:
                shown = "(hidden)" if what == "api_key" else repr(item[what])
                found.append(
                    (_position(data, [section, i, what]), f"{section}[{i}].{what}: duplicate value {shown}")
                )
            seen.add(item[what])

    duplicates("organizations", "id")
    duplicates("users", "id")
    duplicates("users", "api_key")
    known = {o["id"] for o in data["organizations"]}
    for i, user in enumerate(data["users"]):
        for j, org in enumerate(user["organizations"]):
            if org not in known:
                place = _position(data, ["users", i, "organizations", j])
                found.append((place, f"users[{i}].organizations[{j}]: unknown organization {org!r}"))
    return [line for _, line in sorted(found)]


class _UniqueKeyLoader(yaml.SafeLoader):
    """``safe_load``, except that a key given twice is an error: plain YAML loading keeps
    the last one silently, turning a typo into a different world."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_config(path: str | Path | None) -> Config:
    """The default world when ``path`` is None, else the file's."""
    if path is None:
        return parse_config(DEFAULT_CONFIG_DATA)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text (byte {exc.start})") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {_yaml_problem(exc)}") from None
    return parse_config(data)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """The parser's complaint and where, without the excerpt of the line it quotes:
    that line may hold an API key."""
    if not isinstance(exc, yaml.MarkedYAMLError) or exc.problem_mark is None:
        return str(exc)
    mark = exc.problem_mark
    text = f"line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"
    if exc.context and exc.context_mark is not None:
        text += f" ({exc.context} at line {exc.context_mark.line + 1})"
    return text
