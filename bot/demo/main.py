"""`accord demo` and `accord console`: what they print and return."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

from bot.demo import script
from bot.demo.transcript import Transcript


def run_demo(directory: Path, *, fast: bool) -> int:
    """Play the quarter, print the transcript as it unfolds, write the outputs; 0 when all went well."""
    started = time.monotonic()
    transcript = Transcript(out=sys.stdout)
    outputs = script.run(directory, fast=fast, transcript=transcript)
    print(f"\nDone in {time.monotonic() - started:.1f} s. In {directory}/:\n"
          f"  {outputs.transcript.name}  the channel as above\n"
          f"  {outputs.chart.name}  the review's chart\n"
          f"  {outputs.plan.name}  the exported plan (`accord import` reads it back)\n"
          f"  {outputs.report.name}  the audit report: open it in a browser")
    return 0


def run_console(directory: Path, stdin: TextIO, stdout: TextIO, *, fresh: bool = False) -> int:
    """The interactive prompt, on the database kept in `directory` (a new one when `fresh`)."""
    from bot.demo.console import Console

    return Console(directory, stdin, stdout, fresh=fresh).run()
