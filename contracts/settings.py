"""Command-line options and environment variables, resolved once into :class:`Settings`.

Credentials are kept out of every ``repr`` and are read from the environment at
run time rather than used as option defaults, so neither ``--help`` nor a
traceback ever shows them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

DEFAULT_MAX_SESSIONS = 25
DEFAULT_MAX_EXAMPLES = 25
DEFAULT_SEGMENT_WAIT = 15.0
DEFAULT_REQUEST_TIMEOUT = 10.0

BASE_URL_ENV = "FOCUS_BASE_URL"

# option destination -> (flag, environment variable, help)
CREDENTIAL_OPTIONS = {
    "api_key": ("--api-key", "FOCUS_API_KEY", "API key of the user whose sessions the suite starts"),
    "peer_api_key": (
        "--peer-api-key",
        "FOCUS_PEER_API_KEY",
        "API key of another user of the same organization (ownership clauses)",
    ),
    "org_id": ("--org-id", "FOCUS_ORG_ID", "organization both users belong to"),
    "outsider_api_key": (
        "--outsider-api-key",
        "FOCUS_OUTSIDER_API_KEY",
        "optional: API key of a user of another organization (D3, D10; D7 and I10 at --level all)",
    ),
    "outsider_org_id": (
        "--outsider-org-id",
        "FOCUS_OUTSIDER_ORG_ID",
        "optional: the outsider's own organization (I10's other-organization case)",
    ),
}
REQUIRED_WITH_BASE_URL = ("api_key", "peer_api_key", "org_id")


@dataclass(frozen=True)
class Caller:
    """Who sends a request: an API key and the organization it asks under."""

    name: str
    api_key: str = field(repr=False)
    org_id: str | None  # None: an outsider whose own organization was not given

    def __str__(self) -> str:
        return self.name if self.org_id is None else f"{self.name} in {self.org_id}"


@dataclass(frozen=True)
class Settings:
    """Everything the run needs to know before it talks to the target."""

    base_url: str | None  # None: start the bundled mock
    owner: Caller | None
    peer: Caller | None
    outsider: Caller | None
    max_sessions: int
    max_examples: int
    segment_wait: float
    request_timeout: float
    conformance_json: str | None

    @property
    def bundled(self) -> bool:
        return self.base_url is None


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("focus-contracts", "Focus Sessions contract suite")
    for dest, (flag, env, text) in CREDENTIAL_OPTIONS.items():
        group.addoption(flag, dest=dest, default=None, metavar="VALUE", help=f"{text} (env {env})")
    group.addoption(
        "--max-sessions",
        type=int,
        default=DEFAULT_MAX_SESSIONS,
        metavar="N",
        help="most sessions the run may start, all of them ended again (default: %(default)s)",
    )
    group.addoption(
        "--contract-max-examples",
        type=int,
        default=DEFAULT_MAX_EXAMPLES,
        metavar="N",
        help="Schemathesis examples per operation and stateful scenarios (default: %(default)s)",
    )
    group.addoption(
        "--segment-wait",
        type=float,
        default=DEFAULT_SEGMENT_WAIT,
        metavar="SECONDS",
        help="longest real-time wait for a segment to become due, when the target's clock "
        "cannot be moved (default: %(default)s)",
    )
    group.addoption(
        "--request-timeout",
        type=float,
        default=DEFAULT_REQUEST_TIMEOUT,
        metavar="SECONDS",
        help="timeout of every request (default: %(default)s)",
    )
    group.addoption(
        "--conformance-json",
        default=None,
        metavar="PATH",
        help="write the clause verdicts as JSON to PATH",
    )


def _value(config: pytest.Config, dest: str) -> str | None:
    flag_value = config.getoption(dest)
    if flag_value:
        return str(flag_value)
    return os.environ.get(CREDENTIAL_OPTIONS[dest][1]) or None


def resolve(config: pytest.Config) -> Settings:
    """Options and environment into Settings; a usage mistake stops the run with one message."""
    base_url = config.getoption("base_url") or os.environ.get(BASE_URL_ENV) or None
    numbers = {
        "--max-sessions": config.getoption("max_sessions"),
        "--contract-max-examples": config.getoption("contract_max_examples"),
    }
    for flag, number in numbers.items():
        if number < 1:
            raise pytest.UsageError(f"{flag} must be at least 1 (got {number})")
    for flag, seconds in (
        ("--segment-wait", config.getoption("segment_wait")),
        ("--request-timeout", config.getoption("request_timeout")),
    ):
        if not seconds > 0:
            raise pytest.UsageError(f"{flag} must be a positive number of seconds (got {seconds})")

    common = {
        "max_sessions": config.getoption("max_sessions"),
        "max_examples": config.getoption("contract_max_examples"),
        "segment_wait": config.getoption("segment_wait"),
        "request_timeout": config.getoption("request_timeout"),
        "conformance_json": config.getoption("conformance_json"),
    }
    if base_url is None:
        # The bundled mock's world is known; its callers are filled in once it runs.
        return Settings(base_url=None, owner=None, peer=None, outsider=None, **common)

    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise pytest.UsageError(
            f"--base-url must be an http(s) URL such as http://127.0.0.1:4010 (got {base_url!r})"
        )
    values = {dest: _value(config, dest) for dest in CREDENTIAL_OPTIONS}
    missing = [dest for dest in REQUIRED_WITH_BASE_URL if not values[dest]]
    if missing:
        names = ", ".join(f"{CREDENTIAL_OPTIONS[d][0]} (or ${CREDENTIAL_OPTIONS[d][1]})" for d in missing)
        raise pytest.UsageError(f"testing {base_url} needs credentials: missing {names}")
    if values["api_key"] == values["peer_api_key"]:
        raise pytest.UsageError("--peer-api-key must belong to another user than --api-key")
    org = str(values["org_id"])
    outsider = None
    if values["outsider_api_key"]:
        outsider = Caller("outsider", str(values["outsider_api_key"]), values["outsider_org_id"])
    return Settings(
        base_url=base_url.rstrip("/"),
        owner=Caller("owner", str(values["api_key"]), org),
        peer=Caller("peer", str(values["peer_api_key"]), org),
        outsider=outsider,
        **common,
    )
