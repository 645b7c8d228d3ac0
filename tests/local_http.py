"""HTTP to the servers the tests start on 127.0.0.1 (the app, fake Slack, `accord serve`).

httpx builds a TLS context for each client it makes (`httpx.get` makes one per call), and loading the CA bundle
costs about 45 ms each time: these share one, built once."""

from __future__ import annotations

import ssl
from functools import cache
from typing import Any

import httpx


@cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def client(**kwargs: Any) -> httpx.Client:
    """A client for the local servers."""
    return httpx.Client(verify=_tls(), **kwargs)


def get(url: str, **kwargs: Any) -> httpx.Response:
    """GET `url` on a local server."""
    return httpx.get(url, verify=_tls(), **kwargs)


def post(url: str, **kwargs: Any) -> httpx.Response:
    """POST to `url` on a local server."""
    return httpx.post(url, verify=_tls(), **kwargs)
