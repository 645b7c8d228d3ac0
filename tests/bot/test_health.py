"""GET /healthz: 200 with the schema revision when the database answers, 503 when it does not."""

from __future__ import annotations

import io
import json
from typing import Any

from sqlalchemy.engine import Engine

from bot.app import create_app
from bot.identity import BotIdentity
from bot.settings import load_settings
from bot.slack_client import make_web_client
from bot.web import make_wsgi
from storage.engine import make_engine
from storage.migrate import head_revision


def _get(engine: Engine, path: str = "/healthz") -> tuple[str, dict[str, Any]]:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s",
                              "SLACK_API_URL": "http://127.0.0.1:9/api/"})
    app = create_app(settings, make_web_client(settings), engine=engine, identity=BotIdentity(token="xoxb-x"))
    wsgi = make_wsgi(app, engine)
    status: list[str] = []
    body = b"".join(wsgi({"PATH_INFO": path, "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO()},
                         lambda code, headers: status.append(code)))
    return status[0], json.loads(body)


def test_health_reports_the_schema_revision(engine: Engine) -> None:
    status, body = _get(engine)
    assert status.startswith("200")
    assert body == {"status": "ok", "database": "ok", "schema_revision": head_revision(),
                    "schema_head": head_revision(), "schema_current": True}


def test_health_is_503_when_the_database_does_not_answer() -> None:
    unreachable = make_engine("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    status, body = _get(unreachable)
    assert status.startswith("503") and body["database"] == "unreachable"
