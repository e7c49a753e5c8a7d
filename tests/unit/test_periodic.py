"""The tick's schedule: interval tasks and nightly (KST) tasks."""
import datetime as dt

from app.services.periodic import Task

RUN = lambda now: None  # noqa: E731


def test_interval_task_due_after_its_interval():
    task = Task("t", RUN, every=dt.timedelta(minutes=5))
    t0 = dt.datetime(2026, 11, 27, 0, 0)
    assert task.is_due(None, t0)
    assert not task.is_due(t0, t0 + dt.timedelta(minutes=4))
    assert task.is_due(t0, t0 + dt.timedelta(minutes=5))


def test_nightly_task_runs_once_per_kst_day_after_its_hour():
    task = Task("n", RUN, daily_at_kst=4)
    # 2026-11-27 03:59 KST = 2026-11-26 18:59 UTC: not yet
    assert not task.is_due(None, dt.datetime(2026, 11, 26, 18, 59))
    ran = dt.datetime(2026, 11, 26, 19, 0)  # 04:00 KST
    assert task.is_due(None, ran)
    assert not task.is_due(ran, dt.datetime(2026, 11, 27, 14, 59))  # 23:59 KST same day
    assert task.is_due(ran, dt.datetime(2026, 11, 27, 19, 0))  # next day 04:00 KST
