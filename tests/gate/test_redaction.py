"""Masking keeps secrets out without cutting short keys out of ordinary words."""

from __future__ import annotations

from contracts.redaction import MASK, redact


def test_a_short_key_is_masked_only_as_a_whole_token() -> None:
    text = "X-API-Key: a; a banana; key=a&b"
    assert redact(text, ["a"]) == f"X-API-Key: {MASK}; {MASK} banana; key={MASK}&b"


def test_a_long_key_is_masked_even_glued_to_other_text() -> None:
    assert redact('{"key": "alice-dev-key"} alice-dev-keys', ["alice-dev-key"]) == (
        f'{{"key": "{MASK}"}} {MASK}s'
    )


def test_a_password_in_a_url_is_masked() -> None:
    assert redact("http://u:pw@host/x", ["pw", "u"]) == f"http://{MASK}:{MASK}@host/x"
