"""The command line: new flags, refusals at start-up, and the clock that resumes from a state file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mockserver.cli import build_parser, describe, main, restore_clock
from mockserver.clock import RealClock, VirtualClock
from mockserver.config import load_config
from mockserver.store import MemoryStore


def test_defaults_keep_the_control_plane_on_and_state_in_memory() -> None:
    args = build_parser().parse_args([])
    assert (args.control, args.control_from_anywhere, args.state, args.scenario, args.cors_origins) == (
        True,
        False,
        None,
        None,
        None,
    )


def test_flags() -> None:
    args = build_parser().parse_args(
        [
            *("--no-control", "--state", "f.db", "--scenario", "s.yaml"),
            *("--cors-origin", "http://a.test", "--cors-origin", "http://b.test"),
        ]
    )
    assert (args.control, args.control_from_anywhere, args.state, args.scenario) == (
        False,
        False,
        "f.db",
        "s.yaml",
    )
    assert args.cors_origins == ["http://a.test", "http://b.test"]


def _usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(argv)
    assert stopped.value.code == 2
    return capsys.readouterr().err


def test_no_control_and_control_from_anywhere_contradict_each_other(
    capsys: pytest.CaptureFixture[str],
) -> None:
    err = _usage_error(["--no-control", "--control-from-anywhere"], capsys)
    assert "not allowed with argument --no-control" in err


@pytest.mark.parametrize(
    "origin", ["http://localhost:5173", "https://design.example.com", "http://[::1]:3000", "app://x", "*"]
)
def test_a_cors_origin_is_scheme_host_and_port(origin: str) -> None:
    assert build_parser().parse_args(["--cors-origin", origin]).cors_origins == [origin]


@pytest.mark.parametrize(
    "origin",
    ["not a url", "localhost:5173", "http://localhost:5173/", "http://a.test/app", "http://a:99999", ""],
)
def test_anything_else_is_not_an_origin(origin: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Regression: ``--cors-origin 'not a url'`` was accepted and then matched no browser."""
    err = _usage_error(["--cors-origin", origin], capsys)
    assert "is not an origin; write scheme://host[:port]" in err
    if origin.endswith("/"):
        assert "no trailing slash" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["--version"])
    assert stopped.value.code == 0
    assert re.fullmatch(r"focus-mock .+\n", capsys.readouterr().out)


def test_a_bad_scenario_is_refused_before_listening(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("sessions:\n  - {owner: usr_alice, goal: focus, target_minutes: 0}\n")
    assert main(["--scenario", str(scenario)]) == 2
    assert "bad scenario: sessions[0].target_minutes: must be at least 1" in capsys.readouterr().err


def test_a_bad_state_file_is_refused_before_listening(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all " * 100)
    assert main(["--state", str(junk)]) == 2
    assert "cannot use" in capsys.readouterr().err


def test_virtual_clock_resumes_exactly_where_the_store_left_it() -> None:
    store = MemoryStore()
    store.save_clock(1_782_639_033.5)
    clock = restore_clock("virtual", store)
    assert isinstance(clock, VirtualClock) and clock.now() == 1_782_639_033.5


def test_a_fresh_virtual_clock_is_saved_at_once() -> None:
    """So sessions started before any advance stay put after a restart."""
    store = MemoryStore()
    clock = restore_clock("virtual", store)
    assert store.clock_now() == clock.now()


def test_a_real_clock_ignores_the_saved_reading() -> None:
    store = MemoryStore()
    store.save_clock(5.0)
    assert isinstance(restore_clock("real", store), RealClock)


class _Served:
    """Stands in for the server: ``main`` prints its banner, then this returns at once."""

    started, should_exit = True, False

    def __init__(self, config: object, stopping: object) -> None:
        pass

    def run(self, sockets: list) -> None:
        for sock in sockets:
            sock.close()


def test_the_banner_shows_the_quota_a_scenario_left_in_force(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: with the example scenario capping Globex at 12, the banner still said 20."""
    monkeypatch.setattr("mockserver.cli.MockServer", _Served)
    monkeypatch.setattr("mockserver.cli.settle", lambda app: None)  # no gc.freeze in the test process
    example = Path(__file__).resolve().parents[2] / "mockserver" / "example_scenario.yaml"
    assert main(["--port", "0", "--clock", "virtual", "--quiet", "--scenario", str(example)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "  org_xyz789     segment quota 12     Globex (small quota) (configured: 20)" in lines
    assert any(re.fullmatch(r"  org_abc123 +segment quota 10000 +Acme Studio", line) for line in lines)


def test_banner_lists_docs_control_plane_and_state() -> None:
    banner = describe(
        load_config(None), "virtual", "http://127.0.0.1:4010", ["Docs: http://127.0.0.1:4010/docs"]
    )
    assert "alice-dev-key" in banner and banner.rstrip().endswith("Docs: http://127.0.0.1:4010/docs")
