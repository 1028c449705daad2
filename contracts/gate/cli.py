"""``focus-contract``: gate a deployment on the contract, or lint the spec.

    focus-contract [run] --base-url URL [--level documented|all] [--junit P] [--json P] [--markdown P]
    focus-contract lint [--spec PATH]

A mistake on the command line is exit code 2 before anything is sent; see
:mod:`.outcome` for the other codes.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from ..redaction import MASK
from ..settings import (
    BASE_URL_ENV,
    CREDENTIAL_OPTIONS,
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_MAX_SESSIONS,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_SEGMENT_WAIT,
    REQUIRED_WITH_BASE_URL,
)
from .outcome import LEVELS, ExitCode, Outcome
from .reports import console_summary, write_reports
from .suite import SuiteOptions, run_suite

PROG = "focus-contract"
STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
SUBCOMMANDS = ("run", "lint")
USAGE = f"""\
{PROG} [run] --base-url URL [--level {{documented,all}}] [options]
       {PROG} lint [--spec PATH]"""
DESCRIPTION = f"""\
Run the Focus Sessions contract suite against a deployment and report clause by clause.

commands (the first argument):
  run   gate a deployment on the contract (the default: `run` may be left out);
        the options below
  lint  check the OpenAPI document itself; no target: `{PROG} lint [--spec PATH]`,
        see `{PROG} lint --help`"""
DEFAULT_CONNECT_TIMEOUT = 5.0
MAX_TIMEOUT = 600.0

EPILOG = f"""\
exit codes:
  0  conformant: every clause of the level passed (with --allow-skipped: or was skipped or partial)
  1  a clause failed, or was skipped or only partly tested ("partial") and so not proven
  2  usage or configuration error; nothing was tested
  3  the target is unreachable, does not answer like the Focus Sessions API, or refused
     the credentials; nothing was tested
  128+n  stopped by signal n (130: Ctrl-C); every session started was ended

A clause is proven only when every one of its tests ran and passed. On a real
deployment (a clock the suite cannot move) --level all can never pass: I8 runs an
organization's quota out by moving the clock ten days on, so it is always skipped.
Gate a real deployment with --level documented, or accept skipped clauses with
--allow-skipped. Some tests need a user of another organization: without
--outsider-api-key and --outsider-org-id, D3 and D10 (and at --level all D7 and
I10) are not fully tested, and so fail the gate.

--base-url is required: the gate never falls back to the bundled mock, so an empty
$STAGING_URL cannot pass as a green run. To try the gate locally, start `focus-mock`
and pass --base-url http://127.0.0.1:4010 with its development keys.

Credentials are best given in the environment ({", ".join(v[1] for v in CREDENTIAL_OPTIONS.values())}):
a command line is visible to other users of the machine. Keys never appear in the reports.
"""


class UsageError(Exception):
    """A configuration mistake found after the command line was parsed."""


def _positive(kind: type[int] | type[float]) -> type:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0 (got {text})")
        return value

    parse.__name__ = kind.__name__
    return parse  # type: ignore[return-value]


def _timeout(text: str) -> float:
    """A timeout in seconds: finite and at most MAX_TIMEOUT, so that neither sockets nor CI wait forever."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= MAX_TIMEOUT:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(
            f"must be more than 0 and at most {MAX_TIMEOUT:g} seconds (got {text})"
        )
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more (got {text})")
    return value


def run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        usage=USAGE,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    target = parser.add_argument_group("target")
    target.add_argument(
        "--base-url", metavar="URL", help=f"the deployment to test (env {BASE_URL_ENV}); required"
    )
    for dest, (flag, env, text) in CREDENTIAL_OPTIONS.items():
        target.add_argument(flag, dest=dest, metavar="VALUE", help=f"{text} (env {env})")
    run = parser.add_argument_group("run")
    run.add_argument(
        "--level",
        choices=tuple(LEVELS),
        default="all",
        help="documented: only the MUST clauses (D1-D12); all: also the inferred SHOULD clauses and "
        "the Schemathesis run against the spec (default: %(default)s); all needs a target with a "
        "virtual clock for I8, so gate a real deployment with documented",
    )
    run.add_argument(
        "--seed",
        type=_seed,
        metavar="N",
        help="seed of the generated requests (Schemathesis/Hypothesis); a failing run prints the one it used",
    )
    run.add_argument(
        "--max-sessions",
        type=_positive(int),
        default=DEFAULT_MAX_SESSIONS,
        metavar="N",
        help="most sessions the run starts, every one ended again (default: %(default)s)",
    )
    run.add_argument(
        "--max-examples",
        type=_positive(int),
        default=DEFAULT_MAX_EXAMPLES,
        metavar="N",
        help="Schemathesis examples per operation and stateful scenarios (default: %(default)s)",
    )
    run.add_argument(
        "--segment-wait",
        type=_positive(float),
        default=DEFAULT_SEGMENT_WAIT,
        metavar="SECONDS",
        help="longest real-time wait for a segment, when the target's clock cannot be moved "
        "(default: %(default)s)",
    )
    run.add_argument(
        "--request-timeout",
        type=_timeout,
        default=DEFAULT_REQUEST_TIMEOUT,
        metavar="SECONDS",
        help="timeout of every request (default: %(default)s)",
    )
    run.add_argument(
        "--connect-timeout",
        type=_timeout,
        default=DEFAULT_CONNECT_TIMEOUT,
        metavar="SECONDS",
        help="how long the first connection may take before the target counts as unreachable "
        "(default: %(default)s)",
    )
    run.add_argument(
        "--allow-skipped",
        action="store_true",
        help="exit 0 even when clauses of the level were skipped or only partly tested (for example "
        "for want of an outsider key); by default such a clause is not proven and fails the gate",
    )
    reports = parser.add_argument_group(
        "reports", f"Markdown is also appended to ${STEP_SUMMARY_ENV} when that variable is set."
    )
    reports.add_argument("--junit", metavar="PATH", help="JUnit XML, one test case per clause")
    reports.add_argument(
        "--json",
        metavar="PATH",
        help="JSON: each clause's level and verdict, its tests, and for a failure the request and "
        "answer that proved it (keys redacted) with a curl command",
    )
    reports.add_argument("--markdown", metavar="PATH", help="a Markdown summary")
    return parser


def lint_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{PROG} lint",
        description="Check the OpenAPI document: valid OpenAPI 3.1, the four operations present and every "
        "link resolving, every example valid against its schema, "
        "every operation documenting the error answers the API notes give it.",
        epilog="exit codes: 0 no problem; 1 problems (one line each); 2 usage error or unreadable file",
        allow_abbrev=False,
    )
    parser.add_argument("--spec", metavar="PATH", help="the document to check (default: the bundled spec)")
    return parser


def _target(value: str | None) -> str:
    base_url = value if value is not None else os.environ.get(BASE_URL_ENV)
    if base_url is None:
        raise UsageError(f"--base-url URL is required (or ${BASE_URL_ENV})")
    base_url = base_url.strip()
    if not base_url:
        raise UsageError("--base-url is empty: is the variable it comes from set?")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"--base-url must be an http(s) URL such as https://api.example.com (got {shown_url(base_url)!r})"
        )
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise UsageError(f"--base-url has a bad port (got {shown_url(base_url)!r})") from None
    if parts.query or parts.fragment:
        raise UsageError(
            f"--base-url must not have a query string or fragment (got {shown_url(base_url)!r}): "
            "give the URL the API's paths are appended to"
        )
    return base_url.rstrip("/")


def url_secrets(base_url: str | None) -> list[str]:
    """The user and password written into ``base_url``: masked like keys wherever the URL is shown."""
    if not base_url:
        return []
    parts = urlsplit(base_url.strip())
    return [
        unquoted for part in (parts.password, parts.username) if part for unquoted in {part, unquote(part)}
    ]


def shown_url(base_url: str) -> str:
    """``base_url`` with any user and password replaced by the mask, for printing."""
    parts = urlsplit(base_url)
    if "@" not in parts.netloc:
        return base_url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{MASK}@{host}"))


def _credentials(args: argparse.Namespace) -> dict[str, str]:
    """Environment variable -> value for each credential given by option or environment."""
    found: dict[str, str] = {}
    for dest, (flag, env, _text) in CREDENTIAL_OPTIONS.items():
        value = getattr(args, dest) or os.environ.get(env)
        if value:
            if env.endswith("_API_KEY"):
                _check_key(value, flag, env)
            found[env] = value
    missing = [dest for dest in REQUIRED_WITH_BASE_URL if CREDENTIAL_OPTIONS[dest][1] not in found]
    if missing:
        names = ", ".join(f"{CREDENTIAL_OPTIONS[d][0]} (or ${CREDENTIAL_OPTIONS[d][1]})" for d in missing)
        raise UsageError(f"the gate needs credentials: missing {names}")
    owner, peer = (found[CREDENTIAL_OPTIONS[d][1]] for d in ("api_key", "peer_api_key"))
    if owner == peer:
        raise UsageError("--peer-api-key must belong to another user than --api-key")
    return found


def _check_key(value: str, flag: str, env: str) -> None:
    """A key goes into an HTTP header as is: a stray newline or space would be refused before any request."""
    if value != value.strip() or not value.isprintable():
        raise UsageError(
            f"the key given as {flag} (or ${env}) has surrounding whitespace or an unprintable "
            "character (a trailing newline from a file?): give the key alone"
        )


def _key_values(credentials: dict[str, str]) -> list[str]:
    return [value for env, value in credentials.items() if env.endswith("_API_KEY")]


def _check_writable(paths: Sequence[str | None]) -> None:
    """Report paths are checked before the run, not found unwritable after it."""
    for path in filter(None, paths):
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
        if target.is_dir() or not os.access(target.parent, os.W_OK):
            raise UsageError(f"cannot write {path}: not a writable file path")


def _parse_run(argv: Sequence[str]) -> argparse.Namespace:
    """The run's options; a subcommand given after options is named as such, not as an unknown word."""
    parser = run_parser()
    args, unknown = parser.parse_known_args(argv)
    misplaced = [word for word in unknown if word in SUBCOMMANDS]
    if misplaced:
        parser.error(
            f"{misplaced[0]!r} is a command and must come first, as in `{PROG} {misplaced[0]} ...`"
            + (" (lint checks the spec and takes no --base-url)" if misplaced[0] == "lint" else "")
        )
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def run_command(argv: Sequence[str]) -> int:
    args = _parse_run(argv)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**32)
    credentials: dict[str, str] = {}
    hidden = url_secrets(args.base_url if args.base_url is not None else os.environ.get(BASE_URL_ENV))
    try:
        base_url = _target(args.base_url)
        credentials = _credentials(args)
        _check_writable([args.json, args.junit, args.markdown])
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        shown = shown_url(args.base_url) if args.base_url else args.base_url
        outcome = Outcome(ExitCode.USAGE, shown, args.level, seed, str(exc))
        ran = False
    else:
        options = SuiteOptions(
            base_url=base_url,
            level=args.level,
            seed=seed,
            credentials=credentials,
            max_sessions=args.max_sessions,
            max_examples=args.max_examples,
            segment_wait=args.segment_wait,
            request_timeout=args.request_timeout,
            connect_timeout=args.connect_timeout,
            allow_skipped=args.allow_skipped,
            url_secrets=tuple(hidden),
        )
        print(f"{PROG}: testing {shown_url(base_url)} at level {args.level}, seed {seed}", flush=True)
        outcome = run_suite(options)
        outcome.target = shown_url(base_url)
        ran = True
    keys = _key_values(credentials) + hidden
    if ran:
        tested = outcome.exit_code in (ExitCode.CONFORMANT, ExitCode.CLAUSE_FAILED)
        print(console_summary(outcome, keys), file=sys.stdout if tested else sys.stderr, flush=True)
    try:
        write_reports(
            outcome,
            keys,
            json_path=args.json,
            junit_path=args.junit,
            markdown_path=args.markdown,
            step_summary=os.environ.get(STEP_SUMMARY_ENV) or None,
        )
    except OSError as exc:
        if ran:  # else the mistake that stopped the run was reported already
            print(f"{PROG}: error: cannot write a report: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    return int(outcome.exit_code)


def lint_command(argv: Sequence[str]) -> int:
    from ..lint import SpecUnreadable, lint  # only the lint needs openapi-spec-validator

    args = lint_parser().parse_args(argv)
    try:
        result = lint(args.spec)
    except SpecUnreadable as exc:
        print(f"{PROG} lint: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    if result.ok:
        print(
            f"{PROG} lint: {result.path}: valid OpenAPI 3.1; {result.examples_checked} examples valid; "
            f"{result.operations_checked} operations document their error answers"
        )
        return ExitCode.CONFORMANT
    for problem in result.problems:
        print(f"{result.path}: {problem}")
    count = len(result.problems)
    print(f"{PROG} lint: {count} problem{'s' if count != 1 else ''} in {result.path}", file=sys.stderr)
    return ExitCode.CLAUSE_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["lint"]:
        return lint_command(arguments[1:])
    if arguments[:1] == ["run"]:
        arguments = arguments[1:]
    return run_command(arguments)
