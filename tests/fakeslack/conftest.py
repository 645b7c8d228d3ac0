"""Fixtures for the fake Slack tests: a seeded FakeSlack, a WebClient on it, a signature-checking receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.fakeslack import FakeSlack

SIGNING_SECRET = "test-signing-secret"


@pytest.fixture
def signing_secret() -> str:
    """The signing secret shared by the driver and the receiving apps."""
    return SIGNING_SECRET


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    """A started FakeSlack with a home user, an external user (no tz) and two channels."""
    with FakeSlack(trigger_ttl=0.3) as f:
        f.add_user("UHOME1", "T0HOME", "alice", real_name="Alice Home")
        f.add_team("T0EXT", "Partner Org")
        f.add_user("UEXT1", "T0EXT", "bob", real_name="Bob Partner", tz=None)
        f.add_channel("C0SHARED", "accord-shared", members=("UHOME1", "UEXT1"), is_shared=True)
        f.add_channel("C0NOBOT", "not-joined", members=("UHOME1",), bot_member=False)
        yield f


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    """slack_sdk's real WebClient pointed at the fake, without automatic retries."""
    return WebClient(token=fake.bot_token, base_url=fake.api_url, timeout=5, retry_handlers=[])


@dataclass
class Received:
    """One request received by the Receiver."""

    headers: dict[str, str]
    body: str
    valid: bool


@dataclass
class Receiver:
    """A tiny real HTTP endpoint that checks Slack signatures and records requests."""

    url: str
    requests: list[Received] = field(default_factory=list)

    def payload(self, index: int = -1) -> dict[str, Any]:
        """The JSON payload of a form-encoded interaction request."""
        from urllib.parse import parse_qs

        return json.loads(parse_qs(self.requests[index].body)["payload"][0])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """Serve a signature-checking endpoint on a free port; 200 when valid, 401 otherwise."""
    verifier = SignatureVerifier(SIGNING_SECRET)
    recv = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            headers = {k.lower(): v for k, v in self.headers.items()}
            timestamp, signature = headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")
            valid = bool(timestamp and signature) and verifier.is_valid(body, timestamp, signature)
            recv.requests.append(Received(headers=headers, body=body, valid=valid))
            self.send_response(200 if valid else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recv.url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield recv
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
