"""Headless Chromium for the tests that open a page: Debian's `chromium` package, installed here with apt-get when
it is missing (as root), and a reader of the audit report's sections and images."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
WINDOW = (1280, 2400)


def chromium() -> str:
    """Debian's chromium, installed with apt-get when missing (as root); the test is skipped, saying why, when it
    cannot be."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip("Debian's chromium package is missing and cannot be installed here (needs root and apt-get): "
                    "run `apt-get install chromium`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for step in (["apt-get", "install", "-y", "chromium"], ["apt-get", "update"], ["apt-get", "install", "-y",
                                                                                   "chromium"]):
        done = subprocess.run(step, env=env, capture_output=True, text=True, timeout=900, check=False)
        if step[1] == "install" and done.returncode == 0 and Path(CHROMIUM).exists():
            return CHROMIUM
    pytest.skip(f"chromium could not be installed: {(done.stderr.strip().splitlines() or ['?'])[-1]}")


def browser(chromium: str, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           f"--user-data-dir={home / 'profile'}", *args], capture_output=True, text=True,
                          timeout=180, check=False, env={**os.environ, "HOME": str(home)})


class Sections(HTMLParser):
    """Each <section id> with the text of its clause label (<p class="clause">), and every image's source."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: dict[str, str] = {}
        self.images: list[str] = []
        self._section: str | None = None
        self._in_label = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "section":
            self._section = attributes.get("id")
            self.labels[self._section or ""] = ""
        self._in_label = tag == "p" and attributes.get("class") == "clause" and self._section is not None
        if tag == "img":
            self.images.append(attributes.get("src") or "")

    def handle_data(self, data: str) -> None:
        if self._in_label and self._section is not None:
            self.labels[self._section] += data

    def handle_endtag(self, tag: str) -> None:
        self._in_label = self._in_label and tag != "p"


def sections(html: str) -> Sections:
    parser = Sections()
    parser.feed(html)
    return parser
