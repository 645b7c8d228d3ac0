"""Real server processes for the benchmarks (`accord serve`, the bare bolt app), and what the machine says.

Both servers are started the same way: a fresh Python process listening on 127.0.0.1 through
bot.web.HttpServer (8 threads), ready once GET /healthz answers 200.
"""

from __future__ import annotations

import os
import platform
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.harness import BOT_TOKEN, SIGNING_SECRET, accord_command

NETSTAT_COUNTERS = ("ListenOverflows", "ListenDrops", "TCPSynRetrans")


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """One server process."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mb(self) -> float:
        """Resident memory now (VmRSS), in MB (10^6 bytes)."""
        return _status_kb(self.process.pid, "VmRSS") * 1024 / 1e6

    def usage(self) -> tuple[float, int]:
        """CPU time so far (user + system, all threads), in seconds, and context switches (voluntary and not)."""
        return process_usage(self.process.pid)

    def stop(self) -> int:
        """SIGTERM, then the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(10)


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(f"{field} not in /proc/{pid}/status")


def process_usage(pid: int) -> tuple[float, int]:
    """A process's CPU time (user + system, all its threads) in seconds, and its threads' context switches."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    switches = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            for line in (task / "status").read_text().splitlines():
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    switches += int(line.split()[1])
        except OSError:  # a thread that ended meanwhile
            continue
    return cpu, switches


def usage_per_request(before: tuple[float, int], after: tuple[float, int], count: float) -> dict[str, float]:
    """CPU milliseconds and context switches per request between two `process_usage` readings, `count` requests
    apart."""
    count = max(count, 1.0)
    return {"cpu_ms": (after[0] - before[0]) * 1000 / count, "switches": (after[1] - before[1]) / count}


def _wait_healthy(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.process.poll() is None:
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=1) as response:  # noqa: S310 - local
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{server.name} did not come up:\n{server.log.read_text()[-3000:]}")


@contextmanager
def started(name: str, argv: list[str], env: Mapping[str, str], workdir: Path, *,
            port: int | None = None, timeout: float = 60) -> Iterator[Server]:
    """A server process running `argv` + `--port`, healthy, stopped (SIGTERM) at the end."""
    port = port or free_port()
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen([*argv, "--port", str(port)], env={**os.environ, **env}, cwd=workdir,
                                   stdout=out, stderr=subprocess.STDOUT)
    server = Server(name, process, port, log)
    try:
        _wait_healthy(server, timeout)
        yield server
    finally:
        server.stop()


def accord_env(database_url: str, api_url: str, **extra: str) -> dict[str, str]:
    """The environment of an `accord serve` for the benchmarks."""
    return {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": api_url,
            "DATABASE_URL": database_url, **extra}


def accord_serve(*args: str) -> list[str]:
    """The `accord serve` command line (the installed script), on 127.0.0.1."""
    return [*accord_command(), "--env-file", "/nonexistent", "serve", "--host", "127.0.0.1", *args]


ROOT = Path(__file__).resolve().parents[2]


def bare_app() -> list[str]:
    """The command line of the bare bolt app (tests/benchmarks/bare_app.py), from the repository's root."""
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
                                  "from tests.benchmarks.bare_app import main; main()"]


def netstat() -> dict[str, int]:
    """The kernel's TCP counters that show a server refusing or dropping connections (TcpExt)."""
    lines = Path("/proc/net/netstat").read_text().splitlines()
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], (int(v) for v in values.split()[1:]), strict=True))
            return {name: table.get(name, 0) for name in NETSTAT_COUNTERS}
    return dict.fromkeys(NETSTAT_COUNTERS, 0)


def netstat_delta(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in NETSTAT_COUNTERS}


def machine(database_url: str | None = None) -> str:
    """One line naming the machine: CPU model, cores, Python, and the database (PostgreSQL's version)."""
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    parts = [cpu, f"{os.cpu_count()} cores", f"Python {platform.python_version()}"]
    if database_url and database_url.startswith("postgresql"):
        parts.append(postgres_version(database_url))
    elif database_url:
        import sqlite3

        parts.append(f"SQLite {sqlite3.sqlite_version}")
    load = os.getloadavg()
    parts.append(f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return ", ".join(parts)


def postgres_version(database_url: str) -> str:
    from sqlalchemy import text

    from storage.engine import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return "PostgreSQL " + str(connection.execute(text("SHOW server_version")).scalar_one()).split()[0]
    finally:
        engine.dispose()
