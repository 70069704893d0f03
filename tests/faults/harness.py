"""What the fault tests share: a broker of their own, workers that come and go, and the count."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from streams.kafka_io import produce
from streams.settings import Settings
from tests.integration.conftest import BROKER_SH, REPO_ROOT, _free_port_pair
from tests.integration.test_pipeline import (
    assert_conforms,
    assert_each_input_accounted,
    by_role,
    distinct_articles,
    read_accounted,
)
from tests.integration.workers import WorkerProcess

#: A whole fault test's inputs must all be accounted for within this many seconds of the last fault.
SETTLE_TIMEOUT = 600.0


class OwnBroker:
    """A single-node broker on fixed ports and a data dir of its own, for stopping and starting."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port, self.controller_port = _free_port_pair()
        self.env = {**os.environ, "PYTHON": sys.executable}
        self.env.pop("KAFKA_DATA_DIR", None)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _run(self, *args: str, timeout: float = 700) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(BROKER_SH), *args, "--data-dir", str(self.data_dir)],
            cwd=REPO_ROOT, env=self.env, capture_output=True, text=True, timeout=timeout, check=False,
        )

    def start(self) -> float:
        started = time.monotonic()
        proc = self._run(
            "start", "--port", str(self.port), "--controller-port", str(self.controller_port),
            "--timeout", "120", "--owner-pid", str(os.getpid()),
        )
        if proc.returncode != 0:
            raise RuntimeError(f"broker.sh start exited {proc.returncode}: {proc.stderr[-3000:]}")
        return time.monotonic() - started

    def stop(self) -> None:
        proc = self._run("stop", timeout=180)
        if proc.returncode != 0:
            sys.stderr.write(f"broker.sh stop exited {proc.returncode}: {proc.stderr}\n")


@dataclass
class Ledger:
    """What went in, and the figures a fault test prints."""

    name: str
    settings: Settings
    sent: list[bytes] = field(default_factory=list)
    faults: int = 0
    recoveries: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    async def send(self, messages: list[bytes]) -> None:
        await produce(self.settings, messages)
        self.sent.extend(messages)

    async def settle(self, timeout_s: float = SETTLE_TIMEOUT) -> dict[str, list[dict]]:
        """Every input accounted for, conforming, repeats only as identical outcomes; prints figures."""
        started = time.monotonic()
        records = await read_accounted(self.settings, len(self.sent), timeout_s)
        outputs = by_role(self.settings, records)
        assert_conforms(outputs)
        repeats = assert_each_input_accounted(outputs, self.settings.topics.raw, len(self.sent), repeats_allowed=True)
        recover = f"{max(self.recoveries):.1f}" if self.recoveries else "-"
        mean = f"{sum(self.recoveries) / len(self.recoveries):.1f}" if self.recoveries else "-"
        print(
            f"\nFAULTS {self.name}: faults={self.faults} messages={len(self.sent)} lost=0 repeats={repeats} "
            f"recover_s(mean/max)={mean}/{recover} settle_s={time.monotonic() - started:.1f} "
            + " ".join(self.notes)
        )
        return outputs


def articles(start: int, n: int) -> list[bytes]:
    return [orjson.dumps(m) for m in distinct_articles(start + n)[start:]]


def kill9(worker: WorkerProcess) -> None:
    worker.stop(signal.SIGKILL)


def restart(env: dict[str, str], log: Path, ledger: Ledger, since: float) -> WorkerProcess:
    """A new worker process; records the time from the fault (`since`) until it is ready."""
    worker = WorkerProcess(env, log).start(ready_timeout=300)
    ledger.recoveries.append(time.monotonic() - since)
    return worker


def pause(rng: random.Random, low: float = 0.5, high: float = 5.0) -> None:
    time.sleep(rng.uniform(low, high))
