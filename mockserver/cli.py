"""``focus-mock``: run the mock on localhost with one command."""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import re
import sys
from importlib.metadata import PackageNotFoundError, version

import uvicorn
from starlette.applications import Starlette

from .access_log import AccessLog
from .app import create_app
from .clock import Clock, VirtualClock, make_clock
from .config import Config, ConfigError, load_config
from .scenarios import ScenarioError, apply_scenario, load_scenario
from .server import GRACE_SECONDS, CannotListen, MockServer, Stopping, bind
from .spec import Spec
from .sqlite_store import SqliteStore, StateFileError
from .store import MemoryStore, SessionStore
from .transport import http_protocol

# What a browser sends as Origin: scheme://host[:port], nothing after it (not even a slash).
_ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(:[0-9]{1,5})?")


def port_number(text: str) -> int:
    """A TCP port for ``--port``: 0 (any free port) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port; give 1 to 65535 (0: any free port)")
    return port


def origin(text: str) -> str:
    """A browser origin for ``--cors-origin``, as the browser writes it, or ``*``."""
    found = _ORIGIN.fullmatch(text)
    if text != "*" and (found is None or int((found[2] or ":0")[1:]) > 65535):
        hint = " (no trailing slash)" if text.endswith("/") else ""
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an origin; write scheme://host[:port]{hint}, "
            "e.g. http://localhost:5173, or '*' for any"
        )
    return text


def package_version() -> str:
    try:
        return version("focus-contract")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="focus-mock",
        description="A stateful mock of the Aitronos Focus Sessions API.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument(
        "--port",
        type=port_number,
        default=4010,
        help="port to listen on; 0 picks a free one (default: %(default)s)",
    )
    parser.add_argument(
        "--config", metavar="PATH", help="YAML file with users, organizations, timings, quotas"
    )
    parser.add_argument(
        "--clock",
        choices=("real", "virtual"),
        default="real",
        help="'real' follows the wall clock; 'virtual' moves only via POST /__mock/clock/advance",
    )
    parser.add_argument(
        "--state",
        metavar="PATH",
        help="keep sessions, quotas and the virtual clock in this SQLite file (default: in memory)",
    )
    parser.add_argument(
        "--scenario", metavar="PATH", help="YAML file of sessions to create at start-up (on an empty state)"
    )
    reach = parser.add_mutually_exclusive_group()
    reach.add_argument(
        "--no-control", dest="control", action="store_false", help="remove the /__mock control plane"
    )
    reach.add_argument(
        "--control-from-anywhere",
        action="store_true",
        help="let clients on other machines use the control plane (default: loopback only)",
    )
    parser.add_argument(
        "--cors-origin",
        dest="cors_origins",
        metavar="ORIGIN",
        type=origin,
        action="append",
        help="a browser origin allowed to call the mock; repeat for more, '*' for any "
        "(default: any http://localhost, 127.0.0.1 or [::1] origin)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log one line per request")
    return parser


def describe(
    config: Config,
    clock_kind: str,
    base_url: str,
    notes: list[str] | None = None,
    configured: Config | None = None,
) -> str:
    """The start-up banner: where it listens and which keys to use.

    ``config`` has the quotas in force (a scenario or the state file may have changed
    them); ``configured`` the ones of the configuration, shown beside any that differ.
    """
    lines = [f"focus-mock listening on {base_url} (clock: {clock_kind})", "", "Organizations:"]
    for org in config.organizations:
        line = f"  {org.id:<14} segment quota {org.segment_quota:<6} {org.name}"
        before = configured.organization(org.id) if configured else None
        if before is not None and before.segment_quota != org.segment_quota:
            line += f" (configured: {before.segment_quota})"
        lines.append(line)
    lines += ["", "API keys (send as X-API-Key):"]
    for user in config.users:
        lines.append(f"  {user.api_key:<20} {user.id:<12} member of {', '.join(user.organizations)}")
    t = config.timings
    lines += [
        "",
        f"Segments: first after {t.first_segment_seconds:g}s, then every {t.segment_interval_seconds:g}s.",
        "",
    ]
    if notes:
        lines += [*notes, ""]
    return "\n".join(lines)


def restore_clock(kind: str, store: SessionStore) -> Clock:
    """A virtual clock resumes where the state file left it, so progress survives a restart."""
    clock = make_clock(kind)
    if isinstance(clock, VirtualClock):
        saved = store.clock_now()
        if saved is not None:
            clock = VirtualClock(saved)
            clock.set(saved)  # the constructor keeps whole seconds only
        store.save_clock(clock.now())
    return clock


def settle(app: Starlette) -> None:
    """Ready the app to serve: quota schedules built, long-lived objects out of the collector's way.

    What start-up made (the spec, validators, a restored store) lives as long as the
    server, and so does every session started later. A full collection walks all
    of it: 50-70 ms with 100,000 sessions, often enough under a stream of starts to
    double their p99 latency. So start-up's objects are frozen (``gc.freeze``), and
    after each full collection so is whatever survived it, which is the store
    and little else; a full collection then walks only what is newer. Objects a
    request still held when frozen are freed by reference counting as usual
    (measured: RSS after 40 s of starts within 2 % of an unfrozen run).
    """
    app.state.service.warm()
    gc.freeze()
    gc.callbacks.append(_freeze_survivors)


def _freeze_survivors(phase: str, info: dict[str, int]) -> None:
    if phase == "stop" and info["generation"] == 2:
        gc.freeze()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    spec = Spec.load()
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        problems = str(exc).splitlines()
        shown = problems[0] if len(problems) == 1 else "\n  " + "\n  ".join(problems)
        print(f"focus-mock: bad configuration: {shown}", file=sys.stderr)
        return 2
    try:
        scenario = load_scenario(args.scenario, config, spec) if args.scenario else None
    except ScenarioError as exc:
        print(f"focus-mock: bad scenario: {exc}", file=sys.stderr)
        return 2
    store: SessionStore = MemoryStore()
    try:
        if args.state:
            state_file = SqliteStore(args.state)
            state_file.check_written_with(args.clock, config)
            store = state_file
    except StateFileError as exc:
        print(f"focus-mock: {exc}", file=sys.stderr)
        return 2
    try:
        sock = bind(args.host, args.port)
    except CannotListen as exc:
        print(f"focus-mock: {exc}", file=sys.stderr)
        return 1
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    clock = restore_clock(args.clock, store)
    stopping = Stopping()
    app = create_app(
        config,
        clock,
        store,
        spec=spec,
        control=args.control,
        control_from_anywhere=args.control_from_anywhere,
        cors_origins=args.cors_origins,
        log_request=None if args.quiet else AccessLog(sys.stderr),
        sleep=stopping.sleep,
    )
    host = f"[{args.host}]" if ":" in args.host else args.host
    base_url = f"http://{host}:{sock.getsockname()[1]}"
    notes = [f"Docs: {base_url}/docs"]
    if args.control:
        reach = "any client" if args.control_from_anywhere else "loopback clients only"
        notes.append(f"Control plane: {base_url}/__mock/openapi.json ({reach})")
    else:
        notes.append("Control plane: off (--no-control)")
    notes.append(f"State: {args.state} (SQLite)" if args.state else "State: in memory")
    if scenario is not None:
        if store.all():
            notes.append(f"Scenario: not applied, {args.state} already holds sessions")
        else:
            apply_scenario(scenario, app.state.service, config)
            notes.append(f"Scenario: {len(scenario)} sessions from {args.scenario}")
    settle(app)
    in_force = app.state.service.config  # with the quotas a scenario or the state file changed
    print(describe(in_force, clock.kind, base_url, notes, configured=config), flush=True)
    server = MockServer(
        uvicorn.Config(
            app,
            host=args.host,
            port=sock.getsockname()[1],
            access_log=False,
            log_level="info",
            lifespan="off",
            http=http_protocol(clock),
            timeout_graceful_shutdown=GRACE_SECONDS,
        ),
        stopping,
    )
    # uvicorn shuts down cleanly on Ctrl-C, then raises it again for the caller: that is the
    # normal way to stop the mock, not a failure, so it ends with 0 and no traceback.
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
    finally:
        if isinstance(store, SqliteStore):  # closing folds SQLite's -wal and -shm files back in
            store.close()
    return 0 if server.started or not server.should_exit else 1


if __name__ == "__main__":
    sys.exit(main())
