"""A real `copydesk worker` process for integration tests, with its own names and ports."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from streams.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique_env(bootstrap: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """Settings for one test's pipeline: unique topics, group and state, short timeouts."""
    tag = uuid.uuid4().hex[:8]
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "COPYDESK_APP_ID": f"copydesk-test-{tag}",
        "COPYDESK_TOPIC_PREFIX": f"test-{tag}.articles",
        "COPYDESK_PARTITIONS": "2",
        "COPYDESK_DATA_DIR": str(data_dir),
        "COPYDESK_LOG_FORMAT": "json",
        "COPYDESK_SESSION_TIMEOUT_SECONDS": "10",
    }
    env.update(extra)
    return env


class WorkerProcess:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = {**os.environ, **env}
        self.env["COPYDESK_WEB_PORT"] = str(free_port())
        self.env["COPYDESK_METRICS_PORT"] = str(free_port())
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.env['COPYDESK_METRICS_PORT']}/metrics"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.env['COPYDESK_WEB_PORT']}"

    def start(self, ready_timeout: float = 120.0, port_tries: int = 3) -> WorkerProcess:
        """Start the worker and wait until it is ready. A port `free_port` chose can be taken by
        another process before the worker binds it (suites run side by side): the worker then
        exits, and it is started again on new ports; readiness is read from the answer of this
        worker's own application, never another's on the same port."""
        for attempt in range(port_tries):
            log = self.log_path.open("ab")
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "streams.cli", "worker"],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                return self._wait_ready(ready_timeout)
            except RuntimeError:
                if attempt + 1 == port_tries or "already in use" not in self.tail():
                    raise
                self.env["COPYDESK_WEB_PORT"] = str(free_port())
                self.env["COPYDESK_METRICS_PORT"] = str(free_port())
        raise AssertionError("unreachable")

    def _wait_ready(self, ready_timeout: float) -> WorkerProcess:
        deadline = time.monotonic() + ready_timeout
        enrich_only = self.env.get("COPYDESK_ROLES") == "enrich"
        app = Settings.from_env(self.env).app_id
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited with {self.proc.returncode}: {self.tail()}")
            # An enrichment-only worker runs no faust web server: its metrics answer when it is up.
            ready = self.metrics_url if enrich_only else self.web_url + "/readyz"
            try:
                with urllib.request.urlopen(ready, timeout=2) as r:
                    # A checkout before `/readyz` named its app (bench/ab.py runs one) says none.
                    if r.status == 200 and (enrich_only or json.loads(r.read()).get("app", app) == app):
                        return self
            except (OSError, ValueError):
                pass
            time.sleep(0.5)
        raise TimeoutError(f"worker not ready after {ready_timeout}s: {self.tail()}")

    def metrics(self) -> str:
        with urllib.request.urlopen(self.metrics_url, timeout=5) as r:
            return r.read().decode()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)

    def tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except FileNotFoundError:
            return ""
