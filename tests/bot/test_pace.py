"""Slack's budgets shared by replicas through the database (bot/pace.py): every slot is given once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine

from bot.pace import postpone, reserve
from storage.engine import make_engine


def test_three_replicas_reserving_one_channel_get_distinct_slots_a_second_apart(engine: Engine,
                                                                              database_url: str) -> None:
    replicas = [make_engine(database_url) for _ in range(3)]  # each with its own connections, as processes are
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            waits = list(pool.map(lambda n: reserve(replicas[n % 3], "post:C1", every=1.0, now=1000.0), range(30)))
    finally:
        for replica in replicas:
            replica.dispose()
    assert sorted(waits) == [float(n) for n in range(30)]  # 0 s, 1 s, ... 29 s: one post a second, none twice
    assert reserve(engine, "post:C2", every=1.0, now=1000.0) == 0.0  # another channel has its own budget
    assert reserve(engine, "post:C1", every=1.0, now=1100.0) == 0.0  # a budget unused for a while is free at once


def test_a_retry_after_holds_the_budget_for_every_replica(engine: Engine) -> None:
    assert reserve(engine, "history:T1", every=60.0, now=0.0) == 0.0
    postpone(engine, "history:T1", seconds=120.0, now=10.0)
    assert reserve(engine, "history:T1", every=60.0, now=20.0) == 110.0
    postpone(engine, "history:T1", seconds=1.0, now=20.0)  # a shorter hold does not shorten a longer one
    assert reserve(engine, "history:T1", every=60.0, now=20.0) == 170.0
