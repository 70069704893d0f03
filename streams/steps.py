"""Running one step safely: what the agents and the offline mode share around `processors.pipeline`.

Stage errors are already dead letters when a step returns. Anything else escaping a step is a
bug in copydesk: it is logged with its traceback and the message's coordinates, counted as an
`internal_error`, and dead-lettered with the input's original bytes, because an exception that
escapes a faust agent gets its message acked and lost.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable

from processors.intake import format_utc
from processors.pipeline import Clock, Stage, StepResult, dead_letter
from schemas.internal import peek_origin
from schemas.models import SourceRef

log = logging.getLogger("copydesk.steps")


def clock() -> Clock:
    return Clock(now=format_utc(datetime.now(timezone.utc)))


def run_guarded(
    stage: Stage,
    call: Callable[[], StepResult],
    value: bytes | None,
    here: SourceRef,
    now: Clock,
) -> StepResult:
    """`call()`, or the dead letter of an unexpected error. `here` is the consumed message."""
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - the last line of defence; see the module docstring
        log.exception(
            "internal error in stage %s",
            stage,
            extra={"stage": stage, "topic": here.topic, "partition": here.partition, "offset": here.offset},
        )
        origin = None if stage == "cleaning" or value is None else peek_origin(value)
        source, payload = origin or (here, value)
        return dead_letter(exc, stage, source, payload, now, url=None)
