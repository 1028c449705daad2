"""A real browser on another localhost origin calls the mock with X-API-Key (CORS end to end).

Needs Debian's ``chromium`` at /usr/bin/chromium; skipped without it. Two
loopback servers: one serves the page (origin ``http://localhost:PORT``), the
other is the mock (``http://127.0.0.1:PORT``). The page's fetch needs a
preflight (custom header, JSON body); the answer is written into the page, and
``--dump-dom`` hands the page back to the test.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from live_mock import served
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from mockserver.app import create_app
from mockserver.clock import VirtualClock

from .conftest import SESSIONS, START

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="no /usr/bin/chromium here (Debian package 'chromium'); the preflight itself "
    "is covered by test_cors.py",
)

PAGE = """<!doctype html><html><body><pre id="out">pending</pre><script>
fetch(%(url)s, {
  method: "POST",
  headers: {"X-API-Key": "alice-dev-key", "Content-Type": "application/json"},
  body: JSON.stringify({goal: "focus", target_minutes: 10}),
}).then(async (answer) => {
  const body = await answer.json();
  document.getElementById("out").textContent = JSON.stringify(
    {status: answer.status, request_id: answer.headers.get("X-Request-ID"), session: body.session_id});
}).catch((error) => { document.getElementById("out").textContent = "failed: " + error; });
</script></body></html>"""


def _page_app(mock_url: str) -> Starlette:
    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE % {"url": json.dumps(mock_url + SESSIONS)})

    return Starlette(routes=[Route("/", page)])


def test_headless_browser_on_another_localhost_origin_can_start_a_session(tmp_path: Path) -> None:
    mock = create_app(clock=VirtualClock(START))
    with served(mock) as mock_url, served(_page_app(mock_url)) as page_url:
        page_origin = page_url.replace("127.0.0.1", "localhost")
        dom = subprocess.run(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-dev-shm-usage",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--virtual-time-budget=10000",
                "--dump-dom",
                page_origin + "/",
            ],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        ).stdout
        listed = mock.state.service.store.all()
    found = re.search(r'<pre id="out">(.*?)</pre>', dom, re.S)
    assert found is not None, dom
    result = json.loads(found.group(1).replace("&quot;", '"'))
    assert result["status"] == 201
    assert result["request_id"].startswith("req_")  # readable only because it is exposed
    assert [r.session_id for r in listed] == [result["session"]]
