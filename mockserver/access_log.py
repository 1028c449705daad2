"""The access log: one line per request, written in batches off the request's path.

A ``logging`` call per request builds a ``LogRecord``, formats its time and
takes the handler's lock; at thousands of requests a second that is a tenth of
the mock's time. This writer formats the line itself (the same
``"%(asctime)s %(name)s %(message)s"`` layout as the rest of the mock's log,
with the date and time worked out once per second) and writes what gathered
in the last :data:`FLUSH_SECONDS` with one ``write``: a system call per line
cost the mock another tenth of its requests. Lines are flushed at exit too, so
none is lost when the mock stops (a ``SIGKILL`` loses at most the last batch).
"""

from __future__ import annotations

import asyncio
import atexit
import threading
import time
from collections.abc import Callable
from typing import TextIO

NAME = "focus_mock.access"
FLUSH_SECONDS = 0.05  # soon enough for someone watching the log
FLUSH_LINES = 1000  # and no more than this many lines wait


class AccessLog:
    """Call it with a request's outcome; the line reaches ``stream`` within ``FLUSH_SECONDS``."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.time) -> None:
        self._stream = stream
        self._clock = clock
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._second = -1
        self._stamp = ""
        atexit.register(self.flush)

    def __call__(
        self, method: str, path: str, status: int, elapsed_ms: float, trace_id: str, forced: str | None = None
    ) -> None:
        """``path`` must already be safe for one line (see :func:`mockserver.gateway.loggable`).

        ``forced`` names what forced the answer (``Prefer`` or a fault's id), so a forced 500
        in the log is not mistaken for the mock failing.
        """
        now = self._clock()
        second = int(now)
        if second != self._second:
            self._second = second
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        line = (
            f"{self._stamp},{int((now - second) * 1000):03d} {NAME} "
            f"{method} {path} {status} {elapsed_ms:.1f}ms {trace_id}"
            f"{'' if forced is None else ' forced by ' + forced}\n"
        )
        with self._lock:
            self._lines.append(line)
            waiting = len(self._lines)
        if waiting >= FLUSH_LINES:
            self.flush()
        elif waiting == 1:
            try:
                asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)
            except RuntimeError:  # no loop here: nothing to batch with
                self.flush()

    def flush(self) -> None:
        with self._lock:
            lines, self._lines = self._lines, []
        if lines:
            try:
                self._stream.write("".join(lines))
                self._stream.flush()
            except (OSError, ValueError):  # the stream is gone (closed at exit, a broken pipe)
                pass
