"""The offline mode: the chain in-process over a JSONL file, with no Kafka.

It runs the very steps the agents run (`processors.pipeline`, guarded by `streams.steps`), in
the same order, with dicts for the dedup tables, and writes each output topic's records to
`<out-dir>/<topic name>.jsonl`. Each non-blank input line is one raw message; it is accounted to
the raw topic's name, partition 0 and its line number (counting from 0) as the offset, so the
records equal the workers' when the raw topic has one partition (only times differ). Each step
hands its message to the next as the object (`in_process`), where a worker sends its bytes: the
same step code, without the encoding between the steps.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator

from processors import pipeline
from processors.pipeline import StepResult
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
    #: until `process` writes them.
    emitted: list[tuple[str, bytes]] = field(default_factory=list)

    def run_one(self, payload: bytes, offset: int) -> StepResult:
        opts, version = self.settings.stage, self.version
        here = SourceRef(self.settings.topics.raw, 0, offset, None)
        now = clock()
        guarded = partial(run_guarded, budget_s=self.settings.stage_time_budget_s)
        result = guarded("cleaning", lambda: pipeline.clean_step(payload, here, opts, now), payload, here, now)
        if result.role == pipeline.HANDED_ON:  # in one agent, as `prepare` runs them
            handed = result.handed
            result = guarded(
                "extraction",
                lambda: pipeline.extract_step(handed, opts, now, self.sitelines.get, in_process=True),
                handed,
                here,
                now,
            )
            apply_writes(self.sitelines, result.writes)
        if result.role == "extracted":
            value = result.handed
            result = guarded(
                "dedup_url",
                lambda: pipeline.dedup_url_step(value, self.urls.get, opts, now, version, in_process=True),
                value,
                here,
                now,
            )
            apply_writes(self.urls, result.writes)
        if result.role == "content":
            value = result.handed
            result = guarded(
                "dedup_content",
                lambda: pipeline.dedup_content_step(
                    value, self.contents.get, opts, now, version, lambda key: 0, in_process=True
                ),
                value,
                here,
                now,
            )
            apply_writes(self.contents, result.writes)
        if result.stage == "dedup_content" and result.role == "none":
            # The probe through the band steps in order; the last one sends the article and
            # every reply to the gather step, which publishes the verdict.
            probes = [e.handed for e in result.more]
            while probes:
                band_value = probes.pop(0)
                result = guarded(
                    "dedup_bands",
                    lambda: pipeline.dedup_bands_step(band_value, self.band_index.lookup, opts, now, in_process=True),
                    band_value,
                    here,
                    now,
                )
                for key, entry in result.writes.items():
                    self.band_index.add(key, entry)
                if result.role == "none":
                    probes += [e.handed for e in result.more]
            if result.role == "gather":
                part = result.handed
                result = guarded(
                    "dedup_gather",
                    lambda: pipeline.dedup_gather_step(part, self.gather.get, opts, now, version, in_process=True),
                    part,
                    here,
                    now,
                )
                apply_writes(self.gather, result.writes)
                self.emitted += [(e.role, e.value) for e in result.more]
        if result.role == "enrich":
            # Without the time budget, as in a worker, whose enrichment runs in a thread (no signal).
            value = result.handed
            result = run_guarded("enrichment", lambda: pipeline.enrich_step(value, opts, now), value, here, now)
        return result


def read_messages(stream: IO[bytes]) -> Iterator[bytes]:
    for line in stream:
        line = line.rstrip(b"\r\n")
        if line.strip():
            yield line


def process(messages: Iterable[bytes], settings: Settings, out_dir: Path) -> Counter:
    """Write each output topic's records to `<out_dir>/<topic name>.jsonl`; the count per role."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = settings.topics.outputs()
    files = {role: (out_dir / f"{name}.jsonl").open("wb") for role, name in names.items()}
    try:
        return process_into(messages, settings, lambda role, value: files[role].write(value + b"\n"))
    finally:
        for f in files.values():
            f.close()


def process_into(messages: Iterable[bytes], settings: Settings, write: Callable[[str, bytes], object]) -> Counter:
    """Hand each input's outcome to `write(role, record)` in input order, each followed by the
    records its step sent besides (corrections); the count of outcomes per role."""
    counts: Counter = Counter()
    run = OfflineRun(settings)
    for offset, payload in enumerate(messages):
        result = run.run_one(payload, offset)
        write(result.role, result.value)
        counts[result.role] += 1
        for role, value in run.emitted:  # after the outcome, as a worker sends them
            write(role, value)
        run.emitted.clear()
    return counts
