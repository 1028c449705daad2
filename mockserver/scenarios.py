"""Scenario files: sessions created at start-up, so a UI opens straight into a given state.

A designer writes "Alice's session is 80 % done, Bob's has ended, Carol's is
capped" and starts ``focus-mock --scenario FILE``. Files are checked like the
configuration: the file's own schema (``scenario_schema.yaml``), the API spec's
Start request for goal, engine and length, and cross references to the world;
a bad file is refused with the field named.

Progress is never stored: a session with ``ready_count: N`` is placed so that
its N-th segment became ready at start-up, and a capped one gets its
organization's quota set to what had been made by then. The time model stays
the single source of truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from . import errors
from .config import Config, schema_problems
from .patterns import SchemaValidator
from .quotas import apply_overrides
from .service import FocusService, new_session_id
from .spec import Spec
from .store import SessionRecord
from .timeline import QuotaLedger
from .validation import check

UNLIMITED = 10**12


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the field."""


@dataclass(frozen=True)
class PlannedSession:
    owner: str
    organization: str
    goal: str
    engine: str
    target_minutes: int
    ready_count: int = 0
    ended: bool = False
    capped: bool = False
    promoted: frozenset[int] = frozenset()
    session_id: str | None = None


def _field(path: Any) -> str:
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "(top level)"


def _schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("scenario_schema.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def parse_scenario(data: Any, config: Config, spec: Spec) -> list[PlannedSession]:
    """Check ``data`` (as loaded from YAML) against the schema, the spec and ``config``.

    A file with several mistakes gets them all in one go, one per line, as a
    config file does: every field the schema refuses; else every session's
    problems in file order; else what the sessions ask of the quotas together.
    """
    problems = _schema_problems(data)
    if problems:
        raise ScenarioError("\n".join(problems))
    planned: list[PlannedSession] = []
    problems = []
    seen: set[str] = set()
    start = spec.validator(spec.request_body_pointer("startFocusSession"))
    session_id = spec.validator("/components/parameters/SessionId/schema")
    for i, item in enumerate(data["sessions"]):
        session, found = _planned(item, f"sessions[{i}]", config, start, session_id, seen)
        problems += found
        if session is not None:
            planned.append(session)
    problems = problems or _quota_problems(planned, config)
    if problems:
        raise ScenarioError("\n".join(problems))
    return planned


def _schema_problems(data: Any) -> list[str]:
    return schema_problems(SchemaValidator(_schema()), data)


def _planned(
    item: dict[str, Any],
    where: str,
    config: Config,
    start: jsonschema.protocols.Validator,
    session_id: jsonschema.protocols.Validator,
    seen: set[str],
) -> tuple[PlannedSession | None, list[str]]:
    """One session of the file, and every problem it has (the session is None if it has any)."""
    problems: list[str] = []
    request = {k: item[k] for k in ("goal", "engine", "target_minutes") if k in item}
    try:
        check(start, request)
    except errors.ApiError as exc:
        problems += [f"{where}.{p['field']}: {p['message']}" for p in exc.details["errors"]]
    if "session_id" in item:
        if not session_id.is_valid(item["session_id"]):
            problems.append(f"{where}.session_id: must match ^mfocus_[0-9a-f]{{12}}$")
        elif item["session_id"] in seen:
            problems.append(f"{where}.session_id: duplicate value {item['session_id']!r}")
        seen.add(item["session_id"])
    users = {u.id: u for u in config.users}
    user = users.get(item["owner"])
    organization = item.get("organization")
    if user is None:
        problems.append(f"{where}.owner: unknown user {item['owner']!r} (known: {', '.join(users)})")
    elif organization is not None and organization not in user.organizations:
        problems.append(f"{where}.organization: {user.id} is not a member of {organization!r}")
    session = PlannedSession(
        owner=item["owner"],
        organization=organization or (user.organizations[0] if user else ""),
        goal=item["goal"],
        engine=item.get("engine", "studio"),
        target_minutes=item["target_minutes"],
        ready_count=item.get("ready_count", 0),
        ended=item.get("ended", False),
        capped=item.get("capped", False),
        promoted=frozenset(item.get("promoted", ())),
        session_id=item.get("session_id"),
    )
    problems += _inconsistencies(session, where)
    return (None if problems else session), problems


def _quota_problems(planned: list[PlannedSession], config: Config) -> list[str]:
    """Ready segments count against their organization's quota (I8): a scenario cannot have more."""
    problems: list[str] = []
    asked: dict[str, int] = {}
    for i, session in enumerate(planned):
        organization = config.organization(session.organization)
        assert organization is not None  # users are members of configured organizations only
        before = asked.get(session.organization, 0)
        asked[session.organization] = before + session.ready_count
        quota = organization.segment_quota
        if before + session.ready_count > quota:
            others = f" and the sessions before it ask for {before}" if before else ""
            problems.append(
                f"sessions[{i}].ready_count: {organization.id} has a segment quota of {quota}{others}; "
                f"give at most {max(quota - before, 0)} (capped: true stops a session at what it has), "
                "or raise segment_quota in --config"
            )
    return problems


def _inconsistencies(session: PlannedSession, where: str) -> list[str]:
    problems: list[str] = []
    total = -(-session.target_minutes // 2)
    if session.ready_count > total:
        problems.append(
            f"{where}.ready_count: must be at most {total} "
            f"({session.target_minutes} minutes make {total} segments)"
        )
    if session.ended and session.capped:
        problems.append(f"{where}.capped: a session is either ended or capped, not both")
    if session.capped and session.ready_count >= total:
        problems.append(f"{where}.capped: a capped session stopped early; give a ready_count below {total}")
    late = sorted(i for i in session.promoted if i >= session.ready_count)
    if late:
        problems.append(
            f"{where}.promoted: only ready segments can be promoted (index < ready_count): {late}"
        )
    return problems


def load_scenario(path: str | Path, config: Config, spec: Spec) -> list[PlannedSession]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario file {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"scenario file {path} is not valid YAML: {exc}") from None
    return parse_scenario(data, config, spec)


def apply_scenario(planned: list[PlannedSession], service: FocusService, base: Config) -> list[SessionRecord]:
    """Create the sessions as of the clock's now; set quotas so capped ones are capped."""
    now = service.clock.now()
    timings = service.config.timings
    records = []
    for session in planned:
        started_at = now
        if session.ready_count:
            offset = (
                timings.first_segment_seconds + (session.ready_count - 1) * timings.segment_interval_seconds
            )
            started_at = round(now - offset, 3)
        record = SessionRecord(
            session_id=session.session_id or new_session_id(),
            organization_id=session.organization,
            owner_id=session.owner,
            goal=session.goal,
            engine=session.engine,
            target_minutes=session.target_minutes,
            started_at=started_at,
            ended_at=now if session.ended else None,
            promoted=session.promoted,
        )
        service.store.add(record)
        records.append(record)
    for organization in sorted({s.organization for s in planned if s.capped}):
        made = QuotaLedger.compute(service.store.in_organization(organization), UNLIMITED, timings, now)
        service.store.set_quota(organization, sum(made.granted.values()), now)
    apply_overrides(service, base)
    return records
