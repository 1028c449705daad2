"""API keys to users, compared in constant time so timing reveals nothing about keys."""

from __future__ import annotations

import hmac

from .config import User


class Identities:
    def __init__(self, users: tuple[User, ...]) -> None:
        self._users = [(user.api_key.encode(), user) for user in users]

    def authenticate(self, api_key: str | None) -> User | None:
        """The key's owner, or None. Every known key is compared, match or not."""
        if not api_key:
            return None
        offered = api_key.encode("utf-8", "surrogateescape")
        found = None
        for key, user in self._users:
            if hmac.compare_digest(offered, key):
                found = user
        return found
