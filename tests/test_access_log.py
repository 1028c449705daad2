"""The access log writer: the layout of ``logging``'s lines, written in batches."""

from __future__ import annotations

import asyncio
import io
import logging

from mockserver import access_log
from mockserver.access_log import NAME, AccessLog

INSTANTS = [1_800_000_000.0, 1_800_000_000.0419, 1_800_000_000.999, 1_800_000_001.5]


def logging_line(instant: float, message: str) -> str:
    """What ``logging`` with the mock's format (see ``cli``) writes for a record made at ``instant``."""
    record = logging.LogRecord(NAME, logging.INFO, __file__, 1, message, None, None)
    record.created, record.msecs = instant, int((instant - int(instant)) * 1000) + 0.0
    return logging.Formatter("%(asctime)s %(name)s %(message)s").format(record) + "\n"


def test_each_line_is_laid_out_as_logging_would_write_it() -> None:
    stream = io.StringIO()
    clock = iter(INSTANTS)
    log = AccessLog(stream, clock=lambda: next(clock))
    for n, _ in enumerate(INSTANTS):
        log("GET", f"/v1/x/{n}", 200, 1.25 + n, f"req_{n:020x}")
    expected = [
        logging_line(instant, f"GET /v1/x/{n} 200 {1.25 + n:.1f}ms req_{n:020x}")
        for n, instant in enumerate(INSTANTS)
    ]
    assert stream.getvalue() == "".join(expected)


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_lines_wait_for_the_flush_interval_and_leave_in_one_write() -> None:
    stream = CountingStream()
    log = AccessLog(stream)

    async def burst() -> tuple[str, str]:
        for n in range(3):
            log("GET", "/p", 200, 0.1, f"req_{n}")
        await asyncio.sleep(0)  # a turn of the loop is not enough
        during = stream.getvalue()
        await asyncio.sleep(access_log.FLUSH_SECONDS * 2)
        return during, stream.getvalue()

    during, after = asyncio.run(burst())
    assert during == ""
    assert [line.split()[-1] for line in after.splitlines()] == ["req_0", "req_1", "req_2"]
    assert stream.writes == 1


def test_a_full_batch_is_written_without_waiting() -> None:
    stream = CountingStream()
    log = AccessLog(stream)

    async def burst() -> int:
        for n in range(access_log.FLUSH_LINES):
            log("GET", "/p", 200, 0.1, f"req_{n}")
        return len(stream.getvalue().splitlines())

    assert asyncio.run(burst()) == access_log.FLUSH_LINES
    assert stream.writes == 1


def test_what_is_left_is_written_at_exit() -> None:
    """The mock flushes at exit (atexit); here the same flush, called by hand, inside the interval."""
    stream = io.StringIO()
    log = AccessLog(stream)

    async def burst() -> None:
        log("GET", "/p", 200, 0.1, "req_last")
        log.flush()

    asyncio.run(burst())
    assert stream.getvalue().endswith(" req_last\n")


def test_without_a_running_loop_a_line_is_written_at_once() -> None:
    stream = io.StringIO()
    AccessLog(stream)("POST", "/p", 201, 0.1, "req_1")
    assert stream.getvalue().endswith(" focus_mock.access POST /p 201 0.1ms req_1\n")


def test_a_forced_answer_says_what_forced_it() -> None:
    """Regression: a forced 500 logged exactly like a real crash of the mock."""
    stream = io.StringIO()
    log = AccessLog(stream)
    log("GET", "/p", 500, 0.1, "req_1", "Prefer")
    log("GET", "/p", 503, 0.1, "req_2", "flt_1")
    log("GET", "/p", 200, 0.1, "req_3")
    lines = stream.getvalue().splitlines()
    assert [line.split(" focus_mock.access ")[1] for line in lines] == [
        "GET /p 500 0.1ms req_1 forced by Prefer",
        "GET /p 503 0.1ms req_2 forced by flt_1",
        "GET /p 200 0.1ms req_3",
    ]
