"""Running the real RQ worker over the app's queues until they are empty."""
from __future__ import annotations

from rq import SimpleWorker


def run_worker(app) -> None:
    """A SimpleWorker in this process (burst): the jobs run against `app`."""
    from app.extensions import all_queues, redis_connection
    with app.app_context():
        worker = SimpleWorker(all_queues(), connection=redis_connection())
        worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
