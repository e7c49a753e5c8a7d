"""The local SMSC (app/gateways/smpp/smsc.py, 10-gateway.md GW-03) in its own process on a
free loopback port, for tests that kill and restart it (REL-07), and what its log says:
the submits it took, those submitted twice, the texts it received.

    smsc = SmscProcess(receipt_delay=0.5, id_format="decimal").start()
    ...  # bind to 127.0.0.1:smsc.port
    smsc.kill(); smsc.restart()
    assert not smsc.duplicates()
    smsc.cleanup()

Options are the command line's, in Python spelling: receipt_delay, id_format,
text_only_receipts, throttle_every, system_id. They are kept in `options` and may be
changed before a restart.
"""
from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
# Started by its path rather than `-m app.gateways.smpp.smsc`: `-m` imports the `app` and
# `app.gateways` packages first, whose __init__ modules pull in Flask and the models (two
# seconds a start); the module itself needs only smpp34 and the standard library.
SCRIPT = ROOT / "app" / "gateways" / "smpp" / "smsc.py"
#: data_coding -> Python codec (0x0E KS C 5601 is euc_kr, 0x08 UCS2 is utf-16-be)
CODECS = {0x00: "ascii", 0x01: "ascii", 0x03: "latin-1", 0x08: "utf-16-be", 0x0E: "euc_kr"}


class SmscProcess:
    def __init__(self, port: int | None = None, log_path: str | Path | None = None, **options):
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.dir = Path(tempfile.mkdtemp(prefix="mb-smsc-"))
        self.log_path = Path(log_path) if log_path else self.dir / "smsc.log"
        self.options = options
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def command(self) -> list[str]:
        cmd = [sys.executable, str(SCRIPT), "--host", self.host, "--port", str(self.port),
               "--log", str(self.log_path)]
        for name, value in self.options.items():
            flag = "--" + name.replace("_", "-")
            if value is True:
                cmd.append(flag)
            elif value not in (False, None):
                cmd += [flag, str(value)]
        return cmd

    def start(self, timeout: float = 10.0) -> "SmscProcess":
        self.starts += 1
        stderr = open(self.dir / f"stderr-{self.starts}.txt", "wb")
        self.process = subprocess.Popen(self.command(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr)
        stderr.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"local SMSC exited with {self.process.returncode}: {self.stderr()}")
            with socket.socket() as s:
                if s.connect_ex((self.host, self.port)) == 0:
                    return self
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"local SMSC on port {self.port} did not start: {self.stderr()}")

    def stderr(self) -> str:
        path = self.dir / f"stderr-{self.starts}.txt"
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: nothing flushed at exit, no unbind sent; the log keeps what was written."""
        if self.alive:
            self.process.send_signal(signal.SIGKILL)
        if self.process:
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.alive:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def restart(self) -> "SmscProcess":
        """Same port, same log (stopped first if it still runs)."""
        self.stop()
        return self.start()

    def cleanup(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- the log ---
    def entries(self, event: str | None = None) -> list[dict]:
        if not self.log_path.exists():
            return []
        found = []
        for line in self.log_path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue            # a line cut short by a kill
            if event is None or entry.get("event") == event:
                found.append(entry)
        return found

    def wait_for(self, event: str, count: int, timeout: float = 5.0) -> list[dict]:
        """The log's `event` entries once there are at least `count` (a receipt is logged
        when its deliver_sm_resp is back, which can be just after the client saw it)."""
        deadline = time.monotonic() + timeout
        while len(found := self.entries(event)) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"local SMSC log: {len(found)} {event} entries, not {count}, after {timeout}s")
            time.sleep(0.01)
        return found

    def submits(self) -> list[dict]:
        return self.entries("submit")

    def receipts(self) -> list[dict]:
        return self.entries("receipt")

    def duplicates(self) -> list[dict]:
        """The submits that repeat an earlier one's (dest, UDH sequence number, payload): a
        message (or a part of one) submitted twice, what REL-07 counts. The UDH reference is
        left out on purpose: a resend may be split again under a new reference."""
        seen: set[tuple] = set()
        repeated = []
        for entry in self.submits():
            key = (entry["dest"], entry["udh"][2] if entry.get("udh") else None, entry["payload"])
            if key in seen:
                repeated.append(entry)
            seen.add(key)
        return repeated

    def texts(self) -> dict[str, list[str]]:
        """dest -> the messages it received, in order, concatenated parts joined (each part
        once, by sequence number) and decoded by data_coding."""
        messages: dict[str, list] = defaultdict(list)
        parts: dict[tuple, dict[int, bytes]] = {}
        for entry in self.submits():
            payload = bytes.fromhex(entry["payload"])
            codec = CODECS.get(entry.get("dcs", 0), "latin-1")
            udh = entry.get("udh")
            if not udh:
                messages[entry["dest"]].append((codec, {1: payload}))
                continue
            key = (entry["dest"], udh[0], udh[1])
            if key not in parts:
                parts[key] = {}
                messages[entry["dest"]].append((codec, parts[key]))
            parts[key].setdefault(udh[2], payload)
        return {dest: [b"".join(p for _, p in sorted(segments.items())).decode(codec, errors="replace")
                       for codec, segments in found]
                for dest, found in messages.items()}
