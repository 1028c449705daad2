"""``focus-mock``: run the mock on localhost with one command."""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from .app import create_app
from .clock import make_clock
from .config import Config, ConfigError, load_config


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="focus-mock",
        description="A stateful mock of the Aitronos Focus Sessions API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=4010, help="port to listen on (default: %(default)s)")
    parser.add_argument(
        "--config", metavar="PATH", help="YAML file with users, organizations, timings, quotas"
    )
    parser.add_argument(
        "--clock",
        choices=("real", "virtual"),
        default="real",
        help="'real' follows the wall clock; 'virtual' moves only via POST /__mock/clock/advance",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log one line per request")
    return parser


def describe(config: Config, clock_kind: str, base_url: str) -> str:
    """The start-up banner: where it listens and which keys to use."""
    lines = [f"focus-mock listening on {base_url} (clock: {clock_kind})", "", "Organizations:"]
    for org in config.organizations:
        lines.append(f"  {org.id:<14} segment quota {org.segment_quota:<6} {org.name}")
    lines += ["", "API keys (send as X-API-Key):"]
    for user in config.users:
        lines.append(f"  {user.api_key:<20} {user.id:<12} member of {', '.join(user.organizations)}")
    t = config.timings
    lines += [
        "",
        f"Segments: first after {t.first_segment_seconds:g}s, then every {t.segment_interval_seconds:g}s.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"focus-mock: bad configuration: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    logging.getLogger("focus_mock.access").setLevel(logging.WARNING if args.quiet else logging.INFO)
    clock = make_clock(args.clock)
    app = create_app(config, clock)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(describe(config, clock.kind, f"http://{host}:{args.port}"), flush=True)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host=args.host, port=args.port, access_log=False, log_level="info", lifespan="off"
        )
    )
    server.run()
    return 0 if server.started or not server.should_exit else 1


if __name__ == "__main__":
    sys.exit(main())
