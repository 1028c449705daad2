"""The mock with a pre-filled store: ``python -m bench.seeded_mock --port P --sessions N``.

Used by the scale runs only. It assembles the same app as ``focus-mock``
(``create_app`` with the default world and the real clock, access log on
unless ``--quiet``) around a ``MemoryStore`` that already holds ``N`` sessions,
so the mock's public behaviour is untouched.
"""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from bench.seeding import seeded_records
from mockserver.access_log import AccessLog
from mockserver.app import create_app
from mockserver.cli import settle
from mockserver.clock import RealClock
from mockserver.config import load_config
from mockserver.store import MemoryStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.seeded_mock")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sessions", type=int, required=True, help="how many sessions to pre-fill")
    parser.add_argument("--quiet", action="store_true", help="no per-request log line")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    clock = RealClock()
    store = MemoryStore()
    for record in seeded_records(args.sessions, clock.now()):
        store.add(record)
    app = create_app(
        load_config(None), clock, store, log_request=None if args.quiet else AccessLog(sys.stderr)
    )
    settle(app)  # as focus-mock does before serving
    print(f"seeded mock: {args.sessions} sessions on 127.0.0.1:{args.port}", flush=True)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=args.port, access_log=False, log_level="info", lifespan="off"
        )
    )
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
