"""Letting time pass on the target: move a mock's virtual clock, or wait a bounded while.

Clauses about progress (D9, I6, I7, I3) need segments to become ready, or need
the moment a segment would have become ready to pass. A focus-mock started with
``--clock virtual`` exposes ``/__mock/clock``, and moving it costs nothing; any
other target is waited for in real time, never longer than ``--segment-wait``.
"""

from __future__ import annotations

import time
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

from .client import Answer, ApiClient

CONTROL_CLOCK = "/__mock/clock"
CONTROL_ADVANCE = "/__mock/clock/advance"
# Past a due time by this much, so a server rounding to whole seconds has moved on too.
MARGIN_SECONDS = 1.5


def parse_instant(value: str) -> float:
    """An ISO 8601 date-time (``Z`` or offset) as epoch seconds."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


class TimeControl(Protocol):
    kind: str
    segment_wait: float

    def server_now(self, answer: Answer) -> float:
        """The target's idea of now, when ``answer`` was given."""
        ...

    def pass_instant(self, instant: float, answer: Answer) -> bool:
        """Let the target's time pass ``instant``; False if that would take longer than allowed."""
        ...


class VirtualTime:
    """A focus-mock with a virtual clock: time moves when asked, at once."""

    kind = "virtual"

    def __init__(self, client: ApiClient, segment_wait: float) -> None:
        self.client = client
        self.segment_wait = segment_wait

    def now(self) -> float:
        return float(self.client.send("GET", CONTROL_CLOCK).json["epoch_seconds"])

    def server_now(self, answer: Answer) -> float:
        return self.now()

    def advance(self, seconds: float) -> None:
        answer = self.client.send("POST", CONTROL_ADVANCE, json_body={"seconds": round(max(seconds, 0.0), 3)})
        if answer.status != 200:
            raise RuntimeError(f"could not move the mock's clock: {answer.describe()}")

    def pass_instant(self, instant: float, answer: Answer) -> bool:
        self.advance(instant - self.now() + MARGIN_SECONDS)
        return True


class RealTime:
    """Any other target: wait, at most ``segment_wait`` seconds each time."""

    kind = "real"

    def __init__(self, segment_wait: float) -> None:
        self.segment_wait = segment_wait

    def server_now(self, answer: Answer) -> float:
        date = answer.headers.get("date")
        if date:
            try:
                return parsedate_to_datetime(date).timestamp()
            except (TypeError, ValueError):
                pass
        return time.time()

    def pass_instant(self, instant: float, answer: Answer) -> bool:
        needed = instant - self.server_now(answer) + MARGIN_SECONDS
        if needed > self.segment_wait:
            return False
        if needed > 0:
            time.sleep(needed)
        return True


def detect(client: ApiClient, segment_wait: float) -> VirtualTime | RealTime:
    """A virtual clock if the target offers one, else real time."""
    answer = client.send("GET", CONTROL_CLOCK)
    body = answer.json
    if answer.status == 200 and isinstance(body, dict) and body.get("kind") == "virtual":
        return VirtualTime(client, segment_wait)
    return RealTime(segment_wait)
