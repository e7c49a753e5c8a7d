"""The per-gateway throughput limit of dispatch (design/send-pipeline.md): a job paces
its batches so that it never hands more than the limit per second to the gateway.
The clock and the sleep are injected: nothing here waits."""
import pytest

from app.services.sending.dispatch import RateLimiter


class FakeTime:
    def __init__(self):
        self.now = 100.0
        self.slept = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_no_limit_never_sleeps():
    t = FakeTime()
    limiter = RateLimiter(0, sleep=t.sleep, monotonic=t.monotonic)
    assert limiter.account(1_000_000) == 0.0 and t.slept == []


def test_batches_faster_than_the_limit_are_paced():
    t = FakeTime()
    limiter = RateLimiter(1000, sleep=t.sleep, monotonic=t.monotonic)  # 1,000 messages/s
    t.now += 0.2                      # the first batch of 1,000 took 0.2 s
    assert limiter.account(1000) == pytest.approx(0.8)
    t.now += 0.5                      # the second took 0.5 s: 2,000 sent in 1.5 s, due 2.0 s
    assert limiter.account(1000) == pytest.approx(0.5)
    assert t.slept == [0.8, 0.5]


def test_slow_batches_are_not_delayed_further():
    t = FakeTime()
    limiter = RateLimiter(1000, sleep=t.sleep, monotonic=t.monotonic)
    t.now += 3.0                      # 500 messages in 3 s: far under the limit
    assert limiter.account(500) == 0.0 and t.slept == []
