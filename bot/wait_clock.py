"""The clock Accord waits by when it talks to Slack: a channel's pace (one post a second) and the backoff
between retries of a failed call. Real seconds in production; in tests, time that moves only when waited
on, so that the same messages go out in the same order without waiting those seconds (a `SteppedClock`
returns from a wait at once, having moved its time on by the wait).
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class WaitClock(Protocol):
    """Seconds that only go forward, and a way to let some pass."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> None:
        """Let `seconds` pass (less if `stop` is set meanwhile)."""


class RealClock:
    """The machine's monotonic clock; a wait really waits."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> None:
        if seconds <= 0:
            return
        if stop is not None:
            stop.wait(seconds)
        else:
            time.sleep(seconds)


class SteppedClock:
    """Time that passes only when somebody waits: each wait returns at once, `seconds` later."""

    def __init__(self) -> None:
        self._now = 0.0
        self._lock = threading.Lock()
        self.waited = 0.0  # seconds of waiting skipped

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float, stop: threading.Event | None = None) -> None:
        if seconds <= 0:
            return
        with self._lock:
            self._now += seconds
            self.waited += seconds
