"""A small HTTP load generator on raw asyncio streams, for the acknowledgement benchmark.

It runs in its own process (so that it never shares a GIL with the server it measures) and prints one
JSON object. The requests are built and signed before the clock starts (Slack's signature: HMAC-SHA256
of `v0:{timestamp}:{body}`); each of its keep-alive connections sends its next request when the previous
answer is complete (Content-Length read), and each request is timed with perf_counter_ns.

Two ways to load the server:

- closed loop, `--concurrency C`: C connections, each always with one request outstanding; a request's
  latency runs from its send to its answer;
- open loop, `--rate R`: requests are due at a constant rate R, each sent on the first free one of
  `--connections` connections; its latency runs from when it was due (not when it could be sent), so a
  server that falls behind shows it in the tail rather than slowing the generator down (as wrk2 does).

Requests sent during the first `--warmup` seconds are not counted. The output says how much CPU the
generator itself used (of one core), so that a run where the generator was the bottleneck shows.

    python -m tests.benchmarks.loadgen --port 3000 --secret S --concurrency 50 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from urllib.parse import urlencode

USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


def slash_command_requests(*, host: str, port: int, path: str, secret: str, text: str, count: int,
                           channel: str, user: str, team: str) -> list[bytes]:
    """`count` signed slash commands `/accord <text>` (`{n}` in `text` is the request's number), as raw
    HTTP/1.1 requests; signed now, so usable for Slack's five minutes."""
    stamp = str(int(time.time()))
    requests = []
    for n in range(count):
        body = urlencode({
            "token": "benchmark", "team_id": team, "team_domain": "bench", "channel_id": channel,
            "channel_name": "bench", "user_id": user, "user_name": "bench", "command": "/accord",
            "text": text.format(n=n), "api_app_id": "AACCORD", "is_enterprise_install": "false",
            "response_url": f"http://127.0.0.1:9/response_url/{n}", "trigger_id": f"{stamp}.{n}.benchmark",
        }).encode()
        signature = "v0=" + hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
        head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: {USER_AGENT}\r\n"
                f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
                f"X-Slack-Request-Timestamp: {stamp}\r\nX-Slack-Signature: {signature}\r\n\r\n")
        requests.append(head.encode() + body)
    return requests


@dataclass
class Result:
    """What one run measured (milliseconds, requests per second)."""

    mode: str
    concurrency: int
    offered_rate: float | None
    seconds: float
    count: int
    errors: int
    rate: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    generator_cpu: float  # of one core, over the measured part
    statuses: dict[str, int] = field(default_factory=dict)


def percentile(ordered: Sequence[int], fraction: float) -> float:
    """Nearest-rank percentile of sorted nanoseconds, in milliseconds."""
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))] / 1e6


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """Send one request and read its whole answer; its HTTP status."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    start = head.lower().find(b"\r\ncontent-length:")
    if start >= 0:
        start += 17
        length = int(head[start:head.index(b"\r\n", start)])
        if length:
            await reader.readexactly(length)
    return status


class _Run:
    def __init__(self, host: str, port: int, requests: list[bytes], warmup: float, seconds: float) -> None:
        self.host, self.port, self.requests = host, port, requests
        self.begin = time.perf_counter_ns() + 20_000_000
        self.counted_from = self.begin + int(warmup * 1e9)
        self.end = self.counted_from + int(seconds * 1e9)
        self.latencies: list[int] = []
        self.statuses: Counter[str] = Counter()
        self.errors = 0
        self.cpu_at_count: float | None = None
        self.next = 0

    def request(self) -> bytes:
        self.next += 1
        return self.requests[self.next % len(self.requests)]

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(self.host, self.port)

    def note(self, due: int, status: int | None, done: int) -> None:
        if due < self.counted_from:
            return
        if self.cpu_at_count is None:
            self.cpu_at_count = time.process_time()
        if status is None:
            self.errors += 1
            self.statuses["error"] += 1
            return
        self.statuses[str(status)] += 1
        if status != 200:
            self.errors += 1
        self.latencies.append(done - due)

    async def one(self, connection: list[asyncio.StreamReader | asyncio.StreamWriter], due: int) -> None:
        reader, writer = connection
        try:
            status: int | None = await _exchange(reader, writer, self.request())  # type: ignore[arg-type]
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            status = None
            writer.close()  # type: ignore[union-attr]
            connection[:] = await self.connect()
        self.note(due, status, time.perf_counter_ns())

    def result(self, mode: str, concurrency: int, offered: float | None, seconds: float) -> Result:
        cpu = time.process_time() - (self.cpu_at_count or time.process_time())
        ordered = sorted(self.latencies)
        return Result(mode=mode, concurrency=concurrency, offered_rate=offered, seconds=seconds,
                      count=len(ordered), errors=self.errors, rate=len(ordered) / seconds,
                      p50_ms=percentile(ordered, 0.50), p90_ms=percentile(ordered, 0.90),
                      p99_ms=percentile(ordered, 0.99), max_ms=ordered[-1] / 1e6 if ordered else math.nan,
                      generator_cpu=cpu / seconds, statuses=dict(self.statuses))


async def closed_loop(host: str, port: int, requests: list[bytes], *, concurrency: int, seconds: float,
                      warmup: float) -> Result:
    """`concurrency` connections, each sending its next request when its previous answer is complete."""
    run = _Run(host, port, requests, warmup, seconds)

    async def client() -> None:
        connection: list[asyncio.StreamReader | asyncio.StreamWriter] = list(await run.connect())
        while (now := time.perf_counter_ns()) < run.end:
            await run.one(connection, now)
        connection[1].close()  # type: ignore[union-attr]

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return run.result("closed", concurrency, None, seconds)


async def open_loop(host: str, port: int, requests: list[bytes], *, rate: float, connections: int,
                    seconds: float, warmup: float) -> Result:
    """Requests due at `rate` a second, each sent on a free connection; latency from when it was due."""
    run = _Run(host, port, requests, warmup, seconds)
    due: asyncio.Queue[int | None] = asyncio.Queue()
    interval = 1e9 / rate
    total = int((run.end - run.begin) / interval)

    async def schedule() -> None:
        n = 0
        while n < total:
            now = time.perf_counter_ns()
            while n < total and run.begin + int(n * interval) <= now:
                due.put_nowait(run.begin + int(n * interval))
                n += 1
            if n < total:
                await asyncio.sleep(max(run.begin + n * interval - time.perf_counter_ns(), 0) / 1e9)
        for _ in range(connections):
            due.put_nowait(None)

    async def client() -> None:
        connection: list[asyncio.StreamReader | asyncio.StreamWriter] = list(await run.connect())
        while (when := await due.get()) is not None:
            await run.one(connection, when)
        connection[1].close()  # type: ignore[union-attr]

    await asyncio.gather(schedule(), *(client() for _ in range(connections)))
    return run.result("open", connections, rate, seconds)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/slack/events")
    parser.add_argument("--secret", required=True, help="the signing secret")
    parser.add_argument("--text", default="remind in 1h benchmark {n}", help="the /accord text")
    parser.add_argument("--channel", default="CBENCH")
    parser.add_argument("--user", default="UBENCH")
    parser.add_argument("--team", default="TBENCH")
    parser.add_argument("--distinct", type=int, default=1000, help="distinct requests to cycle through")
    parser.add_argument("--concurrency", type=int, help="closed loop with this many connections")
    parser.add_argument("--rate", type=float, help="open loop at this many requests a second")
    parser.add_argument("--connections", type=int, default=64, help="connections of the open loop")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    args = parser.parse_args(argv)
    requests = slash_command_requests(host=args.host, port=args.port, path=args.path, secret=args.secret,
                                      text=args.text, count=args.distinct, channel=args.channel, user=args.user,
                                      team=args.team)
    if args.rate:
        coroutine = open_loop(args.host, args.port, requests, rate=args.rate, connections=args.connections,
                              seconds=args.seconds, warmup=args.warmup)
    else:
        coroutine = closed_loop(args.host, args.port, requests, concurrency=args.concurrency or 1,
                                seconds=args.seconds, warmup=args.warmup)
    print(json.dumps(asdict(asyncio.run(coroutine))))


if __name__ == "__main__":
    main()
