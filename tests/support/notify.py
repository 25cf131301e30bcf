"""A stand-in for GOV.UK Notify's API on a local port, for the real client to talk to: it
checks each request's JSON Web Token (HS256 with the key's secret, `iss` the service id,
a fresh `iat`) and body, keeps what it accepted, and answers what a test scripts (429,
5xx, or 400 for chosen recipients). GET /v2/notifications?reference=... lists what it
accepted with that reference, as Notify does (the same token check)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

SERVICE_ID = str(uuid.UUID(int=1))
SECRET = str(uuid.UUID(int=2))
API_KEY = f"assessor_test-{SERVICE_ID}-{SECRET}"
TEMPLATES = {
    f"{channel}_{kind}": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{channel}_{kind}"))
    for channel in ("email", "sms")
    for kind in ("invitation", "reminder")
}
FIELDS = {
    "email": {"email_address", "template_id", "personalisation", "reference"},
    "sms": {"phone_number", "template_id", "personalisation", "reference"},
}


@dataclass
class NotifyState:
    accepted: list[dict[str, Any]] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    #: Statuses to answer, in turn, before accepting again (429, 500, 503...).
    script: list[int] = field(default_factory=list)
    #: Recipients answered 400 (a permanent failure).
    invalid: set[str] = field(default_factory=set)
    #: This many posts are kept but answered 500, as if Notify's answer had been lost.
    lose_answers: int = 0
    #: The references looked up, in turn.
    lookups: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _token(handler: BaseHTTPRequestHandler) -> str | None:
    """Why the request's token is not what Notify accepts, or None."""
    auth = handler.headers.get("Authorization", "")
    if not auth.startswith("Bearer "):
        return "no bearer token"
    try:
        claims = jwt.decode(auth[7:], SECRET, algorithms=["HS256"])
    except jwt.PyJWTError as exc:
        return f"token: {exc}"
    if claims.get("iss") != SERVICE_ID or abs(time.time() - claims.get("iat", 0)) > 30:
        return "token: iss or iat"
    return None


def _check(handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> str | None:
    """Why the request is not what Notify accepts, or None."""
    if problem := _token(handler):
        return problem
    channel = handler.path.rsplit("/", 1)[-1]
    if channel not in FIELDS or handler.path != f"/v2/notifications/{channel}":
        return f"path {handler.path}"
    extra = set(body) - FIELDS[channel] - {"one_click_unsubscribe_url"}
    if extra or not {"template_id", "reference"} <= set(body):
        return f"fields {sorted(body)}"
    if body["template_id"] not in TEMPLATES.values():
        return "unknown template"
    return None


def _handler(state: NotifyState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            problem = _check(self, body)
            to = body.get("email_address") or body.get("phone_number") or ""
            with state.lock:
                status = 403 if problem else (state.script.pop(0) if state.script else 201)
                if status == 201 and to in state.invalid:
                    status, problem = 400, f"{to} is not a valid recipient"
                if status == 201:
                    state.accepted.append({"channel": self.path.rsplit("/", 1)[-1], **body})
                    if state.lose_answers:
                        state.lose_answers -= 1
                        status, problem = 500, "kept, but the answer was lost"
                else:
                    state.refused.append((status, to))
            if status == 201:
                self._answer(201, {"id": str(uuid.uuid4()), "reference": body["reference"]})
            else:
                errors = [{"error": "Error", "message": problem or f"status {status}"}]
                self._answer(status, {"status_code": status, "errors": errors})

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            problem = _token(self)
            if not problem and (url.path != "/v2/notifications" or set(query) != {"reference"}):
                problem = f"path {self.path}"
            if problem:
                errors = [{"error": "Error", "message": problem}]
                self._answer(403, {"status_code": 403, "errors": errors})
                return
            reference = query["reference"][0]
            with state.lock:
                state.lookups.append(reference)
                held = [a for a in state.accepted if a["reference"] == reference]
            found = [
                {"id": str(uuid.uuid4()), "reference": reference, "type": a["channel"]}
                | {"status": "created", "template": {"id": a["template_id"]}}
                for a in held
            ]
            current = f"http://{self.headers['Host']}{self.path}"
            self._answer(200, {"notifications": found, "links": {"current": current}})

    return Handler


@pytest.fixture()
def notify_server(app, monkeypatch) -> Iterator[NotifyState]:  # type: ignore[no-untyped-def]
    """A running stand-in, with the app set to send through it."""
    state = NotifyState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "NOTIFY_API_KEY", API_KEY)
    monkeypatch.setitem(app.config, "NOTIFY_URL", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setitem(app.config, "NOTIFY_TEMPLATES", TEMPLATES)
    monkeypatch.setitem(app.config, "NOTIFY_BACKOFF_SECONDS", 0.01)
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
