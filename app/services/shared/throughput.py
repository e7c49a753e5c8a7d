"""A throughput limit shared by processes (GW-03: an SMSC's PDUs per second are the
account's, not each connector's): one Redis counter per second, taken in small blocks so
that a connector asks Redis about once per block, not per PDU. When Redis cannot be reached
the limit is kept in this process alone, and said so in the log."""
from __future__ import annotations

import asyncio
import logging
import time

from redis import asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class SharedRate:
    def __init__(self, url: str | None, key: str, per_second: int, *, block: int = 10, clock=time.time):
        self.per_second = max(per_second, 0)
        self.key = key
        self.block = max(1, min(block, self.per_second or 1))
        self.clock = clock
        self.redis = aioredis.from_url(url) if url and self.per_second else None
        self.second = -1
        self.granted = 0                   # units this process holds for `second`
        self.local = 0                     # units taken in `second` without Redis
        self.warned = False
        # the coroutines of this process waiting at once share one grant: one INCRBY in
        # flight, its block served to them in turn (each asking Redis for a block of its
        # own spent the second's counter in a few blocks that served one unit each)
        self.lock = asyncio.Lock()

    def _this_second(self) -> int:
        second = int(self.clock())
        if second != self.second:
            self.second, self.granted, self.local = second, 0, 0
        return second

    async def acquire(self, units: int = 1) -> None:
        """Wait until `units` more may go this second."""
        if not self.per_second:
            return
        while True:
            self._this_second()
            if self.granted >= units:
                self.granted -= units
                return
            async with self.lock:
                second = self._this_second()
                if self.granted >= units or await self._grant(second):
                    continue
            await asyncio.sleep(max(second + 1 - self.clock(), 0.001))

    async def _grant(self, second: int) -> bool:
        """Take a block of this second's units from the shared counter; False when it is spent."""
        if self.redis is not None:
            try:
                key = f"{self.key}:{second}"
                taken = await self.redis.incrby(key, self.block)
                if taken == self.block:
                    await self.redis.expire(key, 5)
                room = self.per_second - (taken - self.block)
                if room <= 0:
                    return False
                self.granted += min(self.block, room)
                self.warned = False
                return True
            except (RedisError, OSError) as exc:
                if not self.warned:
                    log.warning("throughput %s: Redis unavailable (%s); limiting this process alone", self.key, exc)
                    self.warned = True
        if self.local >= self.per_second:
            return False
        take = min(self.block, self.per_second - self.local)
        self.local += take
        self.granted += take
        return True

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
