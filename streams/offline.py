"""The offline mode: the chain in-process over a JSONL file, with no Kafka.

It runs the very steps the agents run (`processors.pipeline`, guarded by `streams.steps`), in
the same order, with dicts for the dedup tables, and writes each output topic's records to
`<out-dir>/<topic name>.jsonl`. Each non-blank input line is one raw message; it is accounted to
the raw topic's name, partition 0 and its place among the non-blank lines (counting from 0) as
the offset, so the records equal the workers' when the raw topic has one partition (only times
differ). Each step
hands its message to the next as the object (`in_process`), where a worker sends its bytes: the
same step code, without the encoding between the steps. The messages go through in batches
(`batches`), each step over a whole batch before the next (`OfflineRun.run_many`), as a worker's
agents take theirs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, Sequence

from processors import pipeline
from processors.pipeline import Clock, StepResult
from schemas.models import SourceRef
from streams.band_index import BandIndex
from streams.settings import Settings, pipeline_version
from streams.steps import apply_writes, clock, run_guarded


@dataclass
class OfflineRun:
    settings: Settings
    urls: dict[str, dict] = field(default_factory=dict)
    contents: dict[str, dict] = field(default_factory=dict)
    #: The band table as the band step reads it (no table beside it: nothing else reads that).
    band_index: BandIndex = field(default_factory=BandIndex)
    gather: dict[str, dict] = field(default_factory=dict)
    sitelines: dict[str, dict] = field(default_factory=dict)
    version: str = field(default_factory=pipeline_version)
    #: Records a step sends besides its outcome (corrections on duplicates), as (role, value),
    #: from `run_one` until its caller takes them.
    emitted: list[tuple[str, bytes]] = field(default_factory=list)

    def run_one(self, payload: bytes, offset: int) -> StepResult:
        """The chain's outcome for one raw message at `offset`; the records its steps sent
        besides go to `emitted`."""
        ((result, more),) = self.run_many([payload], offset)
        self.emitted += more
        return result

    def run_many(
        self, payloads: Sequence[bytes], first_offset: int
    ) -> list[tuple[StepResult, list[tuple[str, bytes]]]]:
        """`run_one` of each message (at `first_offset`, the next offset, ...): its outcome and
        the records its steps sent besides (corrections), as (role, value).

        Each step runs over all the messages before the next step starts, as a worker's agents
        take batches, so that one step's code and data stay in the processor's caches. The
        results are `run_one`'s one message after the other: every table is read and written by
        one step only, which takes the messages in their order."""
        opts, version = self.settings.stage, self.version
        guarded = partial(run_guarded, budget_s=self.settings.stage_time_budget_s)
        heres = [SourceRef(self.settings.topics.raw, 0, first_offset + i, None) for i in range(len(payloads))]
        nows = [clock() for _ in payloads]
        more: list[list[tuple[str, bytes]]] = [[] for _ in payloads]
        results = [
            guarded("cleaning", lambda: pipeline.clean_step(payload, here, opts, now), payload, here, now)
            for payload, here, now in zip(payloads, heres, nows)
        ]
        def step(role: str, stage: str, call: Callable[[Any, Clock], StepResult], table: Any) -> list[int]:
            """Each message whose last result went to `role` through `call(message, now)` as
            `stage`, its writes applied to `table`; the messages' indices."""
            done = []
            for i, here, now in self._at(results, heres, nows, role):
                value = results[i].handed
                results[i] = guarded(stage, lambda: call(value, now), value, here, now)
                apply_writes(table, results[i].writes)
                done.append(i)
            return done

        # Extraction in one agent with cleaning, as `prepare` runs them.
        step(
            pipeline.HANDED_ON,
            "extraction",
            lambda m, now: pipeline.extract_step(m, opts, now, self.sitelines.get, in_process=True),
            self.sitelines,
        )
        step(
            "extracted",
            "dedup_url",
            lambda m, now: pipeline.dedup_url_step(m, self.urls.get, opts, now, version, in_process=True),
            self.urls,
        )
        step(
            "content",
            "dedup_content",
            lambda m, now: pipeline.dedup_content_step(
                m, self.contents.get, opts, now, version, lambda key: 0, in_process=True
            ),
            self.contents,
        )
        for i, here, now in self._at(results, heres, nows, "none", stage="dedup_content"):
            # The probe through the band steps in order; the last one sends the article and
            # every reply to the gather step, which publishes the verdict.
            probes = [e.handed for e in results[i].more]
            while probes:
                band_value = probes.pop(0)
                results[i] = guarded(
                    "dedup_bands",
                    lambda: pipeline.dedup_bands_step(band_value, self.band_index.lookup, opts, now, in_process=True),
                    band_value,
                    here,
                    now,
                )
                for key, entry in results[i].writes.items():
                    self.band_index.add(key, entry)
                if results[i].role == "none":
                    probes += [e.handed for e in results[i].more]
        gathered = step(
            "gather",
            "dedup_gather",
            lambda m, now: pipeline.dedup_gather_step(m, self.gather.get, opts, now, version, in_process=True),
            self.gather,
        )
        for i in gathered:
            more[i] = [(e.role, e.value) for e in results[i].more]
        for i, here, now in self._at(results, heres, nows, "enrich"):
            # Without the time budget, as in a worker, whose enrichment runs in a thread (no signal).
            value = results[i].handed
            results[i] = run_guarded("enrichment", lambda: pipeline.enrich_step(value, opts, now), value, here, now)
        return list(zip(results, more))

    @staticmethod
    def _at(
        results: list[StepResult], heres: list[SourceRef], nows: list[Clock], role: str, stage: str | None = None
    ) -> Iterator[tuple[int, SourceRef, Clock]]:
        """The messages whose last result went to `role` (from `stage`, when given), in order."""
        for i, result in enumerate(results):
            if result.role == role and (stage is None or result.stage == stage):
                yield i, heres[i], nows[i]


def read_messages(stream: IO[bytes]) -> Iterator[bytes]:
    for line in stream:
        line = line.rstrip(b"\r\n")
        if line.strip():
            yield line


def process(messages: Iterable[bytes], settings: Settings, out_dir: Path, batch: int | None = None) -> Counter:
    """Write each output topic's records to `<out_dir>/<topic name>.jsonl`; the count per role."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = settings.topics.outputs()
    files = {role: (out_dir / f"{name}.jsonl").open("wb") for role, name in names.items()}
    try:
        return process_into(messages, settings, lambda role, value: files[role].write(value + b"\n"), batch)
    finally:
        for f in files.values():
            f.close()


def process_into(
    messages: Iterable[bytes], settings: Settings, write: Callable[[str, bytes], object], batch: int | None = None
) -> Counter:
    """Hand each input's outcome to `write(role, record)` in input order, each followed by the
    records its step sent besides (corrections); the count of outcomes per role. `batch`: the
    most messages run together (default `BATCH_MESSAGES`; 1 writes each outcome before the next
    message is read, for a stream that arrives as it is made)."""
    counts: Counter = Counter()
    run = OfflineRun(settings)
    offset = 0
    for chunk in batches(messages, batch or BATCH_MESSAGES):
        for result, more in run.run_many(chunk, offset):
            write(result.role, result.value)
            counts[result.role] += 1
            for role, value in more:  # after the outcome, as a worker sends them
                write(role, value)
        offset += len(chunk)
    return counts


#: A batch of `OfflineRun.run_many` ends at this many messages, or at the message that brings
#: its payloads to `BATCH_BYTES`: enough for each step's code and data to stay in the caches
#: (the gain levels off from about a hundred page-text messages), little memory for pages.
BATCH_MESSAGES = 256
BATCH_BYTES = 16 * 1024 * 1024


def batches(
    messages: Iterable[bytes], size: int = BATCH_MESSAGES, max_bytes: int = BATCH_BYTES
) -> Iterator[list[bytes]]:
    """The messages in order, in lists of at most `size`, each ended early by the message that
    brings it to `max_bytes`."""
    batch: list[bytes] = []
    held = 0
    for message in messages:
        batch.append(message)
        held += len(message)
        if len(batch) == size or held >= max_bytes:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch
