"""Ctrl-C, SIGTERM and SIGHUP as ``KeyboardInterrupt``, but never in the middle of a start request.

An interrupt that lands after the server created a session and before the suite
read its id would leave a session nobody knows to end. While a start request is
in flight the interrupt is held back, and raised as soon as the request is done
and its session recorded. Session finish then ends every recorded session.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# SIGHUP too: a closed terminal or SSH session must not leave sessions active.
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class DeferredInterrupts:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shielded = 0
        self._pending = False

    @contextmanager
    def shield(self) -> Iterator[None]:
        """Hold interrupts back while the block runs; raise a held one when it ends."""
        with self._lock:
            self._shielded += 1
        try:
            yield
        finally:
            with self._lock:
                self._shielded -= 1
                raise_now = self._pending and self._shielded == 0
                if raise_now:
                    self._pending = False
            if raise_now:
                raise KeyboardInterrupt

    def handle(self, signum: int, frame: Any) -> None:
        with self._lock:
            if self._shielded:
                self._pending = True
                return
        raise KeyboardInterrupt

    def install(self) -> Callable[[], None]:
        """Take over SIGNALS (main thread only); return what restores the old handlers."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = {sig: signal.signal(sig, self.handle) for sig in SIGNALS}

        def restore() -> None:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

        return restore


INTERRUPTS = DeferredInterrupts()
