"""Issue 9, point 3: acknowledgement latency of signed slash commands that write to the database.

Three servers, started the same way one after the other in this run, each a process of its own
listening through bot.web.HttpServer (8 threads):

- `bare`: a bolt App with process_before_response whose /accord only acks (tests/benchmarks/bare_app.py);
- `sqlite`: `accord serve` (the real CLI, scheduler on) on a SQLite file (WAL);
- `postgres`: `accord serve` on a PostgreSQL database of its own (when ACCORD_TEST_POSTGRES_URL is set).

Accord's database holds a relationship in the benchmark's channel, and the command is `/accord remind in
1h benchmark <n>`: the cheapest command that writes (one work item, INSERTed in its own transaction
before the ack). The load comes from tests/benchmarks/loadgen.py, a generator on raw asyncio streams in
a process of its own, with keep-alive connections and requests signed before the clock starts. For each
server, after a warm-up:

- one at a time: one connection, each request sent when the previous answer is complete;
- 50 concurrent: 50 such connections;
- sustained rate: requests offered at a constant rate (open loop, latency counted from when each was
  due), stepped up until p99 exceeds 100 ms; the highest rate that kept p99 <= 100 ms.

The kernel's ListenOverflows, ListenDrops and TCPSynRetrans counters (/proc/net/netstat) are read before
and after each run and must not move. Targets: one at a time, p50 <= 1.5x the bare app on SQLite and
<= 2.5x on PostgreSQL; at 50 concurrent, p99 <= 1.5x the bare app; sustained rate >= 0.5x the bare app.

    pytest -n 0 -m benchmark -s tests/benchmarks/test_ack_latency.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.fakeslack import FakeSlack
from commands.actor import Actor
from commands.rmp import setup
from storage.engine import make_engine, transaction
from storage.migrate import upgrade
from tests.benchmarks import serving
from tests.databases import POSTGRES_ENV, postgres_server_from_environment
from tests.harness import BOT_TOKEN, SIGNING_SECRET

pytestmark = pytest.mark.benchmark

ROOT = Path(__file__).resolve().parents[2]
CHANNEL, USER, TEAM = "CBENCHACK", "UBENCHACK", "TBENCHACK"
TEXT = "remind in 1h benchmark {n}"
SECONDS, WARMUP = 5.0, 1.0  # measured, and warm-up before each measurement
STEP_SECONDS = 3.0  # each step of the sustained rate
P99_LIMIT_MS = 100.0
FIRST_RATE, STEP = 200.0, 1.4
TARGETS = {"sqlite": 1.5, "postgres": 2.5}  # one at a time, p50 over the bare app's
P99_TARGET, RATE_TARGET = 1.5, 0.5


@dataclass
class Figures:
    """What one server did."""

    name: str
    one: dict[str, Any] = field(default_factory=dict)  # the loadgen's result, one at a time
    fifty: dict[str, Any] = field(default_factory=dict)  # 50 concurrent
    steps: list[dict[str, Any]] = field(default_factory=list)  # the sustained rate's steps
    netstat: dict[str, int] = field(default_factory=dict)  # the counters' moves over all its runs

    @property
    def sustained(self) -> float:
        passed = [s["offered_rate"] for s in self.steps if _passes(s)]
        return max(passed, default=0.0)

    @property
    def generator_cpu(self) -> float:
        return max([self.one.get("generator_cpu", 0), self.fifty.get("generator_cpu", 0),
                    *(s["generator_cpu"] for s in self.steps)])


def _passes(step: dict[str, Any]) -> bool:
    return step["errors"] == 0 and step["p99_ms"] <= P99_LIMIT_MS and step["count"] >= 0.95 * step["offered_rate"] \
        * step["seconds"]


def load(port: int, figures: Figures, *args: str) -> dict[str, Any]:
    """One run of the load generator (its own process) against `port`, with the kernel counters around it."""
    before = serving.netstat()
    done = subprocess.run([sys.executable, "-m", "tests.benchmarks.loadgen", "--port", str(port), "--secret",
                           SIGNING_SECRET, "--text", TEXT, "--channel", CHANNEL, "--user", USER, "--team", TEAM,
                           *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    moved = serving.netstat_delta(before, serving.netstat())
    for name, value in moved.items():
        figures.netstat[name] = figures.netstat.get(name, 0) + value
    return json.loads(done.stdout)


def measure(name: str, port: int) -> Figures:
    figures = Figures(name)
    load(port, figures, "--concurrency", "8", "--seconds", "2", "--warmup", "0")  # warm-up of the server
    figures.one = load(port, figures, "--concurrency", "1", "--seconds", str(SECONDS), "--warmup", str(WARMUP))
    figures.fifty = load(port, figures, "--concurrency", "50", "--seconds", str(SECONDS), "--warmup", str(WARMUP))
    rate, passed, failed = FIRST_RATE, 0.0, None
    while failed is None and rate < 20_000:
        step = load(port, figures, "--rate", f"{rate:.0f}", "--seconds", str(STEP_SECONDS), "--warmup", "1")
        figures.steps.append(step)
        if _passes(step):
            passed, rate = rate, rate * STEP
        else:
            failed = rate
    for _ in range(2):  # narrow it down between the last rate that held and the first that did not
        if failed is None or failed - passed < 0.05 * failed:
            break
        rate = (passed + failed) / 2
        step = load(port, figures, "--rate", f"{rate:.0f}", "--seconds", str(STEP_SECONDS), "--warmup", "1")
        figures.steps.append(step)
        passed, failed = (rate, failed) if _passes(step) else (passed, rate)
    return figures


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database's URL (None without ACCORD_TEST_POSTGRES_URL), dropped at the end."""
    with postgres_server_from_environment() as server:
        if server is None:
            yield None
            return
        with server.database("accord_b") as url:
            yield url


def prepare(database_url: str) -> None:
    """The schema at head and a relationship in the benchmark's channel, set up through the use case."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with transaction(engine) as db:
            setup.configure(db, actor=Actor(USER, TEAM, CHANNEL), now=datetime.now(UTC), form=setup.SetupInput(
                name="Benchmark", party_1="North", party_2="South"))
    finally:
        engine.dispose()


def raw_write_ms(database_url: str, runs: int = 500) -> float:
    """The database alone: the median time of one INSERT and its COMMIT straight through the driver (the
    connection set up as Accord's engine sets it up: WAL and synchronous=NORMAL on SQLite)."""
    from statistics import median

    engine = make_engine(database_url)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("CREATE TABLE benchmark_raw_write (v VARCHAR(40))")
        raw.commit()
        sqlite = engine.dialect.name == "sqlite"
        times = []
        for _ in range(runs + 50):
            started = time.perf_counter()
            if sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            cursor.execute("INSERT INTO benchmark_raw_write (v) VALUES ('benchmark')")
            raw.commit()
            times.append((time.perf_counter() - started) * 1000)
        cursor.execute("DROP TABLE benchmark_raw_write")
        raw.commit()
        return median(times[50:])
    finally:
        raw.close()
        engine.dispose()


def installed_wrk() -> str | None:
    """wrk, installed from Debian's package when it is missing and this process may (root, apt-get)."""
    wrk = shutil.which("wrk")
    if wrk is None and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for step in (["apt-get", "install", "-y", "wrk"], ["apt-get", "update"], ["apt-get", "install", "-y", "wrk"]):
            subprocess.run(step, env=env, capture_output=True, timeout=600, check=False)
            if step[1] == "install" and (wrk := shutil.which("wrk")):
                break
    return wrk


def wrk_check(port: int) -> str:
    """wrk's own figures (50 connections, 5 s) against `port`, to check the generator's by."""
    wrk = installed_wrk()
    if wrk is None:
        return "wrk: not available on this machine and could not be installed (not root, or no apt-get)"
    from tests.benchmarks.loadgen import slash_command_requests

    raw = slash_command_requests(host="127.0.0.1", port=port, path="/slack/events", secret=SIGNING_SECRET,
                                 text=TEXT, count=1, channel=CHANNEL, user=USER, team=TEAM)[0]
    head, body = raw.split(b"\r\n\r\n", 1)
    headers = [line.split(": ", 1) for line in head.decode().split("\r\n")[1:] if not line.startswith("Host")]
    script = Path(f"/tmp/accord-wrk-{os.getpid()}.lua")  # noqa: S108 - a scratch file of this run
    script.write_text("wrk.method = 'POST'\nwrk.body = " + json.dumps(body.decode()) + "\n" + "".join(
        f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n" for k, v in headers))
    try:
        done = subprocess.run([wrk, "-t1", "-c50", "-d5s", "--latency", "-s", str(script),
                               f"http://127.0.0.1:{port}/slack/events"], capture_output=True, text=True, timeout=60,
                              check=False)
    finally:
        script.unlink(missing_ok=True)
    lines = [" ".join(line.split()) for line in done.stdout.splitlines()
             if line.strip().startswith(("50%", "99%", "Requests/sec", "Non-2xx"))]
    return "; ".join(lines) or f"wrk failed: {done.stderr.strip()[-200:]}"


def test_acknowledgement_latency(tmp_path: Path) -> None:
    started = time.monotonic()
    results: dict[str, Figures] = {}
    raw: dict[str, float] = {}
    wrk: dict[str, str] = {}
    with FakeSlack(bot_token=BOT_TOKEN, team_id=TEAM, bot_user_id="UACCORD") as fake, postgres_database() as pg:
        fake.add_user(USER, TEAM, "bench")
        fake.add_channel(CHANNEL, "bench", members=[USER])
        env = {"SLACK_SIGNING_SECRET": SIGNING_SECRET}
        with serving.started("bare", serving.bare_app(), env, tmp_path) as bare:
            results["bare"] = measure("bare", bare.port)
            wrk["bare"] = wrk_check(bare.port)
        databases = {"sqlite": f"sqlite:///{tmp_path / 'accord.db'}", "postgres": pg}
        for name, url in databases.items():
            if url is None:
                continue
            prepare(url)
            raw[name] = raw_write_ms(url)
            with serving.started(f"accord-{name}", serving.accord_serve(), serving.accord_env(url, fake.api_url),
                                 tmp_path) as accord:
                results[name] = measure(name, accord.port)
                wrk[name] = wrk_check(accord.port)
        machine = serving.machine(pg)  # while its database is there
    report(results, raw, wrk, time.monotonic() - started, machine)
    check(results)


def report(results: dict[str, Figures], raw: dict[str, float], wrk: dict[str, str], took: float,
           machine: str) -> None:
    print(f"\n\nacknowledgement of `/accord {TEXT.format(n='<n>')}` (one INSERT before the ack); "
          f"benchmark took {took:.0f} s")
    print(f"machine: {machine}")
    print(f"{'server':<9} {'1: p50 ms':>9} {'1: p99 ms':>9} {'1: req/s':>8} {'50: p50 ms':>10} {'50: p99 ms':>10} "
          f"{'50: req/s':>9} {'sustained/s':>11} {'gen cpu':>7}  netstat moves")
    for f in results.values():
        moves = ", ".join(f"{k} {v}" for k, v in f.netstat.items())
        print(f"{f.name:<9} {f.one['p50_ms']:>9.2f} {f.one['p99_ms']:>9.2f} {f.one['rate']:>8.0f} "
              f"{f.fifty['p50_ms']:>10.2f} {f.fifty['p99_ms']:>10.2f} {f.fifty['rate']:>9.0f} "
              f"{f.sustained:>11.0f} {f.generator_cpu:>7.0%}  {moves}")
    print("sustained rate steps (offered/s: p99 ms, errors):")
    for f in results.values():
        print(f"  {f.name:<9} " + "; ".join(f"{s['offered_rate']:.0f}: {s['p99_ms']:.1f}, {s['errors']}"
                                            for s in f.steps))
    print("the generator and wrk side by side, 50 connections (the generator: p50 / p99 ms, req/s):")
    for name, f in results.items():
        print(f"  {name:<9} generator {f.fifty['p50_ms']:.2f} / {f.fifty['p99_ms']:.2f} ms, {f.fifty['rate']:.0f}/s"
              f" | wrk -t1 -c50 -d5s: {wrk.get(name, 'not run')}")
    print("the database alone, one INSERT + COMMIT through the driver (median): "
          + ", ".join(f"{name} {ms:.2f} ms" for name, ms in raw.items()))
    bare = results["bare"]
    for name in ("sqlite", "postgres"):
        if name not in results:
            print(f"{name}: not measured ({POSTGRES_ENV} is not set)")
            continue
        f = results[name]
        print(f"{name}: p50 one at a time / bare  = {f.one['p50_ms'] / bare.one['p50_ms']:.2f}  "
              f"(must be <= {TARGETS[name]})")
        print(f"{name}: p99 at 50 / bare          = {f.fifty['p99_ms'] / bare.fifty['p99_ms']:.2f}  "
              f"(must be <= {P99_TARGET})")
        print(f"{name}: sustained rate / bare     = {f.sustained / bare.sustained:.2f}  (must be >= {RATE_TARGET})"
              if bare.sustained else f"{name}: sustained rate / bare: the bare app held no rate")


def check(results: dict[str, Figures]) -> None:
    bare = results["bare"]
    failures = []
    for f in results.values():
        if any(f.netstat.get(name) for name in ("ListenOverflows", "TCPSynRetrans")):
            failures.append(f"{f.name}: the kernel counters moved: {f.netstat}")
        if f.one["errors"] or f.fifty["errors"]:
            failures.append(f"{f.name}: errors {f.one['statuses']} {f.fifty['statuses']}")
    for name in ("sqlite", "postgres"):
        if name not in results:
            continue
        f = results[name]
        if f.one["p50_ms"] > TARGETS[name] * bare.one["p50_ms"]:
            failures.append(f"{name}: p50 one at a time {f.one['p50_ms']:.2f} ms > {TARGETS[name]} x "
                            f"{bare.one['p50_ms']:.2f} ms")
        if f.fifty["p99_ms"] > P99_TARGET * bare.fifty["p99_ms"]:
            failures.append(f"{name}: p99 at 50 {f.fifty['p99_ms']:.1f} ms > {P99_TARGET} x "
                            f"{bare.fifty['p99_ms']:.1f} ms")
        if f.sustained < RATE_TARGET * bare.sustained:
            failures.append(f"{name}: sustained {f.sustained:.0f}/s < {RATE_TARGET} x {bare.sustained:.0f}/s")
    assert not failures, "\n".join(failures)
