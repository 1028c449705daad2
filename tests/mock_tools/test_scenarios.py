"""Scenario files: sessions pre-created at start-up in the state a designer asked for."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml

from mockserver.clock import VirtualClock
from mockserver.config import load_config
from mockserver.scenarios import ScenarioError, apply_scenario, load_scenario, parse_scenario
from mockserver.spec import Spec

from .conftest import ALICE, BOB, CAROL, SESSIONS, MakeClient

EXAMPLE = Path(__file__).resolve().parents[2] / "mockserver" / "example_scenario.yaml"
SPEC = Spec.load()
CONFIG = load_config(None)


def _session(**fields: object) -> dict:
    return {"owner": "usr_alice", "goal": "focus", "target_minutes": 60} | fields


def _applied(make_client: MakeClient, sessions: list[dict]) -> httpx.Client:
    client = make_client()
    planned = parse_scenario({"sessions": sessions}, CONFIG, SPEC)
    apply_scenario(planned, client.app.state.service, CONFIG)  # type: ignore[attr-defined]
    return client


def test_the_example_scenario_opens_on_every_state(make_client: MakeClient) -> None:
    client = make_client()
    apply_scenario(load_scenario(EXAMPLE, CONFIG, SPEC), client.app.state.service, CONFIG)  # type: ignore[attr-defined]
    alice = client.get(f"{SESSIONS}/mfocus_0000000000a1", headers=ALICE).json()
    assert (alice["status"], alice["ready_count"], alice["total_segments"]) == ("active", 24, 30)
    assert [s["index"] for s in alice["segments"] if s["promoted"]] == [0, 3]
    fresh = client.get(f"{SESSIONS}/mfocus_0000000000a2", headers=ALICE).json()
    assert (fresh["status"], fresh["ready_count"], fresh["more_pending"]) == ("active", 0, True)
    bob = client.get(f"{SESSIONS}/mfocus_0000000000b1", headers=BOB).json()
    assert (bob["status"], bob["ready_count"], bob["next_ready_at"]) == ("ended", 5, None)
    carol = client.get("/v1/music/org_xyz789/focus/sessions/mfocus_0000000000c1", headers=CAROL).json()
    assert (carol["status"], carol["ready_count"], carol["more_pending"]) == ("stopped_cap", 12, False)


def test_scenario_sessions_keep_progressing_with_the_clock(
    make_client: MakeClient, clock: VirtualClock
) -> None:
    client = _applied(make_client, [_session(session_id="mfocus_00000000000a", ready_count=3)])
    clock.advance(10)
    assert client.get(f"{SESSIONS}/mfocus_00000000000a", headers=ALICE).json()["ready_count"] == 4


def test_capped_caps_the_organization_at_that_moment(make_client: MakeClient) -> None:
    """I8: the quota runs out, so Globex's next session stops at once."""
    client = _applied(make_client, [_session(owner="usr_carol", ready_count=2, capped=True)])
    later = client.post(
        "/v1/music/org_xyz789/focus/sessions", json={"goal": "focus", "target_minutes": 10}, headers=CAROL
    ).json()
    assert (later["status"], later["ready_count"]) == ("stopped_cap", 0)
    quota = client.get("/__mock/quotas").json()["organizations"][1]
    assert (quota["segment_quota"], quota["used"], quota["configured_quota"]) == (2, 2, 20)


def test_ready_segments_up_to_the_quota_use_it_up(make_client: MakeClient) -> None:
    """I8: asking for exactly Globex's 20 is allowed; the quota is then used up, so the session stops."""
    client = _applied(
        make_client, [_session(owner="usr_carol", session_id="mfocus_00000000000c", ready_count=20)]
    )
    seen = client.get("/v1/music/org_xyz789/focus/sessions/mfocus_00000000000c", headers=CAROL).json()
    assert (seen["status"], seen["ready_count"]) == ("stopped_cap", 20)


def test_capped_with_nothing_ready(make_client: MakeClient) -> None:
    client = _applied(
        make_client, [_session(owner="usr_carol", session_id="mfocus_00000000000c", capped=True)]
    )
    seen = client.get("/v1/music/org_xyz789/focus/sessions/mfocus_00000000000c", headers=CAROL).json()
    assert (seen["status"], seen["ready_count"]) == ("stopped_cap", 0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "(top level): must be a mapping of keys to values, not []"),
        ({}, "sessions: is required"),
        (
            {"sessions": [_session(colour="red")]},
            "sessions[0].colour: is not a known key (allowed: session_id,",
        ),
        ({"sessions": [_session(), _session(owner="usr_zed")]}, "sessions[1].owner: unknown user 'usr_zed'"),
        (
            {"sessions": [_session(organization="org_xyz789")]},
            "sessions[0].organization: usr_alice is not a member",
        ),
        ({"sessions": [_session(target_minutes=481)]}, "sessions[0].target_minutes: must be at most 480"),
        ({"sessions": [_session(goal="Focus!")]}, "sessions[0].goal: must match"),
        ({"sessions": [_session(ready_count=31)]}, "sessions[0].ready_count: must be at most 30"),
        (
            {"sessions": [_session(ready_count=-1)]},
            "sessions[0].ready_count: must be at least 0, not -1",
        ),
        (
            {"sessions": [_session(ended=True, capped=True)]},
            "sessions[0].capped: a session is either ended or capped",
        ),
        (
            {"sessions": [_session(ready_count=30, capped=True)]},
            "sessions[0].capped: a capped session stopped early",
        ),
        ({"sessions": [_session(ready_count=2, promoted=[2])]}, "sessions[0].promoted: only ready segments"),
        ({"sessions": [_session(session_id="session-1")]}, "sessions[0].session_id: must match"),
        (
            {"sessions": [_session(owner="usr_carol", ready_count=30)]},
            "sessions[0].ready_count: org_xyz789 has a segment quota of 20; give at most 20",
        ),
        (
            {
                "sessions": [
                    _session(owner="usr_carol", ready_count=15, ended=True),
                    _session(owner="usr_alice", ready_count=30),
                    _session(owner="usr_carol", ready_count=10),
                ]
            },
            "sessions[2].ready_count: org_xyz789 has a segment quota of 20 and the sessions before it "
            "ask for 15; give at most 5",
        ),
        (
            {
                "sessions": [
                    _session(session_id="mfocus_00000000000a"),
                    _session(session_id="mfocus_00000000000a"),
                ]
            },
            "sessions[1].session_id: duplicate",
        ),
    ],
)
def test_bad_scenarios_are_refused_naming_the_field(data: object, message: str) -> None:
    with pytest.raises(ScenarioError) as refused:
        parse_scenario(data, CONFIG, SPEC)
    assert str(refused.value).startswith(message), str(refused.value)


def test_every_mistake_of_a_scenario_is_named_in_one_go_in_file_order() -> None:
    """Regression: a file with six mistakes was refused once per mistake, six runs to fix it."""
    data = {
        "sessions": [
            _session(goal="Focus!", target_minutes=481),
            _session(owner="usr_zed"),
            _session(session_id="session-1", ready_count=31),
            _session(ended=True, capped=True, promoted=[0]),
        ]
    }
    with pytest.raises(ScenarioError) as refused:
        parse_scenario(data, CONFIG, SPEC)
    assert [line.split(":", 1)[0] for line in str(refused.value).splitlines()] == [
        "sessions[0].goal",
        "sessions[0].target_minutes",
        "sessions[1].owner",
        "sessions[2].session_id",
        "sessions[2].ready_count",
        "sessions[3].capped",
        "sessions[3].promoted",
    ]


def test_unreadable_and_non_yaml_files(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read scenario file"):
        load_scenario(tmp_path / "missing.yaml", CONFIG, SPEC)
    broken = tmp_path / "broken.yaml"
    broken.write_text("sessions: [\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(broken, CONFIG, SPEC)


def test_example_file_is_valid_yaml_with_comments_for_designers() -> None:
    text = EXAMPLE.read_text()
    assert text.startswith("#") and len(yaml.safe_load(text)["sessions"]) == 4
