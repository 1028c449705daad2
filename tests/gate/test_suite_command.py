"""How the gate starts the suite: seed and level passed on, keys in the environment, no caller set-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.gate.suite import SuiteOptions, child_environment, suite_command

OPTIONS = SuiteOptions(
    base_url="https://staging.example.com",
    level="documented",
    seed=4242,
    credentials={"FOCUS_API_KEY": "secret-owner-key", "FOCUS_PEER_API_KEY": "secret-peer-key"},
    max_sessions=7,
    max_examples=3,
    segment_wait=2.5,
    request_timeout=4.0,
    connect_timeout=1.0,
)


def pytest_arguments(options: SuiteOptions, scratch: Path) -> list[str]:
    command = suite_command(options, scratch, scratch / "report.json")
    assert command[1:3] == ["-m", "pytest"]
    return command[3:]


def option_value(arguments: list[str], flag: str) -> str:
    return arguments[arguments.index(flag) + 1]


def test_the_seed_level_and_limits_reach_the_suite(tmp_path: Path) -> None:
    command = pytest_arguments(OPTIONS, tmp_path)
    assert option_value(command, "--hypothesis-seed") == "4242"
    assert option_value(command, "-m") == "documented"
    assert option_value(command, "--max-sessions") == "7"
    assert option_value(command, "--contract-max-examples") == "3"
    assert option_value(command, "--conformance-json") == str(tmp_path / "report.json")
    assert option_value(command, "-c") == str(tmp_path / "pytest.ini")


def test_level_all_selects_every_test(tmp_path: Path) -> None:
    options = SuiteOptions(**{**OPTIONS.__dict__, "level": "all"})
    assert "-m" not in pytest_arguments(options, tmp_path)


def test_keys_travel_in_the_environment_never_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p xdist -n 4")
    monkeypatch.setenv("PYTEST_BASE_URL", "https://elsewhere.example.com")
    command = suite_command(OPTIONS, tmp_path, tmp_path / "report.json")
    env = child_environment(OPTIONS)
    assert not [word for word in command if "secret" in word]
    assert env["FOCUS_API_KEY"] == "secret-owner-key" and env["FOCUS_PEER_API_KEY"] == "secret-peer-key"
    assert "PYTEST_ADDOPTS" not in env
    assert env["PYTEST_BASE_URL"] == "https://staging.example.com"  # the gate's, not the caller's
    assert env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] == "1"


def test_the_base_url_travels_in_the_environment_since_it_may_hold_a_password(tmp_path: Path) -> None:
    options = SuiteOptions(**{**OPTIONS.__dict__, "base_url": "https://u:secret-pw@staging.example.com"})
    command = suite_command(options, tmp_path, tmp_path / "report.json")
    assert "--base-url" not in command and not [word for word in command if "secret-pw" in word]
    assert child_environment(options)["PYTEST_BASE_URL"] == "https://u:secret-pw@staging.example.com"
