"""copydesk with a client it did not write: kcat (librdkafka) produces the raw messages a worker
processes, and consumes the enriched records it wrote.

kcat is a Debian package (`deploy/ensure-tools.sh` installs it); the test skips only without it.
"""

from __future__ import annotations

import shutil
import subprocess

import orjson
import pytest

from schemas import contracts
from streams.kafka_io import ensure_topics
from streams.settings import Settings
from tests.integration.test_pipeline import (
    SAMPLES,
    assert_conforms,
    assert_each_input_accounted,
    by_role,
    read_accounted,
    sample_messages,
)
from tests.integration.workers import WorkerProcess, unique_env


def kcat(*args: str, stdin: bytes | None = None, timeout: float = 120.0) -> bytes:
    binary = shutil.which("kcat") or shutil.which("kafkacat")
    if binary is None:
        pytest.skip("kcat is not installed (bash deploy/ensure-tools.sh, or apt-get install kcat)")
    done = subprocess.run([binary, *args], input=stdin, capture_output=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"kcat {' '.join(args)} exited {done.returncode}: {done.stderr.decode(errors='replace')}"
    return done.stdout


async def test_kcat_produces_raw_messages_and_reads_enriched_records(kafka_bootstrap, tmp_path):
    kcat("-V")  # skips here, before a worker starts, when kcat is missing
    env = unique_env(kafka_bootstrap, tmp_path / "state")
    settings = Settings.from_env(env)
    await ensure_topics(settings)
    worker = WorkerProcess(env, tmp_path / "worker.log").start()
    try:
        # kcat -P sends each line of the file as one message, as a crawler's script might; all to
        # partition 0, so that dedup sees the file's order (unkeyed, they would be spread at random).
        kcat("-b", kafka_bootstrap, "-P", "-t", settings.topics.raw, "-p", "0", "-l", str(SAMPLES))
        messages = sample_messages()
        records = await read_accounted(settings, len(messages), timeout_s=180)
    finally:
        assert worker.stop() == 0, worker.tail()
    outputs = by_role(settings, records)
    assert_conforms(outputs)
    assert_each_input_accounted(outputs, settings.topics.raw, len(messages))
    assert {role: len(r) for role, r in outputs.items()} == {"enriched": 10, "duplicates": 4, "dead_letter": 6}

    # kcat -C reads the enriched topic from the beginning and exits at its end: one JSON per line.
    out = kcat(
        "-b", kafka_bootstrap, "-C", "-t", settings.topics.enriched, "-e", "-o", "beginning", "-q", "-f", "%s\\n"
    )
    enriched = [orjson.loads(line) for line in out.splitlines() if line.strip()]
    assert len(enriched) == 10
    for record in enriched:
        assert contracts.errors("enriched", record) == [], record.get("url")
    key = lambda r: (r["source"]["partition"], r["source"]["offset"])  # noqa: E731
    assert sorted(enriched, key=key) == sorted(outputs["enriched"], key=key)
