"""Issue 9, point 3: acknowledgement latency of signed slash commands that write to the database.

Three servers, started the same way and running side by side in this run, each a process of its own
listening through bot.web.HttpServer (8 threads):

- `bare`: a bolt App with process_before_response whose /accord only acks (tests/benchmarks/bare_app.py);
- `sqlite`: `accord serve` (the real CLI, scheduler on) on a SQLite file (WAL);
- `postgres`: `accord serve` on a PostgreSQL database of its own (when ACCORD_TEST_POSTGRES_URL is set).

Accord's database holds a relationship in the benchmark's channel, and the command is `/accord remind in
1h benchmark <n>`: the cheapest command that writes (one work item, INSERTed in its own transaction
before the ack). The load comes from tests/benchmarks/loadgen.py, a generator on raw asyncio streams in
a process of its own, with keep-alive connections and requests signed before the clock starts. After a
warm-up of each, the servers take turns ROUNDS times (so that a shared machine's drift falls on all three
alike), and each figure is the median round's:

- one at a time: one connection, each request sent when the previous answer is complete;
- 50 concurrent: 50 such connections;
- sustained rate: requests offered at a constant rate (open loop, latency counted from when each was
  due), stepped up until p99 exceeds 100 ms; the highest rate that kept p99 <= 100 ms (each server in turn).

Each server's own CPU time and context switches per request (all its threads, from /proc) are printed beside.

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
from contextlib import ExitStack, contextmanager
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
SECONDS, WARMUP = 3.0, 0.5  # measured, and warm-up before each measurement
ROUNDS = 3  # the servers take turns, one at a time then 50 concurrent, this many times: each figure is the median
# round's, so that the machine's drift (a shared VM) falls on all three alike
STEP_SECONDS = 3.0  # each step of the sustained rate
P99_LIMIT_MS = 100.0
FIRST_RATE, STEP = 200.0, 1.4
TARGETS = {"sqlite": 1.5, "postgres": 2.5}  # one at a time, p50 over the bare app's
P99_TARGET, RATE_TARGET = 1.5, 0.5


@dataclass
class Figures:
    """What one server did."""

    name: str
    ones: list[dict[str, Any]] = field(default_factory=list)  # the loadgen's results, one at a time, each round
    fifties: list[dict[str, Any]] = field(default_factory=list)  # 50 concurrent
    steps: list[dict[str, Any]] = field(default_factory=list)  # the sustained rate's steps
    netstat: dict[str, int] = field(default_factory=dict)  # the counters' moves over all its runs

    @property
    def one(self) -> dict[str, Any]:
        """The round with the median p50, one at a time."""
        return sorted(self.ones, key=lambda r: r["p50_ms"])[len(self.ones) // 2]

    @property
    def fifty(self) -> dict[str, Any]:
        """The round with the median p99, 50 concurrent."""
        return sorted(self.fifties, key=lambda r: r["p99_ms"])[len(self.fifties) // 2]

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


def load(port: int, figures: Figures, *args: str, server: serving.Server | None = None) -> dict[str, Any]:
    """One run of the load generator (its own process) against `port`, with the kernel counters around it (and,
    given the `server`, its CPU time and context switches per request, all its threads)."""
    before, used = serving.netstat(), server.usage() if server else None
    done = subprocess.run([sys.executable, "-m", "tests.benchmarks.loadgen", "--port", str(port), "--secret",
                           SIGNING_SECRET, "--text", TEXT, "--channel", CHANNEL, "--user", USER, "--team", TEAM,
                           *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    moved = serving.netstat_delta(before, serving.netstat())
    for name, value in moved.items():
        figures.netstat[name] = figures.netstat.get(name, 0) + value
    result: dict[str, Any] = json.loads(done.stdout)
    if server is not None and used is not None:
        # the readings take in the warm-up too: its requests are counted at the measured rate
        warmup = float(args[args.index("--warmup") + 1]) if "--warmup" in args else 0.0
        result.update(serving.usage_per_request(used, server.usage(), result["rate"] * (result["seconds"] + warmup)))
    return result


def measure_in_turns(servers: dict[str, serving.Server]) -> dict[str, Figures]:
    """One at a time and 50 concurrent, each server in turn, ROUNDS times."""
    results = {name: Figures(name) for name in servers}
    for name, server in servers.items():  # warm-up of each server
        load(server.port, results[name], "--concurrency", "8", "--seconds", "2", "--warmup", "0")
    for _ in range(ROUNDS):
        for name, server in servers.items():
            figures = results[name]
            for concurrency, runs in (("1", figures.ones), ("50", figures.fifties)):
                runs.append(load(server.port, figures, "--concurrency", concurrency, "--seconds", str(SECONDS),
                                 "--warmup", str(WARMUP), server=server))
    return results


def sustained_rate(port: int, figures: Figures) -> None:
    """The open-loop steps: the offered rate grows until p99 passes P99_LIMIT_MS, then is narrowed down."""
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
    raw: dict[str, float] = {}
    wrk: dict[str, str] = {}
    with FakeSlack(bot_token=BOT_TOKEN, team_id=TEAM, bot_user_id="UACCORD") as fake, postgres_database() as pg, \
            ExitStack() as running:
        fake.add_user(USER, TEAM, "bench")
        fake.add_channel(CHANNEL, "bench", members=[USER])
        servers = {"bare": running.enter_context(serving.started(
            "bare", serving.bare_app(), {"SLACK_SIGNING_SECRET": SIGNING_SECRET}, tmp_path))}
        databases = {"sqlite": f"sqlite:///{tmp_path / 'accord.db'}", "postgres": pg}
        for name, url in databases.items():
            if url is None:
                continue
            prepare(url)
            raw[name] = raw_write_ms(url)
            servers[name] = running.enter_context(serving.started(
                f"accord-{name}", serving.accord_serve(), serving.accord_env(url, fake.api_url), tmp_path))
        results = measure_in_turns(servers)
        for name, server in servers.items():
            sustained_rate(server.port, results[name])
            wrk[name] = wrk_check(server.port)
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
    print("each server's own work per request (CPU time of all its threads; context switches, voluntary + not), "
          "median round:")
    for f in results.values():
        print(f"  {f.name:<9} one at a time {f.one['cpu_ms']:.3f} ms, {f.one['switches']:.1f} switches | "
              f"50 concurrent {f.fifty['cpu_ms']:.3f} ms, {f.fifty['switches']:.1f} switches")
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
        for run in f.ones + f.fifties:
            if run["errors"]:
                failures.append(f"{f.name}: errors {run['statuses']}")
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
