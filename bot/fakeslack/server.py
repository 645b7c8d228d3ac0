"""The HTTP side of the fake: /api/<method>, /response_url/<id> and /upload/<file_id>."""

from __future__ import annotations

import json
import time
from email import policy as email_policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.fakeslack.methods_chat import CHAT_METHODS, Handler
from bot.fakeslack.methods_misc import MISC_METHODS
from bot.fakeslack.methods_oauth import OAUTH_METHODS, basic_credentials
from bot.fakeslack.state import RESPONSE_URL_MAX_USES, ApiError, Call, Fault, SlackState, snapshot
from bot.fakeslack.validate import decode_json, validate_blocks

METHODS: dict[str, Handler] = {**CHAT_METHODS, **MISC_METHODS, **OAUTH_METHODS}
JSON_FIELDS = ("blocks", "attachments", "metadata", "view", "files")


def _answer(method: str, st: SlackState, args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Status and body of one Web API method's answer (lock held)."""
    try:
        return 200, METHODS[method](st, args)
    except ApiError as exc:
        return exc.status, exc.body()
    except Exception as exc:  # a bug in the fake: answer loudly rather than drop the connection
        return 500, {"ok": False, "error": f"fake_slack_bug: {exc!r}"}


def _form(raw: str) -> dict[str, Any]:
    """Decode a query string / form body; repeated keys become lists."""
    return {k: v[0] if len(v) == 1 else v for k, v in parse_qs(raw, keep_blank_values=True).items()}


def _multipart_file(body: bytes, content_type: str) -> bytes:
    """The bytes of the file part of a multipart/form-data body (the whole body if none is found)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=email_policy.HTTP).parsebytes(head + body)
    parts = [p for p in message.iter_parts()] if message.is_multipart() else []
    for part in parts:
        if part.get_filename() or part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else b""
    return body


def _fault_answer(fault: Fault) -> tuple[int, dict[str, Any], dict[str, str]]:
    """HTTP status, JSON body and extra headers of an injected fault."""
    if fault.status == 429:
        retry = str(fault.retry_after if fault.retry_after is not None else 1)
        return 429, {"ok": False, "error": fault.error or "ratelimited"}, {"Retry-After": retry}
    if fault.status is not None and fault.status >= 400:
        return fault.status, {"ok": False, "error": fault.error or "internal_error"}, {}
    return fault.status or 200, {"ok": False, "error": fault.error or "internal_error"}, {}


class FakeSlackServer(ThreadingHTTPServer):
    """ThreadingHTTPServer carrying the fake's state."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], state: SlackState) -> None:
        super().__init__(address, FakeSlackHandler)
        self.state = state


class FakeSlackHandler(BaseHTTPRequestHandler):
    """Routes requests to Web API methods, response URLs and file uploads."""

    server: FakeSlackServer
    server_version = "FakeSlack/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature fixed by stdlib
        """Keep test output quiet."""

    # ---- plumbing ----------------------------------------------------------------------------------------
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, body: dict[str, Any] | str, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode() if isinstance(body, dict) else body.encode()
        ctype = "application/json; charset=utf-8" if isinstance(body, dict) else "text/plain; charset=utf-8"
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. timed out on an injected delay)

    def _record(self, method: str, args: dict[str, Any], token: str | None, at: float, status: int,
                response: dict[str, Any]) -> None:
        st = self.server.state
        with st.lock:
            st.calls.append(Call(method=method, args=snapshot(args), token=token, at=at, status=status,
                                 response=snapshot(response), clock=st.now()))

    def _apply_fault(self, method: str) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        """Sleep for / answer an injected fault; None when the call should be processed normally."""
        fault = self.server.state.take_fault(method)
        self._drop = bool(fault and fault.drop)
        self._hold = (fault.hold or 0.0) if fault else 0.0
        if fault is None:
            return None
        if fault.delay:
            time.sleep(fault.delay)
        if fault.status is None and fault.error is None:  # a delay, a hold or a drop: then process normally
            return None
        return _fault_answer(fault)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        """GET works for Web API methods (arguments in the query string)."""
        self.do_POST()

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        """Dispatch by path."""
        path = urlsplit(self.path).path
        if path.startswith("/api/"):
            self._api(path[len("/api/"):])
        elif path.startswith("/response_url/"):
            self._response_url(path[len("/response_url/"):])
        elif path.startswith("/upload/"):
            self._upload(path[len("/upload/"):])
        else:
            self._send(404, "not_found")

    # ---- /api/<method> -----------------------------------------------------------------------------------
    def _parse_args(self) -> dict[str, Any]:
        args = _form(urlsplit(self.path).query)
        body = self._body()
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if body and ctype == "application/json":
            decoded = json.loads(body)
            if not isinstance(decoded, dict):
                raise ApiError("invalid_json")
            args.update(decoded)
        elif body and ctype != "multipart/form-data":
            args.update(_form(body.decode("utf-8", errors="replace")))
        for key in JSON_FIELDS:
            if isinstance(args.get(key), str):
                args[key] = decode_json(args[key])
        return args

    def _api(self, method: str) -> None:
        st = self.server.state
        at = time.time()
        try:
            args = self._parse_args()
        except (ApiError, ValueError):
            args = {}
            self._finish_api(method, args, None, at, 200, {"ok": False, "error": "invalid_json"})
            return
        auth = self.headers.get("Authorization") or ""
        form_token = args.pop("token", None)
        token = auth[len("Bearer "):].strip() if auth.startswith("Bearer ") else form_token
        if method not in METHODS:
            self._finish_api(method, args, token, at, 404, {"ok": False, "error": "unknown_method"})
            return
        faulted = self._apply_fault(method)
        if faulted is not None:
            status, body, headers = faulted
            self._finish_api(method, args, token, at, status, body, headers)
            return
        headers = {}
        with st.lock:
            if method in OAUTH_METHODS:  # the app's client id and secret authenticate it, not a token
                status, body = _answer(method, st, {**args, **basic_credentials(auth)})
            elif not token:
                status, body = 200, {"ok": False, "error": "not_authed"}
            elif token not in st.tokens:  # unknown, or revoked
                status, body = 200, {"ok": False, "error": "invalid_auth"}
            elif (retry_after := st.throttle(method, args, st.tokens[token].team_id)) is not None:
                # as Slack answers a call beyond its rate limit (see bot.fakeslack.tiers)
                status, body = 429, {"ok": False, "error": "ratelimited"}
                headers = {"Retry-After": str(retry_after)}
            else:
                st.caller = st.tokens[token]
                status, body = _answer(method, st, st.shape(method, args))
            self._record(method, args, token, at, status, body)
        if self._hold:
            time.sleep(self._hold)  # Slack acted (outside the lock: others see it), the answer comes later
        if self._drop:
            self.close_connection = True  # Slack acted, but the answer never arrives
            return
        self._send(status, body, headers)

    def _finish_api(self, method: str, args: dict[str, Any], token: str | None, at: float, status: int,
                    body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._record(method, args, token, at, status, body)
        self._send(status, body, headers)

    # ---- /response_url/<id> ------------------------------------------------------------------------------
    def _response_url(self, url_id: str) -> None:
        st = self.server.state
        at = time.time()
        raw = self._body()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self._record("response_url", {"response_url_id": url_id}, None, at, 400,
                         {"ok": False, "error": "invalid_payload"})
            self._send(400, "invalid_payload")
            return
        args = {**body, "response_url_id": url_id}
        faulted = self._apply_fault("response_url")
        if faulted is not None:
            status, answer, headers = faulted
            self._record("response_url", args, None, at, status, answer)
            self._send(status, answer["error"], headers)
            return
        with st.lock:
            status, text = self._use_response_url(url_id, args)
            self._record("response_url", args, None, at, status,
                         {"ok": True} if status == 200 else {"ok": False, "error": text})
        self._send(status, text)

    def _use_response_url(self, url_id: str, args: dict[str, Any]) -> tuple[int, str]:
        """Validate, count and apply one response-URL post (lock held)."""
        st = self.server.state
        entry = st.response_urls.setdefault(url_id, {"uses": 0})
        if entry["uses"] >= RESPONSE_URL_MAX_USES:
            return 404, "used_url"
        if args.get("blocks") is not None and validate_blocks(args["blocks"]):
            return 400, "invalid_blocks"
        if not args.get("text") and not args.get("blocks") and not args.get("delete_original"):
            return 400, "no_text"
        entry["uses"] += 1
        st.response_url_posts.append(snapshot(args))
        channel, message_ts = entry.get("channel"), entry.get("message_ts")
        original = st.message(channel, message_ts) if channel and message_ts else None
        blocks = decode_json(args.get("blocks"))
        if original is not None and _truthy(args.get("delete_original")):
            st.messages[str(channel)].remove(original)
        elif original is not None and _truthy(args.get("replace_original")):
            original.update(text=str(args.get("text") or ""), blocks=blocks or None, edited=True)
        elif channel in st.channels and args.get("response_type") == "in_channel":
            st.store_message(channel, user=st.bot_user_id, text=str(args.get("text") or ""),
                             blocks=blocks or None, thread_ts=args.get("thread_ts"))
        return 200, "ok"

    # ---- /upload/<file_id> -------------------------------------------------------------------------------
    def _upload(self, file_id: str) -> None:
        st = self.server.state
        at = time.time()
        body = self._body()
        ctype = self.headers.get("Content-Type") or ""
        if ctype.lower().startswith("multipart/form-data"):
            body = _multipart_file(body, ctype)
        args = {"file_id": file_id, "length": len(body)}
        faulted = self._apply_fault("upload")
        if faulted is not None:
            status, answer, headers = faulted
            self._record("upload", args, None, at, status, answer)
            self._send(status, answer["error"], headers)
            return
        with st.lock:
            entry = st.files.get(file_id)
            if entry is not None:
                entry["bytes"] = body
            status, text = (200, f"OK - {len(body)}") if entry is not None else (404, "file_not_found")
            self._record("upload", args, None, at, status,
                         {"ok": True} if status == 200 else {"ok": False, "error": text})
        self._send(status, text)


def _truthy(value: Any) -> bool:
    """JSON/form boolean."""
    return value is True or (isinstance(value, str) and value.lower() == "true")
