"""Steps that a higher capability adds to a lower one's transaction.

The lower capability names the moment (`outcomes.AFTER_FINALIZE`: messages reached their
final state; `lifecycle.AFTER_COMPLETE`: a send was settled) and runs whatever is
registered there, inside its own transaction, without importing the higher one: a
Kakao message that failed gets its fallback SMS, a webhook outbox row is written, in the
same commit as the outcome it follows. The higher capability registers at start-up (by
name, so registering twice changes nothing)."""
from __future__ import annotations

from typing import Callable


class Steps:
    def __init__(self, moment: str):
        self.moment = moment
        self._steps: dict[str, Callable[..., object]] = {}

    def add(self, name: str, step: Callable[..., object]) -> None:
        self._steps[name] = step

    def remove(self, name: str) -> None:
        self._steps.pop(name, None)

    def __call__(self, *args, **kwargs) -> None:
        for step in list(self._steps.values()):
            step(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Steps({self.moment!r}: {', '.join(self._steps) or 'none'})"


class Checks(Steps):
    """Questions a higher capability answers for a lower one: the first answer that is
    not None wins (registered by name at start-up, like Steps)."""

    def first(self, *args, **kwargs):
        for check in list(self._steps.values()):
            answer = check(*args, **kwargs)
            if answer is not None:
                return answer
        return None
