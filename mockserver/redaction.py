"""Keeping API keys out of what outlives a request: the journal and the log.

A key belongs in ``X-API-Key``, but clients also put one in a query string
(``?api_key=…``) or, by mistake, in a path. Every key the mock knows, and the
one the request itself offered, is replaced wherever it appears; so is the value
of any query parameter whose name says it holds a secret (``key``, ``token``,
``password`` …), whichever key it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote_plus

MEMO_SIZE = 4096  # texts remembered: clients ask for the same few paths again and again
MEMO_TEXT_LENGTH = 256  # and only short ones, so hostile long paths cannot fill memory
REDACTED = "REDACTED"  # safe in a query, a path and a log line alike, so it reads the same everywhere
# Shorter strings than any valid key (see config_schema.yaml) would redact ordinary words.
MIN_KEY_LENGTH = 8
_SECRET_NAME = re.compile(
    r"(key|token|secret|passw(or)?d|pwd|auth|authorization|signature|sig|credentials?)$"
)


class Redactor:
    def __init__(self, keys: Iterable[str]) -> None:
        # Longest first, so a key that contains another is replaced whole.
        self._keys = tuple(sorted({key for key in keys if len(key) >= MIN_KEY_LENGTH}, key=len, reverse=True))
        self._memo: dict[tuple[str, tuple[str, ...]], str] = {}

    def _secrets(self, offered: Iterable[str]) -> tuple[str, ...]:
        extra = tuple(key for key in offered if len(key) >= MIN_KEY_LENGTH and key not in self._keys)
        return self._keys + extra if extra else self._keys

    def text(self, text: str, offered: tuple[str, ...] = ()) -> str:
        """``text`` with every known key, and every key in ``offered``, replaced."""
        memo_key = (text, offered)
        redacted = self._memo.get(memo_key)
        if redacted is None:
            redacted = self._memo_text(*memo_key)
        return redacted

    def _memo_text(self, text: str, offered: tuple[str, ...]) -> str:
        redacted = self._text(text, offered)
        if len(text) > MEMO_TEXT_LENGTH:
            return redacted
        if len(self._memo) >= MEMO_SIZE:
            self._memo.clear()  # a crude bound, as for the operation matcher's
        self._memo[(text, offered)] = redacted
        return redacted

    def _text(self, text: str, offered: Iterable[str]) -> str:
        for key in self._secrets(offered):
            if key in text:
                text = text.replace(key, REDACTED)
        return text

    def query(self, query: str, offered: Iterable[str] = ()) -> str:
        """A raw query string with secrets replaced; every other parameter stays as it was sent."""
        if not query:
            return query
        secrets = self._secrets(offered)
        pieces = []
        for piece in query.split("&"):
            name, equals, value = piece.partition("=")
            plain_name = unquote_plus(name)
            if any(key in plain_name for key in secrets):
                piece = REDACTED
            elif value and (
                _SECRET_NAME.search(plain_name.strip().lower())
                or any(key in unquote_plus(value) for key in secrets)
            ):
                piece = f"{name}{equals}{REDACTED}"
            pieces.append(piece)
        return "&".join(pieces)
