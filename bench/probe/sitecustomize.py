"""Counters for `bench/hops.py`, loaded into a worker through PYTHONPATH: the Kafka requests the
process sends, by kind, the main event loop's passes and callbacks, and the garbage collector's
full passes (wall and CPU time of each); with BENCH_PROBE_CALLBACKS set, the loop's callbacks
by kind.
Written to `$BENCH_PROBE_DIR/probe-<pid>.json` every second; nothing when that is unset."""

from __future__ import annotations

import gc
import json
import os
import threading
import time
from collections import Counter

_DIR = os.environ.get("BENCH_PROBE_DIR")

if _DIR:
    _requests: Counter = Counter()
    _full: list[tuple[float, float, float]] = []  # (time, wall ms, CPU ms) of each full pass
    _started = [0.0, 0.0]

    def _on_gc(phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            _started[0], _started[1] = time.perf_counter(), time.thread_time()
        else:
            _full.append((time.time(), (time.perf_counter() - _started[0]) * 1000, (time.thread_time() - _started[1]) * 1000))

    gc.callbacks.append(_on_gc)

    try:
        from aiokafka.conn import AIOKafkaConnection

        _send = AIOKafkaConnection.send

        def _counted(self, request, expect_response=True):  # noqa: ANN001, ANN202
            _requests[type(request).__name__.split("_")[0]] += 1
            return _send(self, request, expect_response)

        AIOKafkaConnection.send = _counted
    except ImportError:
        pass

    # The main thread's event loop: its passes and the callbacks it ran, counted with the
    # requests (as "(loop passes)" and "(loop callbacks)"); with BENCH_PROBE_CALLBACKS set, the
    # callbacks by kind too.
    import asyncio
    import asyncio.base_events

    _run_once = asyncio.base_events.BaseEventLoop._run_once

    def _counted_pass(self):  # noqa: ANN001, ANN202
        if threading.current_thread() is threading.main_thread():
            _requests["(loop passes)"] += 1
            _requests["(loop callbacks)"] += len(self._ready)
        return _run_once(self)

    def _census_pass(self):  # noqa: ANN001, ANN202
        """`_counted_pass`, and each ready callback counted by what it is ("cb <name>"), a task's
        step by its coroutine ("cb task:<name>"): what wakes the loop, at some cost per pass."""
        if threading.current_thread() is threading.main_thread():
            for handle in self._ready:
                callback = handle._callback
                owner = getattr(callback, "__self__", None)
                if isinstance(owner, asyncio.Task):
                    name = "task:" + getattr(owner.get_coro(), "__qualname__", "?")
                else:
                    name = getattr(callback, "__qualname__", None) or type(callback).__name__
                _requests["cb " + name] += 1
        return _counted_pass(self)

    asyncio.base_events.BaseEventLoop._run_once = (
        _census_pass if os.environ.get("BENCH_PROBE_CALLBACKS") else _counted_pass
    )

    def _dump() -> None:
        path = os.path.join(_DIR, f"probe-{os.getpid()}.json")
        while True:
            time.sleep(1)
            with open(path + ".tmp", "w") as f:
                json.dump({"time": time.time(), "requests": dict(_requests), "full_collections": _full}, f)
            os.replace(path + ".tmp", path)

    threading.Thread(target=_dump, daemon=True, name="probe").start()
