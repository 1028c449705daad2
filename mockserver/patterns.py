"""JSON Schema validation with JSON Schema's regular expressions, not Python's.

A ``pattern`` in JSON Schema is an ECMA-262 regular expression. jsonschema runs
it with Python's ``re``, which reads two things differently where it matters
for input checks: ``$`` also matches before a final newline (so
``^[a-z]+$`` admits ``"focus\\n"``), and ``\\d``/``\\w`` span all of Unicode
(so ``\\d`` admits ``"٣"``). :data:`SchemaValidator` is the 2020-12 validator
with ``pattern`` read the ECMA way: a ``$`` outside a character class is the
end of the string, and classes are ASCII. Every schema the mock checks input
against goes through it: the spec, the control document, config and scenario
files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import jsonschema
from jsonschema import ValidationError


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled so that Python matches what an ECMA-262 engine matches."""
    translated: list[str] = []
    escaped = in_class = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            char = r"\Z"
        translated.append(char)
    return re.compile("".join(translated), re.ASCII)


def _pattern(
    validator: jsonschema.protocols.Validator, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not compile_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


SchemaValidator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _pattern})
