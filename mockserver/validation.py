"""Turning a request body into a checked value, or into a 422/413 that says what to fix.

The rules are the spec's request schema; this module only parses strictly (no
duplicate keys, no NaN, UTF-8 only) and rewrites validator errors as
``{field, message}`` pairs a person can act on.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

import jsonschema
from starlette.requests import ClientDisconnect
from starlette.types import Receive

from . import errors
from .patterns import compile_pattern
from .spec import SPEC_URI, Spec

MAX_BODY_BYTES = 1024 * 1024
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
JSON_MEDIA_TYPES = ("application/json",)


MAX_DECIMAL_DIGITS = 18


def decimal(text: str) -> int | None:
    """``text`` as a whole number if it is ASCII digits only, else None.

    Header values are read with this, never with ``isdigit()`` and ``int()``:
    ``isdigit()`` admits digits ``int()`` refuses (``²``, ``①``) and ``int()``
    refuses strings of more than 4300 digits, so together they turn a hostile
    header into a crash. A value of more than 18 significant digits comes back
    as ``10**18``, larger than any limit the mock compares it with.
    """
    if not (text.isascii() and text.isdigit()):
        return None
    significant = text.lstrip("0")
    if len(significant) > MAX_DECIMAL_DIGITS:
        return 10**MAX_DECIMAL_DIGITS
    return int(significant or "0")


def check_declared_length(content_length: str | None) -> None:
    """Refuse an announced oversize body before reading a byte of it."""
    declared = None if content_length is None else decimal(content_length)
    if declared is not None and declared > MAX_BODY_BYTES:
        raise errors.payload_too_large(MAX_BODY_BYTES)


async def read_body(receive: Receive) -> bytes:
    """The whole body straight from ASGI ``receive``, or 413 as soon as it passes the limit.

    What ``read_limited(request.stream())`` does, without a ``Request``: a client that
    leaves before its body arrived raises ``ClientDisconnect`` in the same way.
    """
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.request":
            body += message.get("body", b"")
            if len(body) > MAX_BODY_BYTES:
                raise errors.payload_too_large(MAX_BODY_BYTES)
            if not message.get("more_body", False):
                return bytes(body)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()


async def read_limited(chunks: AsyncIterator[bytes]) -> bytes:
    """The whole body, or 413 as soon as it passes the limit (chunked bodies too)."""
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise errors.payload_too_large(MAX_BODY_BYTES)
    return bytes(body)


def _fail(field: str, message: str) -> errors.ApiError:
    return errors.validation_failed([{"field": field, "message": message}])


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if _LONE_SURROGATE.search(key) or (isinstance(value, str) and _LONE_SURROGATE.search(value)):
            # Not Unicode text: it could not even be written back in an error message.
            raise _fail("body", "has an unpaired surrogate escape (\\ud800-\\udfff); send valid Unicode")
        if key in result:
            raise _fail(key, "appears more than once in the JSON object; send it once")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise _fail("body", f"{name} is not valid JSON; send a finite number")


def _integer(digits: str) -> int:
    try:
        return int(digits)
    except ValueError:  # longer than Python reads (sys.get_int_max_str_digits)
        raise _fail("body", f"has an integer of {len(digits)} digits; send a smaller number") from None


# json.loads with these hooks, without building a decoder for every body.
_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_constant=_no_constants, parse_int=_integer
)


def parse_json(content_type: str | None, body: bytes) -> Any:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type not in JSON_MEDIA_TYPES:
        shown = media_type or "none"
        raise _fail("Content-Type", f"must be application/json (got {shown})")
    if not body.strip():
        raise _fail("body", "is empty; send a JSON object")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail("body", f"is not valid UTF-8 (byte {exc.start}); send UTF-8 JSON") from None
    if text.startswith("\ufeff"):  # json.loads refuses it too, in words meant for Python callers
        raise _fail("body", "starts with a byte order mark (U+FEFF); send the JSON without it")
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise _fail("body", f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise _fail("body", "is nested too deeply; send a flat JSON object") from None


class RequestValidator:
    """The spec's schema for a request body, checked at compiled speed when it can be.

    ``jsonschema-rs`` (there with Schemathesis) says in well under a microsecond
    whether a body is valid; only an invalid body goes through the pure-Python
    validator, whose errors make the ``{field, message}`` details. The compiled
    check is used only for schemas whose every keyword both validators read
    alike (:data:`PORTABLE_KEYWORDS`); a ``pattern`` is either plain enough to
    mean the same to both engines or evaluated by the same ECMA-262 translation
    the Python side uses, so both give the same verdict.
    """

    def __init__(self, spec: Spec, pointer: str) -> None:
        self._python = spec.validator(pointer)
        self._compiled = _compiled_validator(spec, pointer)

    def check(self, value: Any) -> None:
        """Raise 422 listing every problem, as :func:`check` does."""
        if self._compiled is not None:
            try:
                if self._compiled(value):
                    return
            except (ValueError, OverflowError):  # a value it cannot read (say, a huge integer)
                pass
        check(self._python, value)


# Keywords on which jsonschema and jsonschema-rs agree (pattern: see _EcmaPattern), and annotations.
PORTABLE_KEYWORDS = frozenset(
    {
        "$ref", "type", "properties", "required", "additionalProperties", "enum", "const",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "minLength", "maxLength", "pattern", "items", "minItems", "maxItems",
        "allOf", "description", "title", "examples", "default", "deprecated", "readOnly", "writeOnly",
    }
)  # fmt: skip


class _EcmaPattern:
    """``pattern`` for jsonschema-rs, read exactly as :mod:`mockserver.patterns` reads it."""

    def __init__(self, parent_schema: dict[str, Any], value: str, schema_path: list[str | int]) -> None:
        self._regex = compile_pattern(value)
        self._pattern = value

    def validate(self, instance: Any) -> None:
        if isinstance(instance, str) and not self._regex.search(instance):
            raise ValueError(f"{instance!r} does not match {self._pattern!r}")


def _compiled_validator(spec: Spec, pointer: str) -> Callable[[Any], bool] | None:
    try:
        import jsonschema_rs
    except ImportError:
        return None
    patterns: list[str] = []
    if not _portable(spec, spec.resolve(pointer), set(), patterns):
        return None
    # Plain patterns read alike in both engines; anything else is read by the mock's own ECMA
    # translation, through a call back into Python for each string checked.
    plain = all(_PLAIN_PATTERN.match(pattern) for pattern in patterns)
    try:
        registry = jsonschema_rs.Registry([(SPEC_URI, spec.document)], draft=jsonschema_rs.Draft202012)
        reference = f"{SPEC_URI}#{quote(pointer, safe='/~')}"
        validator = jsonschema_rs.Draft202012Validator(
            {"$ref": reference}, registry=registry, keywords=None if plain else {"pattern": _EcmaPattern}
        )
    except Exception:  # another jsonschema-rs than the one this was written for: only slower without it
        return None
    return validator.is_valid


# Literal letters, digits, _ and -, bracket classes without escapes, and quantifiers, between an
# optional leading ^ and trailing $: a pattern on which jsonschema-rs's regex engine (where $ is
# the end of the text, as in ECMA-262) and mockserver.patterns agree. No \d, \w or . in it.
_PLAIN_PATTERN = re.compile(r"\^?(?:[A-Za-z0-9_-]|\[\^?[^\\\[\]]+\]|\{\d+(?:,\d*)?\}|[*+?])*\$?\Z")


def _portable(spec: Spec, schema: Any, seen: set[str], patterns: list[str]) -> bool:
    """Whether every keyword under ``schema`` (following ``$ref`` into the spec) is portable;
    collects the ``pattern`` values met on the way."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict):
        return False
    for keyword, value in schema.items():
        if keyword.startswith("x-"):
            continue
        if keyword not in PORTABLE_KEYWORDS:
            return False
        if keyword == "$ref":
            if not value.startswith("#/"):
                return False
            if value not in seen:
                seen.add(value)
                if not _portable(spec, spec.resolve_raw(value[1:]), seen, patterns):
                    return False
        elif keyword == "properties":
            if not all(_portable(spec, sub, seen, patterns) for sub in value.values()):
                return False
        elif keyword in ("additionalProperties", "items"):
            if not _portable(spec, value, seen, patterns):
                return False
        elif keyword == "allOf" and not all(_portable(spec, sub, seen, patterns) for sub in value):
            return False
        elif keyword == "pattern":
            patterns.append(value)
    return True


MAX_LISTED_PROBLEMS = 20


def check(validator: jsonschema.Validator, value: Any) -> None:
    """Raise 422 listing the problems, one ``{field, message}`` each, sorted by field.

    At most 20 are listed and the rest counted: a body of many thousand unknown
    fields would otherwise get an answer many times its own size.
    """
    problems = [item for error in validator.iter_errors(value) for item in _explain(error)]
    if problems:
        unique = sorted({(p["field"], p["message"]): p for p in problems}.values(), key=lambda p: p["field"])
        error = errors.validation_failed(unique[:MAX_LISTED_PROBLEMS])
        if len(unique) > MAX_LISTED_PROBLEMS:
            error.system_message += f"; and {len(unique) - MAX_LISTED_PROBLEMS} more problems"
        raise error


def _explain(error: jsonschema.ValidationError) -> list[dict[str, str]]:
    if error.context:  # $ref/allOf wrappers: report the innermost causes
        return [item for sub in error.context for item in _explain(sub)]
    field = ".".join(str(p) for p in error.absolute_path) or "body"
    keyword, expected = error.validator, error.validator_value
    if keyword == "required":
        missing = [name for name in expected if name not in error.instance]
        return [{"field": _join(field, name), "message": "is required"} for name in missing]
    if keyword == "additionalProperties":
        allowed = ", ".join(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in error.schema.get("properties", {})]
        return [
            {"field": _join(field, name), "message": f"is not a known field (allowed: {allowed})"}
            for name in extra
        ]
    return [{"field": field, "message": _message(keyword, expected, error)}]


def _join(parent: str, name: str) -> str:
    return name if parent == "body" else f"{parent}.{name}"


def _message(keyword: str, expected: Any, error: jsonschema.ValidationError) -> str:
    if keyword == "type":
        if expected == "integer" and isinstance(error.instance, float):
            shown = "one too large to read" if math.isinf(error.instance) else repr(error.instance)
            return f"must be a whole number, not {shown}"
        article = "an" if str(expected)[0] in "aeiou" else "a"
        return f"must be {article} {expected}, not {_json_type(error.instance)}"
    if keyword == "minimum":
        return f"must be at least {expected}"
    if keyword == "maximum":
        return f"must be at most {expected}"
    if keyword == "pattern":  # a schema may say in words what its pattern means
        return (
            f"must be {error.schema['x-expected']}"
            if "x-expected" in error.schema
            else f"must match {expected}"
        )
    if keyword == "enum":
        return "must be one of " + ", ".join(map(str, expected))
    return error.message


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
