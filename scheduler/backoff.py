"""The one retry policy of Accord's background work: the tick's due items and the outbox's Slack calls.

A failed attempt is tried again after a delay that doubles with each attempt, from `base`, up to `cap`; when
the other side said when to come back (Slack's Retry-After, on a 429), that is the delay, whatever the attempt.
The tick and the outbox differ only in their numbers: a due item's failure is Accord's own (a bug, a database
hiccup) and waits minutes; a Slack call's is mostly a passing network or rate error and waits seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Backoff:
    """Retry number `attempts` (1 for the first retry) waits `base` x 2^(attempts - 1), at most `cap`."""

    base: timedelta
    cap: timedelta

    def delay(self, attempts: int, *, retry_after: float | None = None) -> timedelta:
        """The wait before trying again after `attempts` attempts; `retry_after` (seconds) when the other side
        named it."""
        if retry_after is not None:
            return timedelta(seconds=max(retry_after, 0.0))
        delay = self.base
        for _ in range(attempts - 1):  # doubled until capped (however many attempts: no overflow)
            if not timedelta(0) < delay < self.cap:
                break
            delay *= 2
        return min(delay, self.cap)


TICK = Backoff(base=timedelta(seconds=30), cap=timedelta(hours=1))  # a due work item (scheduler.tick)
OUTBOX = Backoff(base=timedelta(seconds=2), cap=timedelta(minutes=5))  # an outbox row's Slack call (bot.outbox)
