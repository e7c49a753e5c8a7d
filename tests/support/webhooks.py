"""A webhook receiver for the tests, as a customer's system would run one: a real HTTP
server on loopback that verifies each request with the `standardwebhooks` package and
records it; it answers what a test tells it (a status, headers, a body), and can stop
listening — connections refused — and listen again on the same port."""
from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app import clock
from app.services.webhooks import endpoints


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    path: str

    @property
    def event(self) -> dict:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def verifies_with(self, secret: str) -> bool:
        try:
            Webhook(secret).verify(self.body, self.headers)
            return True
        except WebhookVerificationError:
            return False


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"ok":true}'


class Receiver:
    """`answers`: what the next requests get, in order (then `default`)."""

    def __init__(self):
        self.received: list[Received] = []
        self.answers: list[Answer] = []
        self.default = Answer()
        self.port: int | None = None
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/megabird"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body,
                                                      self.path))
                    answer = receiver.answers.pop(0) if receiver.answers else receiver.default
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port or 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening: connections to the port are refused until `start()`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def refuses(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) != 0

    def events(self, event_type: str | None = None) -> list[Received]:
        return [r for r in self.received if event_type is None or r.event["type"] == event_type]


def add_endpoint(app, account_id: int, url: str, events=("send.completed", "message.reported", "template.reviewed"),
                 now=None):
    """An endpoint through the service, as the portal adds one: (endpoint id, secret)."""
    with app.app_context():
        endpoint, secret = endpoints.create(account_id=account_id, url=url, events=list(events), actor=None,
                                            now=now or clock.now())
        return endpoint.id, secret
