"""Keeping API keys out of everything the run prints or writes.

The suite never formats a key itself; this is the last line of defence for
text it does not control, such as a server that echoes a key in an error body
which then appears in a failure report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "[redacted]"
SUBSTRING_MASK_LENGTH = 8  # shorter secrets are masked as whole tokens only


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret masked.

    A short secret (a test key such as ``a``) is masked only where it stands as a
    whole token, between characters that are not letters or digits, so that it is
    not cut out of every word containing it; a longer one is masked wherever it
    appears, also glued to other text. Longest first, so a key that contains
    another key is masked whole.
    """
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        if len(secret) >= SUBSTRING_MASK_LENGTH:
            text = text.replace(secret, MASK)
        else:
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", MASK, text)
    return text


def contains_secret(text: str, secrets: Iterable[str]) -> bool:
    return any(secret and secret in text for secret in secrets)
