"""Counters for `bench/inline_cost.py`, loaded into a worker through PYTHONPATH: bench/probe's
(Kafka requests by kind, full collections), and per agent (named by its last stage): messages
taken, items in them, the CPU time of `_take` (the steps, inline ones included), and each batch
sent: its items, messages, envelopes by role and items in them, and why it went (its partitions
quiet, `max_items`, `max_s`, or another agent's turn: a flush of all or the timer). Written to
`$BENCH_PROBE_DIR/inline-<pid>.json` every second; nothing when that is unset."""

from __future__ import annotations

import json
import os
import runpy
import sys
import threading
import time
from collections import Counter, defaultdict

_DIR = os.environ.get("BENCH_PROBE_DIR")

if _DIR:
    runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "probe", "sitecustomize.py"))
    _c: defaultdict = defaultdict(Counter)  # agent -> counter name -> value

    def _name(agent) -> str:  # noqa: ANN001
        return str(agent.steps[-1][0]) if agent.steps else "?"

    def _patch(mod) -> None:  # noqa: ANN001
        cls = mod.BatchingAgent
        take, flush = cls._take, cls._flush

        def _take(self, key, event):  # noqa: ANN001, ANN202
            t = time.thread_time()
            batch = take(self, key, event)
            c = _c[_name(self)]
            c["take_cpu_s"] += time.thread_time() - t
            c["messages"] += 1
            return batch

        async def _flush(self, key):  # noqa: ANN001, ANN202
            batch = self.batches.get(key)
            if batch is not None:
                c = _c[_name(self)]
                c["batches"] += 1
                c["batch_items"] += batch.items
                c["batch_messages"] += len(batch.events)
                if not any(batch.more.values()):
                    c["why_quiet"] += 1
                elif batch.items >= self.max_items:
                    c["why_full"] += 1
                elif time.monotonic() - batch.started >= self.max_s:
                    c["why_old"] += 1
                else:
                    c["why_other"] += 1
                for (role, _), items in batch.envelopes.items():
                    c[f"envelopes_{role}"] += 1
                    c[f"envelope_items_{role}"] += len(items)
                c["singles"] += len(batch.singles)
                c["write_keys"] += sum(len(h) for t in batch.writes.values() for h in t.values())
                c["band_write_tables"] += sum(len(t) for t in batch.band_writes.values())
            return await flush(self, key)

        cls._take, cls._flush = _take, _flush
        router = sys.modules["streams.agents.chain"].Router
        step, run_step = router._step, router.run_step

        def _timed(group, stage, call, *args):  # noqa: ANN001, ANN002, ANN202
            t = time.thread_time()
            result = call(*args)
            c = _c[group]
            c[f"{stage}_cpu_s"] += time.thread_time() - t
            c[f"{stage}_items"] += 1
            return result

        def _step_timed(self, stage, here, value, fn, now):  # noqa: ANN001, ANN202
            return _timed("steps", stage, step, self, stage, here, value, fn, now)

        def _run_step(self, stage, fn, here, value, now):  # noqa: ANN001, ANN202
            return _timed("inline", stage, run_step, self, stage, fn, here, value, now)

        router._step, router.run_step = _step_timed, _run_step

    def _run() -> None:
        while "streams.agents.chain" not in sys.modules or not hasattr(sys.modules["streams.agents.chain"], "register"):
            time.sleep(0.005)
        _patch(sys.modules["streams.agents.batching"])
        path = os.path.join(_DIR, f"inline-{os.getpid()}.json")
        while True:
            time.sleep(1)
            with open(path + ".tmp", "w") as f:
                json.dump({"time": time.time(), "agents": {k: dict(v) for k, v in list(_c.items())}}, f)
            os.replace(path + ".tmp", path)

    threading.Thread(target=_run, daemon=True, name="probe-inline").start()
