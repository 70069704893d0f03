"""Running one step safely: what the agents and the offline mode share around `processors.pipeline`.

Stage errors are already dead letters when a step returns. Anything else escaping a step is a
bug in copydesk: it is logged with its traceback and the message's coordinates, counted as an
`internal_error`, and dead-lettered with the input's original bytes, because an exception that
escapes a faust agent gets its message acked and lost.

**Time budget.** A step that runs longer than `COPYDESK_STAGE_TIME_BUDGET_SECONDS` is stopped
and its input becomes a dead letter of kind `time_budget_exceeded`, so that one pathological
page cannot hold a partition for minutes. The stages are synchronous CPU code, so no asyncio
timeout can stop them; an interval timer can: `signal.setitimer(ITIMER_REAL)` delivers SIGALRM
and its Python handler raises `TimeBudgetExceeded` in the running step. Written here by hand
because no kept library does this for synchronous code in the main thread (the
`timeout-decorator`-style packages are this same signal trick, unmaintained, or run the call in
a thread or process, which the agents' loop must not wait on). Its limits:

- Python runs signal handlers between bytecodes, in the main thread only. A long call into C
  (one lxml/libxml2 parse of a huge document) is interrupted only when it returns to Python, so
  a step can overrun its budget by the length of its longest C call.
- Off the main thread (no faust agent or offline run is there today) signals cannot be used:
  the step runs without a budget.
- SIGALRM belongs to copydesk in a worker: faust's own blocking detector (`debug` mode with a
  `blocking_timeout`, off in copydesk) uses the same timer and must stay off.
- `TimeBudgetExceeded` derives from `BaseException`, so a library's `except Exception` inside the
  step does not swallow it. The handler is armed only while the step runs: it is disarmed and
  the timer cleared before control goes back to faust, also when the step raised, so a late
  alarm never lands in faust's own code. The handler is installed once and stays (a step only
  arms and disarms it and sets the timer); a step puts it back if something else took SIGALRM.
"""

from __future__ import annotations

import _signal
import logging
import signal
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Mapping, MutableMapping

from processors.errors import StageError
from processors.intake import format_utc
from processors.pipeline import Clock, Stage, StepResult, dead_letter
from processors.records import url_hint
from schemas.internal import Cleaned, peek_origin
from schemas.models import SourceRef

log = logging.getLogger("copydesk.steps")

#: The dead letter's kind for a step stopped by its time budget.
TIME_BUDGET_EXCEEDED = "time_budget_exceeded"


class TimeBudgetExceeded(BaseException):
    """Raised inside a step by SIGALRM when its time budget is spent (see the module docstring)."""


def clock() -> Clock:
    return Clock(now=format_utc(datetime.now(timezone.utc)))


def run_guarded(
    stage: Stage,
    call: Callable[[], StepResult],
    value: bytes | Cleaned | None,
    here: SourceRef,
    now: Clock,
    budget_s: float = 0.0,
) -> StepResult:
    """`call()` within `budget_s` seconds (0: no limit), or the dead letter of an overrun or of
    an unexpected error. `here` is the consumed message."""
    coordinates = {"stage": stage, "topic": here.topic, "partition": here.partition, "offset": here.offset}
    try:
        with time_budget(budget_s):
            return call()
    except TimeBudgetExceeded:
        source, payload = _origin(stage, value, here)
        error = StageError(TIME_BUDGET_EXCEEDED, f"stage {stage} ran longer than its budget of {budget_s:g} s")
        log.warning("stage %s over its time budget of %g s", stage, budget_s, extra=coordinates)
        return dead_letter(error, stage, source, payload, now, url=url_hint(payload))
    except Exception as exc:  # noqa: BLE001 - the last line of defence; see the module docstring
        log.exception("internal error in stage %s", stage, extra=coordinates)
        source, payload = _origin(stage, value, here)
        return dead_letter(exc, stage, source, payload, now, url=None)


def apply_writes(table: MutableMapping[str, Any], writes: Mapping[str, Any]) -> None:
    """A step's table writes applied to its table (a faust table, or a dict offline): a value
    of None deletes the key."""
    for key, value in writes.items():
        if value is not None:
            table[key] = value
        elif key in table:
            del table[key]


def _origin(stage: Stage, value: bytes | Cleaned | None, here: SourceRef) -> tuple[SourceRef, bytes | None]:
    """The raw input a message accounts for: itself at intake, else the one inside it (a
    message of an internal topic, or cleaning's result handed on in-process)."""
    if isinstance(value, Cleaned):
        return value.source, value.payload
    origin = None if stage == "cleaning" or value is None else peek_origin(value)
    return origin or (here, value)


class _Alarm:
    """SIGALRM's handler: raises `TimeBudgetExceeded` while a step is armed; an alarm that
    arrives after its step returned has nothing to stop any more."""

    __slots__ = ("armed",)

    def __init__(self) -> None:
        self.armed = False

    def __call__(self, signum: int, frame: Any) -> None:
        if self.armed:
            raise TimeBudgetExceeded()


_ALARM = _Alarm()


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise `TimeBudgetExceeded` in the block if it runs longer than `seconds` (0: no limit)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return
    # `_signal.getsignal`: `signal.getsignal` is the same call behind an enum conversion that
    # costs more than the whole guard.
    if _signal.getsignal(signal.SIGALRM) is not _ALARM:
        signal.signal(signal.SIGALRM, _ALARM)
    _ALARM.armed = True
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        yield
    finally:
        # Disarmed first: an alarm already pending when the block ends then stops nothing.
        # Nested, so that the timer is cleared even if the alarm raised between the two.
        try:
            _ALARM.armed = False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
