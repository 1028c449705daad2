"""Running the contract suite for the gate: a reachability check, then ``pytest`` in a child process.

The suite runs in its own process so that Hypothesis and Schemathesis start from
a clean state, an interrupt can be passed on once and then waited out (the suite
ends its sessions before it exits), and nothing of the caller's pytest set-up
leaks in: the child runs in a scratch directory with its own empty ini file,
plugin auto-loading off (a ``pytest-randomly`` or ``xdist`` installed for the
caller's own tests would reorder or split the suite) and only the plugins the
suite needs. Credentials reach the child through the environment, never its
command line, which other users of the machine can read.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

from ..redaction import redact
from ..report import NOT_RUN, PARTIAL, SKIPPED, skip_reasons
from ..settings import CREDENTIAL_OPTIONS
from .outcome import ExitCode, Outcome
from .probe import target_problem

# The plugins the suite needs, loaded by name since auto-loading is off in the child.
SUITE_PLUGINS = (
    "contracts.plugin",
    "_hypothesis_pytestplugin",
    "pytest_base_url.plugin",
    "schemathesis.pytest.plugin",
)
# Environment variables of the caller's own pytest set-up that must not steer the suite.
CALLER_PYTEST_ENV = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_BASE_URL")
PYTEST_OK, PYTEST_FAILED, PYTEST_USAGE, PYTEST_NO_TESTS = 0, 1, 4, 5
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # SIGHUP: the terminal closed
OWNER_KEY_ENV, ORG_ID_ENV = (CREDENTIAL_OPTIONS[dest][1] for dest in ("api_key", "org_id"))
UNPROVEN = (PARTIAL, SKIPPED, NOT_RUN)
# I8 runs an organization's quota out by moving the target's clock ten days on: a real clock cannot be.
VIRTUAL_CLOCK_CLAUSE = "I8"


@dataclass(frozen=True)
class SuiteOptions:
    """Everything the gate passes on to the suite."""

    base_url: str
    level: str
    seed: int
    credentials: dict[str, str]  # environment variable -> value
    max_sessions: int
    max_examples: int
    segment_wait: float
    request_timeout: float
    connect_timeout: float
    allow_skipped: bool = False  # a skipped clause passes the gate instead of failing it
    url_secrets: tuple[str, ...] = ()  # the user and password in base_url, masked in all the child prints


def _package_root() -> str:
    """The directory holding the ``contracts`` package this gate was imported from."""
    return str(Path(__file__).resolve().parents[2])


def child_environment(options: SuiteOptions) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CALLER_PYTEST_ENV}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_package_root(), os.environ.get("PYTHONPATH")) if p)
    env.update(options.credentials)
    env["PYTEST_BASE_URL"] = options.base_url  # not on the command line: it may hold a password
    return env


def suite_command(options: SuiteOptions, scratch: Path, report_path: Path) -> list[str]:
    command = [sys.executable, "-m", "pytest", "--pyargs", "contracts"]
    for plugin in SUITE_PLUGINS:
        command += ["-p", plugin]
    command += [
        "-p", "no:cacheprovider",
        "-c", str(scratch / "pytest.ini"),
        "--rootdir", _package_root(),
        "--confcutdir", str(Path(_package_root()) / "contracts"),
        "-q", "--tb=short", "-rN",
        "--conformance-json", str(report_path),
        "--hypothesis-seed", str(options.seed),
        "--max-sessions", str(options.max_sessions),
        "--contract-max-examples", str(options.max_examples),
        "--segment-wait", str(options.segment_wait),
        "--request-timeout", str(options.request_timeout),
    ]  # fmt: skip
    if options.level == "documented":
        command += ["-m", "documented"]
    return command


class _Forwarder:
    """Passes Ctrl-C, SIGTERM and SIGHUP on to the child once each time, and remembers the last one."""

    def __init__(self, child: subprocess.Popen[bytes]) -> None:
        self.child = child
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _Forwarder:
        try:
            for sig in FORWARDED_SIGNALS:
                self._previous[sig] = signal.signal(sig, self._forward)
        except ValueError:  # not the main thread: the caller handles signals
            pass
        return self

    def _forward(self, signum: int, frame: FrameType | None) -> None:
        self.received = signum
        if self.child.poll() is None:
            self.child.send_signal(signum)

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def run_suite(options: SuiteOptions) -> Outcome:
    """Check the target is reachable, run the suite, and classify how it ended."""
    started = time.monotonic()

    def outcome(
        code: int, message: str = "", suite: dict[str, Any] | None = None, *, printed: bool = False
    ) -> Outcome:
        return Outcome(
            code,
            options.base_url,
            options.level,
            options.seed,
            message,
            suite or {},
            time.monotonic() - started,
            message_printed=printed,
        )

    try:
        reason = target_problem(
            options.base_url,
            options.credentials[OWNER_KEY_ENV],
            options.credentials[ORG_ID_ENV],
            options.connect_timeout,
        )
    except KeyboardInterrupt:
        return outcome(128 + signal.SIGINT, "stopped by signal 2 before anything was tested")
    if reason is not None:
        return outcome(ExitCode.UNREACHABLE, reason)

    with tempfile.TemporaryDirectory(prefix="focus-contract-") as scratch_name:
        scratch = Path(scratch_name)
        (scratch / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        report_path = scratch / "conformance.json"
        sys.stdout.flush()
        # Its own process group: a Ctrl-C in the terminal reaches the child once, through us.
        child = subprocess.Popen(
            suite_command(options, scratch, report_path),
            cwd=scratch,
            env=child_environment(options),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if options.url_secrets else None,
            stderr=subprocess.STDOUT if options.url_secrets else None,
            process_group=0,
        )
        with _Forwarder(child) as forwarder:
            if child.stdout is not None:
                _pass_on(child.stdout, options.url_secrets)
            returncode = child.wait()
        suite = _read_report(report_path)

    if forwarder.received is not None:
        left = suite.get("sessions", {}).get("left_active", [])
        ended = f"{len(left)} sessions could not be ended" if left else "every session it started was ended"
        return outcome(128 + forwarder.received, f"stopped by signal {forwarder.received}; {ended}", suite)
    if returncode == PYTEST_USAGE and suite.get("aborted"):
        # The suite has printed it as its ERROR line; the reports carry it too.
        return outcome(ExitCode.UNREACHABLE, suite["aborted"], suite, printed=True)
    if returncode == PYTEST_USAGE:
        return outcome(ExitCode.USAGE, "the contract suite refused its options (see its ERROR line)", suite)
    if returncode == PYTEST_NO_TESTS:
        return outcome(ExitCode.USAGE, "no contract test was selected", suite)
    if returncode == PYTEST_OK and suite.get("clauses"):
        unproven = unproven_clauses(suite)
        if unproven and not options.allow_skipped:
            return outcome(ExitCode.CLAUSE_FAILED, unproven, suite)
        return outcome(ExitCode.CONFORMANT, "", suite)
    if returncode == PYTEST_FAILED:
        return outcome(ExitCode.CLAUSE_FAILED, "", suite)
    return outcome(
        ExitCode.USAGE, f"the contract suite did not complete (pytest exit code {returncode})", suite
    )


def unproven_clauses(suite: dict[str, Any]) -> str:
    """Why the run proves less than it selected: each clause skipped or partly skipped, with its reasons.

    A gate that goes green on a clause it never tested, or tested only in part,
    would pass a target that breaks it. Returns "" when every clause is proven.
    """
    unproven = [c for c in suite.get("clauses", []) if c.get("verdict") in UNPROVEN]
    if not unproven:
        return ""
    count = len(unproven)
    text = (
        f"not proven: {count} selected clause{'s' if count != 1 else ''} skipped or only partly tested: "
        f"{'; '.join(_why_unproven(c) for c in unproven)}. "
    )
    advice = "give what they need, or pass --allow-skipped to accept them untested"
    if suite.get("clock") == "real" and VIRTUAL_CLOCK_CLAUSE in {c["clause"] for c in unproven}:
        return text + (
            f"{VIRTUAL_CLOCK_CLAUSE} can only be proven on a target with a virtual clock, which a real "
            f"deployment has not: gate such a deployment with --level documented (the MUST clauses). "
            f"Otherwise, {advice}"
        )
    return text + advice[0].upper() + advice[1:]


def _why_unproven(clause: dict[str, Any]) -> str:
    tests = clause.get("tests", [])
    reasons = "; ".join(skip_reasons(tests)) or clause["verdict"]
    if clause["verdict"] == PARTIAL:
        skipped = sum(t.get("outcome") == SKIPPED for t in tests)
        reasons = f"{skipped} of {len(tests)} tests skipped: {reasons}"
    return f"{clause['clause']} ({reasons})"


def _pass_on(stream: IO[bytes], secrets: tuple[str, ...]) -> None:
    """Copy the child's output to ours line by line, with ``secrets`` masked."""
    for line in stream:
        sys.stdout.write(redact(line.decode("utf-8", "replace"), secrets))
        sys.stdout.flush()


def _read_report(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}
