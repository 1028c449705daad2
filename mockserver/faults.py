"""Faults a UI developer arms through the control plane: "the next 3 Gets answer 500".

A fault names an operation (by ``operationId``), optionally one caller, and what
to do instead of the real answer: a documented error status, a delay, or a
dropped connection. It fires on the next ``times`` matching calls, or on every
one until cleared. Only bookkeeping lives here; :mod:`mockserver.forcing` acts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any

from .clock import isoformat


@dataclass(frozen=True)
class Fault:
    fault_id: str
    operation_id: str
    status: int | None
    delay_ms: int
    drop: bool
    remaining: int | None  # None: every matching call until cleared
    created_at: float
    user_id: str | None = None
    api_key: str | None = None  # redacted, see journal.redact_key
    hits: int = 0

    def view(self) -> dict[str, Any]:
        """The JSON shape of the control plane (``Fault`` in control_openapi.yaml)."""
        return {
            "fault_id": self.fault_id,
            "operation": self.operation_id,
            "user_id": self.user_id,
            "api_key": self.api_key,
            "status": self.status,
            "delay_ms": self.delay_ms,
            "drop": self.drop,
            "remaining": self.remaining,
            "hits": self.hits,
            "created_at": isoformat(self.created_at),
        }


class FaultBook:
    """Armed faults in the order they were added; all methods are atomic."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next = 1

    def add(
        self,
        operation_id: str,
        *,
        created_at: float,
        status: int | None = None,
        delay_ms: int = 0,
        drop: bool = False,
        times: int | None = None,
        user_id: str | None = None,
        api_key: str | None = None,
    ) -> Fault:
        with self._lock:
            fault = Fault(
                fault_id=f"fault_{self._next}",
                operation_id=operation_id,
                status=status,
                delay_ms=delay_ms,
                drop=drop,
                remaining=times,
                created_at=created_at,
                user_id=user_id,
                api_key=api_key,
            )
            self._next += 1
            self._faults.append(fault)
            return fault

    @property
    def armed(self) -> bool:
        """Whether any fault is armed: lets a request skip the lock when none is."""
        return bool(self._faults)

    def list(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            kept = [f for f in self._faults if f.fault_id != fault_id]
            removed = len(kept) != len(self._faults)
            self._faults = kept
            return removed

    def clear(self) -> int:
        with self._lock:
            count = len(self._faults)
            self._faults = []
            return count

    def take(self, operation_id: str, user_id: str | None) -> Fault | None:
        """The newest fault matching this call, counted as fired; None if no fault applies.

        The newest wins so that a short-lived fault can be laid over a standing one.
        """
        with self._lock:
            for position in range(len(self._faults) - 1, -1, -1):
                fault = self._faults[position]
                if fault.operation_id != operation_id:
                    continue
                if fault.user_id is not None and fault.user_id != user_id:
                    continue
                remaining = None if fault.remaining is None else fault.remaining - 1
                fired = replace(fault, remaining=remaining, hits=fault.hits + 1)
                if remaining == 0:
                    del self._faults[position]
                else:
                    self._faults[position] = fired
                return fired
            return None
