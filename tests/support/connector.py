"""The SMPP connector (app/services/sending/smpp_connector.py) for tests: in a thread of
the test process with its own event loop, against the test's app and a local SMSC
(tests/support/smsc.py) — or as its own process (`flask megabird smpp-connector`) where a
test kills it."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import func, select

from app import clock
from app.extensions import db
from app.gateways.smpp.session import Settings
from app.models import Message
from app.services.sending.smpp_connector import Connector
from tests.support.pipeline import tick

ROOT = Path(__file__).resolve().parents[2]


def smpp_settings(smsc, **changes) -> dict:
    """The app settings of an SMS gateway over SMPP to this local SMSC."""
    return {"GATEWAY_SMS": "smpp", "SMPP_HOST": "127.0.0.1", "SMPP_PORT": smsc.port, "SMPP_SYSTEM_ID": "megabird",
            "SMPP_PASSWORD": "secret", "SMPP_WINDOW": 50, "SMPP_BINDS": 1, "SMPP_THROUGHPUT": 0,
            "SMPP_BATCH_SIZE": 200, **changes}


def wait_until(predicate, timeout: float = 20.0, what: str = "the condition"):
    """Wait for another process or thread to get somewhere (never for simulated time)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def states(app, send_id) -> dict[str, int]:
    """{state: messages} of a send."""
    with app.app_context():
        rows = db.session.execute(select(Message.state, func.count()).where(Message.send_id == send_id)
                                  .group_by(Message.state)).all()
        db.session.commit()
    return {state: n for state, n in rows}


def numbers_in(app, send_id, *wanted: str) -> set[str]:
    """The numbers of a send's messages in these states."""
    with app.app_context():
        found = set(db.session.scalars(select(Message.recipient).where(Message.send_id == send_id,
                                                                       Message.state.in_(wanted))))
        db.session.commit()
    return found


def open_count(app, send_id) -> int:
    found = states(app, send_id)
    return sum(found.get(s, 0) for s in ("pending", "submitting", "submitted", "unknown"))


def until_reported(app, send_id, *, leave: int = 0, timeout: float = 30.0):
    """Ticks (and the real worker) at the real time until at most `leave` messages are open."""
    def done():
        tick(app, clock.now())
        return open_count(app, send_id) <= leave
    wait_until(done, timeout, "the receipts to be applied")


class ConnectorThread:
    def __init__(self, app):
        self.app = app
        self.thread: threading.Thread | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop_event: asyncio.Event | None = None
        self.connector: Connector | None = None
        self.stats = None
        self.error: BaseException | None = None
        self._ready = threading.Event()

    def start(self) -> "ConnectorThread":
        def run():
            try:
                asyncio.run(self._main())
            except BaseException as exc:  # noqa: BLE001 - reported by stop()
                self.error = exc
                self._ready.set()
        self.thread = threading.Thread(target=run, name="smpp-connector", daemon=True)
        self.thread.start()
        self._ready.wait(10)
        return self

    async def _main(self):
        self.loop = asyncio.get_running_loop()
        self.stop_event = asyncio.Event()
        self.connector = Connector(self.app, Settings.from_config(self.app.config),
                                   redis_url=self.app.config.get("REDIS_URL"), stop=self.stop_event)
        self._ready.set()
        self.stats = await self.connector.run()

    def bound(self) -> bool:
        return bool(self.connector and self.connector.bound)

    def stop(self) -> dict:
        if self.loop is not None and self.stop_event is not None and self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(60)
        if self.error:
            raise self.error
        assert not self.thread.is_alive(), "the connector did not stop"
        return dict(self.stats or {})


class ConnectorProcess:
    """`flask megabird smpp-connector` in its own process, on the test app's settings."""

    def __init__(self, env: dict[str, str]):
        self.env = {**os.environ, **env, "FLASK_APP": "run.py"}
        self.process: subprocess.Popen | None = None

    def start(self) -> "ConnectorProcess":
        self.process = subprocess.Popen([sys.executable, "-m", "flask", "megabird", "smpp-connector"],
                                        cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return self

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
