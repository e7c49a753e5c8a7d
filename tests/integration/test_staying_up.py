"""Staying up (issue 13, REL-03): a Redis outage used to stop the scheduler within a second,
and honcho then stopped the web and the worker. Now the scheduler and the worker wait and
reconnect, every process of scripts/start is restarted when it dies, and /healthz tells the
proxy and the monitors what is down."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from rq import Worker

from app import clock
from tests.support.servers import RedisServer, free_port

ROOT = Path(__file__).resolve().parents[2]
FLASK = ROOT / ".venv" / "bin" / "flask"


def _until(condition, what: str, timeout: float = 45.0):
    """Wait for another process to do something (not for time to pass)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.1)


def _start(command: str, redis_url: str, database_url: str, tmp_path) -> subprocess.Popen:
    env = {**os.environ, "REDIS_URL": redis_url, "DATABASE_URL": database_url, "MEGABIRD_INSTANCE": str(tmp_path),
           "TICK_INTERVAL_SECONDS": "1"}
    return subprocess.Popen([str(FLASK), "--app", "run.py", "megabird", command], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(tmp_path / f"{command}.err", "w"))


@pytest.mark.parametrize("command", ["scheduler", "worker"])
def test_the_scheduler_and_the_worker_wait_for_redis_instead_of_exiting(database_url, tmp_path, command):
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    process = _start(command, url, database_url, tmp_path)
    redis = None
    try:
        log = tmp_path / f"{command}.err"
        _until(lambda: "Redis unavailable" in log.read_text(), f"{command} to notice Redis is down")
        assert process.poll() is None, f"{command} exited: {log.read_text()[-2000:]}"
        redis = RedisServer(port=port).start()
        conn = Redis.from_url(url)
        if command == "worker":
            _until(lambda: Worker.count(connection=conn) == 1, "the worker to register once Redis is back")
        else:
            _until(lambda: any(key.startswith(b"rq:") for key in conn.keys()), "the scheduler to enqueue the tick")
        assert process.poll() is None
    finally:
        process.terminate()
        process.wait(20)
        if redis:
            redis.stop()


def test_every_process_of_scripts_start_is_restarted_when_it_dies(tmp_path):
    """scripts/keep-running: a process that exits is started again (honcho alone stops
    everything when one process ends)."""
    marker = tmp_path / "runs"
    script = f"echo run >> {marker}; exit 3"
    runner = subprocess.Popen([str(ROOT / "scripts" / "keep-running"), "demo", "bash", "-c", script],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ,
                                                                                      "KEEP_RUNNING_FIRST_WAIT": "0.1"})
    try:
        _until(lambda: marker.exists() and len(marker.read_text().split()) >= 3, "three runs")
        assert runner.poll() is None
    finally:
        runner.terminate()
        assert runner.wait(20) == 143        # its trap stops the command and exits as a SIGTERM would
    procfile = (ROOT / "Procfile").read_text().splitlines()
    assert procfile and all("scripts/keep-running" in line for line in procfile if line.strip())


def test_healthz_tells_what_is_down(app, database_url):
    from tests.conftest import make_app
    from tests.support.pipeline import tick_only
    client = app.test_client()
    body = client.get("/healthz").get_json()
    assert (body["database"], body["redis"], body["queued"], body["status"]) == ("ok", "ok", 0, "degraded")  # no tick yet
    tick_only(app, clock.now())
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.get_json()["status"] == "ok"
    assert answer.get_json()["tick_age_seconds"] <= 1
    without_redis = make_app(database_url).test_client().get("/healthz")       # a closed Redis port
    assert without_redis.status_code == 200
    assert (without_redis.get_json()["redis"], without_redis.get_json()["status"]) == ("down", "degraded")
    broken = make_app("sqlite:////nonexistent/dir/x.db").test_client().get("/healthz")
    assert broken.status_code == 503 and broken.get_json()["database"] == "down"
