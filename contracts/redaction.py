"""Keeping API keys out of everything the run prints or writes.

The suite never formats a key itself; this is the last line of defence for
text it does not control, such as a server that echoes a key in an error body
which then appears in a failure report.
"""

from __future__ import annotations

from collections.abc import Iterable

MASK = "[redacted]"


def redact(text: str, secrets: Iterable[str]) -> str:
    # Longest first, so a key that contains another key is masked whole.
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def contains_secret(text: str, secrets: Iterable[str]) -> bool:
    return any(secret and secret in text for secret in secrets)
