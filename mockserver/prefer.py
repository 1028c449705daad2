"""The ``Prefer`` request header, Prism style: ``Prefer: code=404`` and ``Prefer: delay=1500``.

RFC 7240 asks a server to ignore preferences it does not know, so only ``code``
and ``delay`` are read; a value the mock cannot honour is a ``422`` that says
what it can do instead, because a silently ignored typo would cost more time.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import errors
from .validation import decimal

MAX_DELAY_MS = 120_000


@dataclass(frozen=True)
class Preferences:
    code: int | None = None  # as asked, success statuses included: asking is what counts
    delay_ms: int = 0

    @property
    def error_code(self) -> int | None:
        """The error status to force, if ``code`` asks for one (a success code is the normal answer)."""
        return self.code if self.code is not None and self.code >= 400 else None


def _pairs(values: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        for item in value.split(","):
            token, _, rest = item.split(";", 1)[0].partition("=")
            if token.strip():
                pairs.append((token.strip().lower(), rest.strip().strip('"')))
    return pairs


def parse_prefer(values: list[str], operation_id: str, statuses: frozenset[int]) -> Preferences:
    """The preferences in every ``Prefer`` header of a request to ``operation_id``.

    ``code`` must be a status the operation documents; a success status is
    accepted and asks for the normal answer. A preference given twice counts
    once, the first time, and later ones are not even checked (RFC 7240, 2).
    """
    code: int | None = None
    delay_ms = 0
    seen: set[str] = set()
    for token, value in _pairs(values):
        if token in seen:
            continue
        seen.add(token)
        number = decimal(value)
        if token == "code":
            if number is None or number not in statuses:
                can = ", ".join(str(s) for s in sorted(statuses))
                raise _fail(f"code={value}: {operation_id} can answer {can}; ask for one of those")
            code = number
        elif token == "delay":
            if number is None or number > MAX_DELAY_MS:
                raise _fail(f"delay={value}: give whole milliseconds from 0 to {MAX_DELAY_MS}")
            delay_ms = number
    return Preferences(code=code, delay_ms=delay_ms)


def _fail(message: str) -> errors.ApiError:
    return errors.validation_failed([{"field": "Prefer", "message": message}])
