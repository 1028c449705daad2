"""The pre-flight: does the target answer like the Focus Sessions API before the suite is run against it?

One Get of a session id that never exists, as the owner under ``--org-id``. The API
answers it with a documented 4xx in its error envelope (a 404 naming that session,
D7, or the 401/403 the suite then explains); anything else (a closed
port, silence, an HTML page, a redirect to a login page, a wrong path prefix) means
the gate is pointed at the wrong thing, which is exit 3, not a list of failed clauses.
Redirects are not followed: a login page behind a 302 must not pass as an answer.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

import requests

from mockserver.spec import Spec

from ..client import API_KEY_HEADER, GET, Routes


def _network_reason(exc: requests.RequestException) -> str:
    found = re.findall(r"\[Errno -?\d+\] ([^'\")]+)", str(exc))
    return found[-1].strip() if found else type(exc).__name__


def _is_error_envelope(body: Any) -> bool:
    return isinstance(body, dict) and body.get("success") is False and isinstance(body.get("error"), dict)


def target_problem(base_url: str, api_key: str, org_id: str, timeout: float) -> str | None:
    """Why ``base_url`` is not a Focus Sessions API the suite can test, or None when it answers like one.

    ``timeout`` bounds both the connection and the wait for the answer, so that a
    target that accepts connections and never answers stops the gate in seconds.
    """
    spec = Spec.load()
    documented = spec.operations[GET].statuses
    session_id = "mfocus_" + secrets.token_hex(6)
    path = Routes(spec).path(GET, organization_id=org_id, session_id=session_id)
    try:
        response = requests.get(
            base_url + path,
            headers={API_KEY_HEADER: api_key, "Accept": "application/json"},
            timeout=(timeout, timeout),
            allow_redirects=False,
        )
    except requests.exceptions.SSLError:
        return f"cannot reach {base_url}: the TLS handshake failed"
    except requests.exceptions.ConnectTimeout:
        return f"cannot reach {base_url}: no connection within {timeout:g} s"
    except requests.exceptions.ReadTimeout:
        return f"cannot reach {base_url}: connected, but no answer within {timeout:g} s"
    except requests.RequestException as exc:
        return f"cannot reach {base_url}: {_network_reason(exc)}"
    with response:
        content_type = response.headers.get("content-type", "").split(";", 1)[0].strip() or "no content type"
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
    status = response.status_code
    if 400 <= status < 500 and status in documented and _is_error_envelope(body):
        if status != 404 or _names_session(body, session_id):
            return None
        expected = f"a 404 naming session {session_id} (D7), not a route that does not exist"
    else:
        expected = "a documented 4xx in the error envelope"
    return (
        f"the target at {base_url} does not answer like the Focus Sessions API: got {status} {content_type} "
        f"for GET {path}, expected {expected}; check --base-url"
    )


def _names_session(body: dict[str, Any], session_id: str) -> bool:
    """D7: a missing session's 404 names the id asked for; an unknown route's 404 (wrong prefix) does not."""
    details = body["error"].get("details")
    return isinstance(details, dict) and details.get("session_id") == session_id
