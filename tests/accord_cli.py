"""The `accord` command run inside the test process: the same `bot.cli.main` the console script calls, with
its environment, streams and working folder given, and no interpreter to start (which costs 1–3 s).

A handful of tests still start the real console script: the script itself, racing ticks, serve and its
signals, replicas and the demo."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from bot import cli
from bot.wait_clock import WaitClock


@contextlib.contextmanager
def _working_folder(cwd: Path | str | None) -> Iterator[None]:
    if cwd is None:
        yield
        return
    before = Path.cwd()
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(before)


def _stream(data: bytes = b"") -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", write_through=True)


def run_accord(args: Sequence[str], *, env: Mapping[str, str], cwd: Path | str | None = None,
               stdin: str | bytes | None = None, wait_clock: WaitClock | None = None,
               text: bool = True) -> subprocess.CompletedProcess:
    """`accord ARGS` as the console script would run it, answered as a finished process: exit code, stdout and
    stderr (str, or bytes when `text` is false)."""
    data = stdin.encode("utf-8") if isinstance(stdin, str) else (stdin or b"")
    out, err, inp = _stream(), _stream(), _stream(data)
    saved_stdin = sys.stdin
    sys.stdin = inp
    try:
        with _working_folder(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(list(args), environ=env, wait_clock=wait_clock)
            except SystemExit as exit_:  # argparse: --help, or a usage error
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 2)
    finally:
        sys.stdin = saved_stdin
    stdout, stderr = out.buffer.getvalue(), err.buffer.getvalue()  # type: ignore[attr-defined]
    if text:
        return subprocess.CompletedProcess(["accord", *args], code, stdout.decode("utf-8"), stderr.decode("utf-8"))
    return subprocess.CompletedProcess(["accord", *args], code, stdout, stderr)
