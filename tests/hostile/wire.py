"""Bytes to a real server and the answers back, with nothing in between to tidy them.

An HTTP client library would refuse to send most of the corpus (a path that is
not ASCII, a Content-Length that lies, a header name in odd case it would
normalise), so requests go over a plain socket. Every exchange has a deadline:
an answer that does not come in time fails the row, which is what "within a
bounded time" means here.
"""

from __future__ import annotations

import json
import re
import socket
from dataclasses import dataclass
from typing import Any

ANSWER_SECONDS = 10.0
_STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3})[^\r\n]*\r\n")


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names lower-cased; a repeated header keeps its last value
    body: bytes

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        return json.loads(self.body)


class NoAnswerInTime(AssertionError):
    pass


def exchange(
    port: int,
    request: bytes,
    *,
    head: bool = False,
    half_close: bool = False,
    timeout: float = ANSWER_SECONDS,
) -> list[Answer]:
    """Send ``request`` and read until the server closes; every answer it sent, in order.

    ``half_close`` shuts the write side after sending, as a client does that has
    nothing more to send. A server that neither answers nor closes in ``timeout``
    seconds fails the exchange.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(request)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered before taking the whole body; the answer is still to be read
        received = bytearray()
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            raise NoAnswerInTime(
                f"no complete answer within {timeout}s; got {bytes(received[:200])!r}"
            ) from None
        except ConnectionResetError:
            pass  # closed hard after answering: what arrived is still the answer
    return parse_answers(bytes(received), head=head)


def parse_answers(data: bytes, *, head: bool = False) -> list[Answer]:
    """Split a byte stream into the HTTP/1.1 answers it holds (bodies framed by Content-Length)."""
    answers = []
    while data:
        match = _STATUS_LINE.match(data)
        if match is None:
            raise AssertionError(f"not an HTTP answer: {data[:200]!r}")
        head_end = data.index(b"\r\n\r\n", match.end())
        headers: dict[str, str] = {}
        for line in data[match.end() : head_end].split(b"\r\n"):
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
        status = int(match.group(1))
        length = 0 if head or status in (204, 304) else int(headers.get("content-length", "0"))
        start = head_end + 4
        answers.append(Answer(status, headers, data[start : start + length]))
        data = data[start + length :]
    return answers
