"""The hostile-input corpus: one request per row, with the answer it must get.

Each row names the request (method, target, headers, body; or the raw bytes
for what no client library would send) and the acceptable answers as
``(status, error code)``; a success has no code. Most rows run twice: in
process through the spec-checking client, and on the wire against a real
``focus-mock``. ``where`` keeps a row to one of them when the other cannot
carry it: an HTTP client normalises ``..`` away, and only a real server strips
spaces around a header value or parses raw bytes. A row lists more than one
answer only where the two HTTP parsers uvicorn can run (h11, httptools) read
the same broken bytes differently; both answers are enveloped 4xx.

``{session}`` and ``{segment}`` stand for a session of Alice's with ready
segments. Rows that every fixed fault came from are marked ``fixed=`` with what
was wrong, so the corpus keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from mockserver.control import load_document

# Error codes, as the spec's error examples spell them; MALFORMED_REQUEST is the HTTP layer's
# and CONTROL_PLANE_LOOPBACK_ONLY the control plane's.
NOT_FOUND = "RESOURCE_NOT_FOUND"
INVALID = "VALIDATION_ERROR"
UNAUTHENTICATED = "AUTHENTICATION_REQUIRED"
FORBIDDEN = "ORGANIZATION_ACCESS_DENIED"
NOT_ALLOWED = "METHOD_NOT_ALLOWED"
TOO_LARGE = "PAYLOAD_TOO_LARGE"
MALFORMED = "MALFORMED_REQUEST"
LOOPBACK_ONLY = "CONTROL_PLANE_LOOPBACK_ONLY"

MAX_BODY = 1024 * 1024
ALICE_KEY = "alice-dev-key"
ALICE = (("X-API-Key", ALICE_KEY),)
CAROL = (("X-API-Key", "carol-dev-key"),)
JSON = (("Content-Type", "application/json"),)
ALICE_JSON = ALICE + JSON

SESSIONS = "/v1/music/org_abc123/focus/sessions"
SESSION = SESSIONS + "/{session}"
END = SESSION + "/end"
PROMOTE = SESSION + "/segments/{segment}/promote"
UNKNOWN = SESSIONS + "/mfocus_000000000000"
ROUTES = {
    "start": ("POST", SESSIONS),
    "get": ("GET", SESSION),
    "end": ("POST", END),
    "promote": ("POST", PROMOTE),
}

VALID = b'{"goal": "focus", "target_minutes": 5}'
HOST = b"Host: 127.0.0.1\r\nConnection: close\r\n"
KEY_LINE = b"X-API-Key: " + ALICE_KEY.encode() + b"\r\n"
JSON_LINE = b"Content-Type: application/json\r\n"


class Where(Enum):
    BOTH = "both"
    IN_PROCESS = "in-process"
    WIRE = "wire"


Expected = tuple[tuple[int, str | None], ...]
Header = tuple[str, str | bytes]


def ok(status: int) -> Expected:
    return ((status, None),)


def fail(status: int, code: str) -> Expected:
    return ((status, code),)


@dataclass(frozen=True)
class Row:
    id: str
    method: str
    target: str
    expect: Expected  # empty: no answer can come (the client left), only a prompt close
    headers: tuple[Header, ...] = ALICE
    body: bytes | None = None
    field: str | None = None  # a 422 must name this field in details.errors
    where: Where = Where.BOTH
    raw: bytes | None = None  # the whole request as sent on the wire (placeholders allowed)
    half_close: bool = False
    clause: str = ""
    fixed: str = ""  # the fault this row found, now fixed at its root

    def statuses(self) -> set[int]:
        return {status for status, _ in self.expect}

    def code_for(self, status: int) -> str | None:
        return dict(self.expect)[status]


def _start(id: str, body: bytes, expect: Expected, **kwargs: object) -> Row:
    kwargs.setdefault("headers", ALICE_JSON)
    kwargs.setdefault("clause", "I11")
    return Row(id, "POST", SESSIONS, expect, body=body, **kwargs)  # type: ignore[arg-type]


def _invalid(id: str, body: bytes, field: str, **kwargs: object) -> Row:
    return _start(id, body, fail(422, INVALID), field=field, **kwargs)


def _raw(id: str, request: bytes, expect: Expected, **kwargs: object) -> Row:
    method = request.split(b" ", 1)[0].decode("latin-1")
    return Row(id, method, "", expect, raw=request, where=Where.WIRE, **kwargs)  # type: ignore[arg-type]


def _deep(depth: int, inner: bytes = b"1") -> bytes:
    return b"[" * depth + inner + b"]" * depth


BODIES = [
    _invalid("body-empty", b"", "body"),
    _invalid("body-whitespace-only", b" \r\n\t ", "body"),
    _invalid("body-malformed-open-brace", b"{", "body"),
    _invalid("body-malformed-trailing-comma", b'{"goal": "focus", "target_minutes": 5,}', "body"),
    _invalid("body-malformed-single-quotes", b"{'goal': 'focus', 'target_minutes': 5}", "body"),
    _invalid("body-malformed-bare-key", b'{goal: "focus", "target_minutes": 5}', "body"),
    _invalid("body-malformed-comment", b'{"goal": "focus", /* c */ "target_minutes": 5}', "body"),
    _invalid("body-truncated-in-key", b'{"goal": "focus", "target_min', "body"),
    _invalid("body-truncated-in-string", b'{"goal": "fo', "body"),
    _invalid("body-truncated-after-colon", b'{"goal": "focus", "target_minutes":', "body"),
    _invalid("body-two-documents", VALID + VALID, "body"),
    _invalid("body-not-utf8-ff-fe", b"\xff\xfe{}", "body"),
    _invalid("body-not-utf8-latin1-string", b'{"goal": "f\xe9", "target_minutes": 5}', "body"),
    _invalid("body-not-utf8-overlong-slash", b'{"goal": "\xc0\xaf", "target_minutes": 5}', "body"),
    _invalid("body-not-utf8-cesu-surrogate", b'{"goal": "\xed\xa0\x80", "target_minutes": 5}', "body"),
    _invalid("body-utf16-with-bom", VALID.decode().encode("utf-16"), "body"),
    _invalid("body-utf8-bom", b"\xef\xbb\xbf" + VALID, "body"),
    _invalid("body-lone-surrogate-escape", b'{"goal": "\\ud800", "target_minutes": 5}', "body"),
    _invalid("body-nan", b'{"goal": "focus", "target_minutes": NaN}', "body"),
    _invalid("body-not-object-array", b"[]", "body"),
    _invalid("body-not-object-array-of-object", b"[" + VALID + b"]", "body"),
    _invalid("body-not-object-null", b"null", "body"),
    _invalid("body-not-object-string", b'"focus"', "body"),
    _invalid("body-not-object-number", b"60", "body"),
    _invalid("body-not-object-true", b"true", "body"),
    _invalid("body-duplicate-key", b'{"goal": "focus", "goal": "sleep", "target_minutes": 5}', "goal"),
    _invalid(
        "body-duplicate-key-same-value",
        b'{"goal": "focus", "target_minutes": 5, "target_minutes": 5}',
        "target_minutes",
    ),
    _invalid("body-deep-array-100k", _deep(100_000), "body"),
    _invalid("body-deep-object-100k", b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "body"),
    _invalid("body-deep-inside-a-field", b'{"goal": ' + _deep(100_000) + b', "target_minutes": 5}', "body"),
    _invalid("body-nested-100-in-a-field", b'{"goal": ' + _deep(100) + b', "target_minutes": 5}', "goal"),
    _start("body-over-1-mib", VALID + b" " * (MAX_BODY + 1 - len(VALID)), fail(413, TOO_LARGE)),
    _start("body-exactly-1-mib-is-read", VALID + b" " * (MAX_BODY - len(VALID)), ok(201)),
    # numbers
    _invalid("number-as-string", b'{"goal": "focus", "target_minutes": "60"}', "target_minutes"),
    _invalid("number-as-word", b'{"goal": "focus", "target_minutes": "sixty"}', "target_minutes"),
    _invalid("number-fraction", b'{"goal": "focus", "target_minutes": 60.5}', "target_minutes"),
    _invalid(
        "number-tiny-fraction", b'{"goal": "focus", "target_minutes": 60.00000000000001}', "target_minutes"
    ),
    _start("number-integral-float", b'{"goal": "focus", "target_minutes": 60.0}', ok(201)),
    _start("number-exponent", b'{"goal": "focus", "target_minutes": 6e1}', ok(201)),
    _invalid("number-true", b'{"goal": "focus", "target_minutes": true}', "target_minutes"),
    _invalid("number-false", b'{"goal": "focus", "target_minutes": false}', "target_minutes"),
    _invalid(
        "number-huge-integer",
        b'{"goal": "focus", "target_minutes": 1000000000000000000000000000000}',
        "target_minutes",
    ),
    _invalid("number-5000-digits", b'{"goal": "focus", "target_minutes": ' + b"9" * 5000 + b"}", "body"),
    _invalid("number-overflows-float", b'{"goal": "focus", "target_minutes": 1e400}', "target_minutes"),
    _invalid("number-huge-float", b'{"goal": "focus", "target_minutes": 1e300}', "target_minutes"),
    _invalid("number-zero", b'{"goal": "focus", "target_minutes": 0}', "target_minutes"),
    _invalid("number-negative-zero", b'{"goal": "focus", "target_minutes": -0}', "target_minutes"),
    _invalid("number-negative", b'{"goal": "focus", "target_minutes": -1}', "target_minutes"),
    _invalid("number-one-over-max", b'{"goal": "focus", "target_minutes": 481}', "target_minutes"),
    _invalid("number-in-array", b'{"goal": "focus", "target_minutes": [60]}', "target_minutes"),
    _invalid("number-as-object", b'{"goal": "focus", "target_minutes": {"value": 60}}', "target_minutes"),
    # null and missing
    _invalid("null-goal", b'{"goal": null, "target_minutes": 5}', "goal"),
    _invalid("null-target-minutes", b'{"goal": "focus", "target_minutes": null}', "target_minutes"),
    _invalid("null-optional-engine", b'{"goal": "focus", "engine": null, "target_minutes": 5}', "engine"),
    _invalid("missing-everything", b"{}", "goal"),
    _invalid("missing-target-minutes", b'{"goal": "focus"}', "target_minutes"),
    # unknown fields
    _invalid("unknown-field", b'{"goal": "focus", "target_minutes": 5, "colour": "red"}', "colour"),
    _invalid("unknown-field-proto", b'{"goal": "focus", "target_minutes": 5, "__proto__": {}}', "__proto__"),
    _invalid("unknown-field-empty-name", b'{"goal": "focus", "target_minutes": 5, "": 1}', ""),
    _invalid("unknown-field-nul-name", b'{"goal": "focus", "target_minutes": 5, "\\u0000": 1}', "\x00"),
    _invalid(
        "unknown-fields-80k",
        b"{" + b",".join(b'"k%d":0' % i for i in range(80_000)) + b"}",
        "k0",
        fixed="a 13 MB answer to an 870 kB body: every unknown field listed, twice",
    ),
    _invalid("unknown-field-case", b'{"Goal": "focus", "goal": "focus", "target_minutes": 5}', "Goal"),
    # strings against the spec's patterns (I14)
    _invalid("goal-empty", b'{"goal": "", "target_minutes": 5}', "goal"),
    _invalid("goal-upper-case", b'{"goal": "FOCUS", "target_minutes": 5}', "goal"),
    _invalid("goal-unicode", '{"goal": "fócus", "target_minutes": 5}'.encode(), "goal"),
    _invalid("goal-33-chars", b'{"goal": "' + b"a" * 33 + b'", "target_minutes": 5}', "goal"),
    _invalid("goal-nul", b'{"goal": "fo\\u0000", "target_minutes": 5}', "goal"),
    _invalid(
        "goal-trailing-newline",
        b'{"goal": "focus\\n", "target_minutes": 5}',
        "goal",
        fixed="accepted with 201: Python's `$` matches before a final newline, ECMA-262's does not",
    ),
    _invalid(
        "engine-trailing-newline",
        b'{"goal": "focus", "engine": "studio\\n", "target_minutes": 5}',
        "engine",
        fixed="accepted with 201 (same cause as goal-trailing-newline)",
    ),
    _invalid("engine-number", b'{"goal": "focus", "engine": 1, "target_minutes": 5}', "engine"),
    # content types
    _invalid(
        "content-type-form",
        b"goal=focus&target_minutes=5",
        "Content-Type",
        headers=(*ALICE, ("Content-Type", "application/x-www-form-urlencoded")),
    ),
    _invalid(
        "content-type-multipart",
        b"--b\r\n\r\n--b--",
        "Content-Type",
        headers=(*ALICE, ("Content-Type", "multipart/form-data; boundary=b")),
    ),
    _invalid("content-type-text", VALID, "Content-Type", headers=(*ALICE, ("Content-Type", "text/plain"))),
    _invalid("content-type-none", VALID, "Content-Type", headers=ALICE),
    _invalid("content-type-empty", VALID, "Content-Type", headers=(*ALICE, ("Content-Type", ""))),
    _invalid(
        "content-type-json-suffix",
        VALID,
        "Content-Type",
        headers=(*ALICE, ("Content-Type", "application/merge-patch+json")),
    ),
    _invalid(
        "content-type-jsonp", VALID, "Content-Type", headers=(*ALICE, ("Content-Type", "application/jsonp"))
    ),
    _invalid(
        "content-type-list",
        VALID,
        "Content-Type",
        headers=(*ALICE, ("Content-Type", "application/json, text/plain")),
    ),
    _start(
        "content-type-charset-param",
        VALID,
        ok(201),
        headers=(*ALICE, ("Content-Type", "application/json; charset=utf-8")),
    ),
    _start("content-type-upper-case", VALID, ok(201), headers=(*ALICE, ("Content-Type", "APPLICATION/JSON"))),
    # Accept: the mock speaks only JSON, and the spec documents no 406
    _start(
        "accept-html-on-start", VALID, ok(201), headers=(*ALICE_JSON, ("Accept", "text/html")), clause="D11"
    ),
    Row("accept-xml-on-get", "GET", SESSION, ok(200), headers=(*ALICE, ("Accept", "application/xml"))),
    Row(
        "accept-json-refused-on-404",
        "GET",
        UNKNOWN,
        fail(404, NOT_FOUND),
        headers=(*ALICE, ("Accept", "application/json;q=0, text/html")),
        clause="D10",
    ),
    Row("accept-image-on-end", "POST", END, ok(200), headers=(*ALICE, ("Accept", "image/png"))),
    Row("accept-nothing-on-promote", "POST", PROMOTE, ok(200), headers=(*ALICE, ("Accept", "*/*;q=0"))),
    # query strings on POST: not part of any operation, so ignored
    Row("query-on-start", "POST", SESSIONS + "?target_minutes=480&goal=x", ok(201), ALICE_JSON, VALID),
    Row("query-undecodable-on-start", "POST", SESSIONS + "?%ZZ=%FF&&=", ok(201), ALICE_JSON, VALID),
    Row("query-4k-on-start", "POST", SESSIONS + "?q=" + "x" * 4096, ok(201), ALICE_JSON, VALID),
    Row("query-on-end", "POST", END + "?force=true", ok(200)),
    Row("query-on-promote", "POST", PROMOTE + "?promoted=false", ok(200)),
    # Prefer: the mock's own header must not crash on what it cannot read
    _start(
        "prefer-superscript-code",
        VALID,
        fail(422, INVALID),
        field="Prefer",
        headers=(*ALICE_JSON, ("Prefer", b"code=\xb2")),
        fixed="500: str.isdigit() admits '²', which int() refuses",
    ),
    _start(
        "prefer-5000-digit-delay",
        VALID,
        fail(422, INVALID),
        field="Prefer",
        headers=(*ALICE_JSON, ("Prefer", "delay=" + "9" * 5000)),
        fixed="500: int() refuses strings of more than 4300 digits",
    ),
    # Content-Length the gateway reads before any server checks it (in process, nothing checks it)
    _start(
        "content-length-superscript",
        VALID,
        ok(201),
        where=Where.IN_PROCESS,
        headers=(*ALICE_JSON, ("Content-Length", b"\xb2")),
        fixed="500 in the gateway: str.isdigit() admits '²', which int() refuses",
    ),
    _start(
        "content-length-5000-digits",
        VALID,
        fail(413, TOO_LARGE),
        where=Where.IN_PROCESS,
        headers=(*ALICE_JSON, ("Content-Length", "9" * 5000)),
        fixed="500 in the gateway: int() refuses strings of more than 4300 digits",
    ),
]


PATHS = [
    Row("path-unicode-session-id", "GET", SESSIONS + "/mfocus_%C3%BC", fail(404, NOT_FOUND), clause="I9"),
    Row(
        "path-unicode-session-id-on-end",
        "POST",
        SESSIONS + "/%E2%9C%93/end",
        fail(404, NOT_FOUND),
        clause="D7",
    ),
    Row(
        "path-unicode-segment-id",
        "POST",
        SESSION + "/segments/mseg_%F0%9F%8E%B5/promote",
        fail(404, NOT_FOUND),
        clause="I3",
    ),
    Row(
        "path-unicode-organization",
        "GET",
        "/v1/music/org_%E2%9C%93/focus/sessions/x",
        fail(403, FORBIDDEN),
        clause="I10",
    ),
    Row("path-percent-ff", "GET", SESSIONS + "/%FF", fail(404, NOT_FOUND)),
    Row("path-percent-nul", "GET", SESSIONS + "/%00", fail(404, NOT_FOUND)),
    Row("path-percent-newline", "GET", SESSIONS + "/x%0D%0Aforged", fail(404, NOT_FOUND)),
    Row("path-percent-encoded-real-id", "GET", SESSIONS + "/%6Dfocus_{session_hex}", ok(200)),
    Row(
        "path-encoded-slash-get",
        "GET",
        SESSION + "%2Fend",
        fail(404, NOT_FOUND),
        clause="I9",
        fixed="routed as if %2F were a separator",
    ),
    Row(
        "path-encoded-slash-end",
        "POST",
        SESSION + "%2Fend",
        fail(405, NOT_ALLOWED),
        clause="I12",
        fixed="200: POST {id}%2Fend ended session {id}",
    ),
    Row(
        "path-encoded-slash-lower-case",
        "POST",
        SESSION + "%2fend",
        fail(405, NOT_ALLOWED),
        clause="I12",
        fixed="200: POST {id}%2fend ended session {id}",
    ),
    Row(
        "path-encoded-slash-organization",
        "POST",
        "/v1/music/org_abc123%2Ffocus/sessions",
        fail(404, NOT_FOUND),
    ),
    Row("path-dot-dot-as-id", "GET", SESSIONS + "/..", fail(404, NOT_FOUND), where=Where.WIRE),
    Row(
        "path-dot-dot-traversal",
        "GET",
        SESSIONS + "/../sessions/{session}",
        fail(404, NOT_FOUND),
        where=Where.WIRE,
    ),
    Row(
        "path-dot-dot-as-organization",
        "POST",
        "/v1/music/../focus/sessions",
        fail(403, FORBIDDEN),
        headers=ALICE_JSON,
        body=VALID,
        where=Where.WIRE,
        clause="I10",
    ),
    Row("path-encoded-dot-dot", "GET", SESSIONS + "/%2e%2e", fail(404, NOT_FOUND)),
    Row("path-8k-session-id", "GET", SESSIONS + "/" + "a" * 8000, fail(404, NOT_FOUND)),
    Row("path-8k-organization", "GET", "/v1/music/" + "o" * 8000 + "/focus/sessions/x", fail(403, FORBIDDEN)),
    Row(
        "path-100k-session-id",
        "GET",
        SESSIONS + "/" + "a" * 100_000,
        fail(404, NOT_FOUND) + fail(400, MALFORMED),
        where=Where.WIRE,
    ),
    Row(
        "path-trailing-slash-start",
        "POST",
        SESSIONS + "/",
        fail(404, NOT_FOUND),
        headers=ALICE_JSON,
        body=VALID,
    ),
    Row("path-trailing-slash-get", "GET", SESSION + "/", fail(404, NOT_FOUND)),
    Row("path-trailing-slash-end", "POST", END + "/", fail(404, NOT_FOUND)),
    Row("path-trailing-slash-promote", "POST", PROMOTE + "/", fail(404, NOT_FOUND)),
    Row("path-double-slash", "GET", "/v1/music/org_abc123//focus/sessions/{session}", fail(404, NOT_FOUND)),
    Row(
        "path-upper-case-version",
        "GET",
        "/V1/music/org_abc123/focus/sessions/{session}",
        fail(404, NOT_FOUND),
    ),
    Row(
        "path-upper-case-music", "GET", "/v1/MUSIC/org_abc123/focus/sessions/{session}", fail(404, NOT_FOUND)
    ),
    Row(
        "path-upper-case-sessions",
        "GET",
        "/v1/music/org_abc123/focus/SESSIONS/{session}",
        fail(404, NOT_FOUND),
    ),
    Row(
        "path-upper-case-session-prefix",
        "GET",
        SESSIONS + "/MFOCUS_{session_hex}",
        fail(404, NOT_FOUND),
        clause="D4",
    ),
    Row(
        "path-upper-case-organization",
        "GET",
        "/v1/music/ORG_ABC123/focus/sessions/{session}",
        fail(403, FORBIDDEN),
        clause="I10",
    ),
    Row("path-semicolon-parameter", "GET", SESSION + ";jsessionid=1", fail(404, NOT_FOUND)),
    Row("path-leading-space-in-id", "GET", SESSIONS + "/%20{session}", fail(404, NOT_FOUND)),
    Row(
        "path-unknown-segment-on-real-session",
        "POST",
        SESSION + "/segments/mseg_000000000000/promote",
        fail(404, NOT_FOUND),
        clause="I3",
    ),
]


def _control_methods() -> list[Row]:
    """HEAD and OPTIONS on every path of the control plane (its own document lists them)."""
    methods: dict[str, set[str]] = {}
    for operation in load_document().operations.values():
        methods.setdefault(operation.path, set()).add(operation.method)
    params = {"session_id": "{session}", "organization_id": "org_abc123", "fault_id": "fault_999"}
    rows = []
    for path, allowed in methods.items():
        target, name = path.format(**params), path.removeprefix("/__mock/").replace("/", "-")
        head = ok(200) if "GET" in allowed else fail(405, NOT_ALLOWED)
        rows += [
            Row(f"head-control-{name}", "HEAD", target, head, headers=()),
            Row(f"options-control-{name}", "OPTIONS", target, fail(405, NOT_ALLOWED), headers=()),
        ]
    return rows


def _methods() -> list[Row]:
    rows = []
    for name, (method, target) in ROUTES.items():
        head = ok(200) if method == "GET" else fail(405, NOT_ALLOWED)
        rows += [
            Row(f"head-{name}", "HEAD", target, head, clause="I12"),
            Row(
                f"head-{name}-without-key",
                "HEAD",
                target,
                fail(401, UNAUTHENTICATED),
                headers=(),
                clause="I13",
            ),
            Row(f"options-{name}", "OPTIONS", target, fail(405, NOT_ALLOWED), clause="I12"),
            Row(
                f"options-{name}-without-key",
                "OPTIONS",
                target,
                fail(401, UNAUTHENTICATED),
                headers=(),
                clause="I13",
            ),
        ]
    return [
        *rows,
        *_control_methods(),
        Row("head-get-unknown-session", "HEAD", UNKNOWN, fail(404, NOT_FOUND), clause="I9"),
        Row("head-unknown-route", "HEAD", "/v1/music/org_abc123/focus", fail(404, NOT_FOUND), clause="I12"),
        Row(
            "options-unknown-route",
            "OPTIONS",
            "/v1/music/org_abc123/focus",
            fail(404, NOT_FOUND),
            clause="I12",
        ),
        Row(
            "put-start", "PUT", SESSIONS, fail(405, NOT_ALLOWED), headers=ALICE_JSON, body=VALID, clause="I12"
        ),
        Row("delete-session", "DELETE", SESSION, fail(405, NOT_ALLOWED), clause="I12"),
        Row(
            "patch-session",
            "PATCH",
            SESSION,
            fail(405, NOT_ALLOWED),
            headers=ALICE_JSON,
            body=b"{}",
            clause="I12",
        ),
        Row("trace-start", "TRACE", SESSIONS, fail(405, NOT_ALLOWED), clause="I12"),
        Row("custom-method-get", "PROPFIND", SESSION, fail(405, NOT_ALLOWED), clause="I12"),
        Row("get-on-end", "GET", END, fail(405, NOT_ALLOWED), clause="I12"),
    ]


AUTH = [
    Row("key-name-lower-case", "GET", SESSION, ok(200), headers=(("x-api-key", ALICE_KEY),), clause="D2"),
    Row("key-name-upper-case", "GET", SESSION, ok(200), headers=(("X-API-KEY", ALICE_KEY),), clause="D2"),
    Row("key-name-mixed-case", "GET", SESSION, ok(200), headers=(("x-aPi-KeY", ALICE_KEY),), clause="D2"),
    Row(
        "key-name-underscores",
        "GET",
        SESSION,
        fail(401, UNAUTHENTICATED),
        headers=(("X_API_Key", ALICE_KEY),),
        clause="D2",
    ),
    Row("key-empty", "GET", SESSION, fail(401, UNAUTHENTICATED), headers=(("X-API-Key", ""),), clause="D2"),
    Row(
        "key-with-inner-spaces",
        "GET",
        SESSION,
        fail(401, UNAUTHENTICATED),
        headers=(("X-API-Key", "alice dev key"),),
        clause="D2",
    ),
    Row(
        "key-only-spaces",
        "GET",
        SESSION,
        fail(401, UNAUTHENTICATED),
        headers=(("X-API-Key", "   "),),
        clause="D2",
    ),
    Row(
        "key-padded-with-spaces-in-process",
        "GET",
        SESSION,
        fail(401, UNAUTHENTICATED),
        headers=(("X-API-Key", "  " + ALICE_KEY + "  "),),
        where=Where.IN_PROCESS,
        clause="D2",
    ),
    # On the wire, spaces and tabs around a field value are not part of it (RFC 9110 §5.5).
    Row(
        "key-padded-with-spaces-on-the-wire",
        "GET",
        SESSION,
        ok(200),
        headers=(("X-API-Key", " \t" + ALICE_KEY + "\t "),),
        where=Where.WIRE,
        clause="D2",
    ),
    Row(
        "key-upper-case-value",
        "GET",
        SESSION,
        fail(401, UNAUTHENTICATED),
        headers=(("X-API-Key", ALICE_KEY.upper()),),
        clause="D2",
    ),
    Row(
        "key-prefix-of-a-key",
        "GET",
        SESSION,
        fail(401, UNAUTHENTICATED),
        headers=(("X-API-Key", ALICE_KEY[:-1]),),
        clause="D2",
    ),
    Row(
        "key-with-extra-character",
        "GET",
        SESSION,
        fail(401, UNAUTHENTICATED),
        headers=(("X-API-Key", ALICE_KEY + "x"),),
        clause="D2",
    ),
    Row(
        "key-as-bearer-token",
        "GET",
        SESSION,
        fail(401, UNAUTHENTICATED),
        headers=(("Authorization", "Bearer " + ALICE_KEY),),
        clause="D2",
    ),
    Row(
        "key-8k",
        "GET",
        SESSION,
        fail(401, UNAUTHENTICATED),
        headers=(("X-API-Key", "k" * 8000),),
        clause="D2",
    ),
    Row(
        "key-non-ascii-byte",
        "GET",
        SESSION,
        fail(401, UNAUTHENTICATED),
        headers=(("X-API-Key", ALICE_KEY.encode() + b"\xff"),),
        clause="D2",
    ),
    Row(
        "key-comma-joined",
        "GET",
        SESSION,
        fail(401, UNAUTHENTICATED),
        headers=(("X-API-Key", ALICE_KEY + ", bob-dev-key"),),
        clause="D2",
    ),
    Row(
        "key-twice-valid-first",
        "GET",
        SESSION,
        fail(401, UNAUTHENTICATED),
        headers=(("X-API-Key", ALICE_KEY), ("X-API-Key", "not-a-key")),
        clause="D2",
        fixed="200: the first of two keys was taken, so the caller depended on header order",
    ),
    Row(
        "key-twice-valid-second",
        "GET",
        SESSION,
        fail(401, UNAUTHENTICATED),
        headers=(("X-API-Key", "not-a-key"), ("X-API-Key", ALICE_KEY)),
        clause="D2",
    ),
    Row(
        "key-twice-two-users",
        "GET",
        SESSION,
        fail(401, UNAUTHENTICATED),
        headers=(("X-API-Key", ALICE_KEY), ("X-API-Key", "bob-dev-key")),
        clause="D2",
        fixed="200 as Alice: two callers named, the first one believed",
    ),
    Row("key-of-another-organization", "GET", SESSION, fail(403, FORBIDDEN), headers=CAROL, clause="I10"),
    Row(
        "key-missing-on-unknown-route",
        "GET",
        "/nowhere",
        fail(401, UNAUTHENTICATED),
        headers=(),
        clause="I13",
    ),
    Row(
        "key-missing-with-bad-body",
        "POST",
        SESSIONS,
        fail(401, UNAUTHENTICATED),
        headers=JSON,
        body=b"{",
        clause="I13",
    ),
]

CONTROL = [
    Row(
        "control-quota-below-what-is-made",
        "PUT",
        "/__mock/quotas/org_abc123",
        fail(422, INVALID),
        headers=JSON,
        body=b'{"segment_quota": 1}',
        field="segment_quota",
        clause="I7",
        fixed="200, and every session of the organization showed fewer ready segments than before",
    ),
    Row(
        "control-forwarded-for-a-name",
        "GET",
        "/__mock/clock",
        fail(403, LOOPBACK_ONLY),
        headers=(("X-Forwarded-For", "unknown"),),
        where=Where.WIRE,
        fixed="200: a client named, not addressed, counted as loopback",
    ),
    Row(
        "control-forwarded-for-a-remote-address",
        "POST",
        "/__mock/reset",
        fail(403, LOOPBACK_ONLY),
        headers=(("X-Forwarded-For", "203.0.113.9"),),
        where=Where.WIRE,
    ),
]

_LONGER = b"POST " + SESSIONS.encode() + b"?row=raw-content-length-longer-then-close HTTP/1.1\r\n"
_POST = b"POST " + SESSIONS.encode() + b" HTTP/1.1\r\n" + HOST + KEY_LINE + JSON_LINE
_GET = b"GET " + SESSIONS.encode() + b"/{session} HTTP/1.1\r\n" + HOST
_CHUNKS = b"".join(b"10000\r\n" + b" " * 0x10000 + b"\r\n" for _ in range(17)) + b"0\r\n\r\n"

WIRE_ONLY = [
    _raw(
        "raw-path-not-utf8",
        b"GET " + SESSIONS.encode() + b"/\xff\xfe HTTP/1.1\r\n" + HOST + KEY_LINE + b"\r\n",
        fail(400, MALFORMED),
        fixed="text/plain 400 from the HTTP server, outside the envelope",
    ),
    _raw(
        "raw-path-unencoded-utf8",
        b"GET " + SESSIONS.encode() + b"/mfocus_\xc3\xbc HTTP/1.1\r\n" + HOST + KEY_LINE + b"\r\n",
        fail(400, MALFORMED),
    ),
    _raw(
        "raw-path-with-space",
        b"GET " + SESSIONS.encode() + b"/a b HTTP/1.1\r\n" + HOST + KEY_LINE + b"\r\n",
        fail(400, MALFORMED),
    ),
    _raw(
        "raw-absolute-form-target",
        b"GET http://127.0.0.1" + SESSIONS.encode() + b"/{session} HTTP/1.1\r\n" + HOST + KEY_LINE + b"\r\n",
        ok(200),
        fixed="404 under h11: uvicorn's h11 parser hands the whole URL on as the path",
    ),
    _raw(
        "raw-asterisk-form-options",
        b"OPTIONS * HTTP/1.1\r\n" + HOST + KEY_LINE + b"\r\n",
        fail(404, NOT_FOUND),
    ),
    _raw(
        "raw-http-1-0-without-host",
        b"GET " + SESSIONS.encode() + b"/{session} HTTP/1.0\r\n" + KEY_LINE + b"\r\n",
        ok(200),
    ),
    _raw("raw-garbage", b"\x00\x01\x02 garbage\r\n\r\n", fail(400, MALFORMED)),
    _raw(
        "raw-http2-preface",
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        fail(400, MALFORMED) + fail(401, UNAUTHENTICATED),
    ),
    _raw("raw-header-without-colon", _GET + KEY_LINE + b"Bogus\r\n\r\n", fail(400, MALFORMED)),
    _raw("raw-header-with-nul", _GET + KEY_LINE + b"X-Other: a\x00b\r\n\r\n", fail(400, MALFORMED)),
    _raw(
        "raw-key-name-space-before-colon",
        _GET + b"X-API-Key : " + ALICE_KEY.encode() + b"\r\n\r\n",
        fail(400, MALFORMED),
    ),
    _raw("raw-header-8k", _GET + KEY_LINE + b"X-Pad: " + b"a" * 8000 + b"\r\n\r\n", ok(200)),
    _raw(
        "raw-content-length-longer-then-close",
        _LONGER + HOST + KEY_LINE + JSON_LINE + b'Content-Length: 100\r\n\r\n{"goal": "fo',
        (),
        half_close=True,
        fixed="ClientDisconnect logged as an unhandled error with a traceback and journaled as a 500",
    ),
    _raw(
        "raw-content-length-shorter",
        _POST + b"Content-Length: 10\r\n\r\n" + VALID,
        fail(422, INVALID) + fail(400, MALFORMED),
    ),
    _raw("raw-content-length-negative", _POST + b"Content-Length: -5\r\n\r\n", fail(400, MALFORMED)),
    _raw("raw-content-length-letters", _POST + b"Content-Length: abc\r\n\r\n", fail(400, MALFORMED)),
    _raw("raw-content-length-superscript", _POST + b"Content-Length: \xb2\r\n\r\n", fail(400, MALFORMED)),
    _raw(
        "raw-content-length-5000-digits",
        _POST + b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n",
        fail(400, MALFORMED),
    ),
    _raw(
        "raw-content-length-twice",
        _POST + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        fail(400, MALFORMED),
    ),
    _raw(
        "raw-content-length-announces-2-mib", _POST + b"Content-Length: 2097152\r\n\r\n", fail(413, TOO_LARGE)
    ),
    _raw(
        "raw-chunked-small",
        _POST
        + b"Transfer-Encoding: chunked\r\n\r\n5\r\n"
        + VALID[:5]
        + b"\r\n"
        + b"%x\r\n" % (len(VALID) - 5)
        + VALID[5:]
        + b"\r\n0\r\n\r\n",
        ok(201),
    ),
    _raw(
        "raw-chunked-over-1-mib",
        _POST + b"Transfer-Encoding: chunked\r\n\r\n" + _CHUNKS,
        fail(413, TOO_LARGE),
    ),
    _raw(
        "raw-chunked-bad-size",
        _POST + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        fail(400, MALFORMED),
    ),
    _raw("raw-transfer-encoding-gzip", _POST + b"Transfer-Encoding: gzip\r\n\r\n{}", fail(400, MALFORMED)),
    _raw(
        "raw-prefer-superscript",
        _POST + b"Prefer: code=\xb2\r\nContent-Length: 2\r\n\r\n{}",
        fail(422, INVALID),
        fixed="500: str.isdigit() admits '²', which int() refuses",
    ),
]

ROWS: list[Row] = [*BODIES, *PATHS, *_methods(), *AUTH, *CONTROL, *WIRE_ONLY]


@dataclass
class World:
    """What the placeholders stand for in one running mock."""

    session: str
    segment: str

    def fill(self, text: str) -> str:
        hex_digits = self.session.removeprefix("mfocus_")
        return text.format(session=self.session, segment=self.segment, session_hex=hex_digits)

    def fill_bytes(self, data: bytes) -> bytes:
        return data.replace(b"{session}", self.session.encode()).replace(b"{segment}", self.segment.encode())


def rows(where: Where) -> list[Row]:
    return [row for row in ROWS if row.where in (where, Where.BOTH)]
