"""A probe for the kill -9 fault test, loaded into each worker through PYTHONPATH: faust's commits
(the acked offsets they found, what they committed, how long they took), each agent's batch sent
(`BatchingAgent._flush`: its source partitions' offsets and articles) and enrichment's reads, as
JSON lines in `$FAULTS_PROBE_DIR/probe-<pid>.jsonl`. Only in processes with `COPYDESK_WEB_PORT`
set (the workers the tests start); nothing when `FAULTS_PROBE_DIR` is unset.

    FAULTS_PROBE_DIR=/tmp/p PYTHONPATH=bench/faults_probe COPYDESK_FAULT_ROUNDS=5 \\
        COPYDESK_FAULT_MESSAGES=1000 .venv/bin/python -m pytest -q -s tests/faults -k kill_9
    .venv/bin/python bench/faults_probe/lifetimes.py /tmp/p
"""

from __future__ import annotations

import json
import os
import time

_DIR = os.environ.get("FAULTS_PROBE_DIR")


def _name(tp) -> str:  # noqa: ANN001
    return f"{tp.topic.rsplit('.', 1)[-1]}:{tp.partition}"


def _install() -> None:
    out_file = open(os.path.join(_DIR, f"probe-{os.getpid()}.jsonl"), "a", buffering=1)  # noqa: SIM115

    def out(**fields) -> None:  # noqa: ANN003
        out_file.write(json.dumps({**fields, "t": time.time()}, default=str) + "\n")

    out(ev="start")
    from faust.transport.consumer import Consumer

    commit_offsets = Consumer._commit_offsets

    async def _commit_offsets(self, offsets, start_new_transaction=True):  # noqa: ANN001, ANN202
        started = time.monotonic()
        did = await commit_offsets(self, offsets, start_new_transaction)
        out(ev="commit", did=did, s=round(time.monotonic() - started, 3), offsets={_name(tp): o for tp, o in offsets.items()})
        return did

    Consumer._commit_offsets = _commit_offsets

    from streams.agents.batching import BatchingAgent

    flush = BatchingAgent._flush

    async def _flush(self, key):  # noqa: ANN001, ANN202
        batch = self.batches.get(key)
        started = time.monotonic()
        result = await flush(self, key)
        if batch is not None and batch.events:
            spans: dict[str, list[int]] = {}
            for event in batch.events:
                span = spans.setdefault(_name(event.message.tp), [event.message.offset, event.message.offset])
                span[0], span[1] = min(span[0], event.message.offset), max(span[1], event.message.offset)
            out(ev="flush", items=batch.items, events=len(batch.events), spans=spans, s=round(time.monotonic() - started, 3))
        return result

    BatchingAgent._flush = _flush

    from streams.enricher import Enricher

    enrich = Enricher._enrich

    def _enrich(self, values, heres):  # noqa: ANN001, ANN202
        out(ev="enrich_begin", articles=len(values))
        results = enrich(self, values, heres)
        out(ev="enrich_end", articles=len(values))
        return results

    Enricher._enrich = _enrich


if _DIR and os.environ.get("COPYDESK_WEB_PORT"):
    _install()
