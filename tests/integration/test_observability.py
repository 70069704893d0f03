"""What an operator sees, on the real broker: every dashboard query answered by a real Prometheus
scraping a real worker, consumer lag and table keys with real values, and the worker's log lines.

The Prometheus test needs the `prometheus` server (Debian package `prometheus`, installed by
`deploy/ensure-tools.sh`); it skips only when the binary is missing.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable

import orjson
import pytest
import yaml

from processors import neardup, pipeline
from schemas.models import SourceRef
from streams.kafka_io import ensure_topics, produce, read, read_outputs, topic_partitions
from streams.settings import Settings
from streams.steps import clock
from streams.tables import partition_of
from tests.integration.test_pipeline import distinct_articles, sample_messages
from tests.integration.workers import WorkerProcess, free_port, unique_env

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "deploy" / "grafana" / "dashboards" / "copydesk.json"
PROMETHEUS_LOCAL = REPO / "deploy" / "prometheus" / "prometheus-local.yml"
#: What Grafana would put for its variables on a dashboard opened a few minutes after the start.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__range": "10m", "$job": "copydesk", "$worker": ".*"}


# ---------------------------------------------------------------- helpers (the other tests use them)


def metric_samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """The samples of metric `name` in a Prometheus text exposition: (labels, value)."""
    out = []
    for line in text.splitlines():
        m = re.match(rf"^{re.escape(name)}(?:{{(.*)}})? (\S+)$", line)
        if m:
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(1) or ""))
            out.append((labels, float(m.group(2))))
    return out


def wait_for(condition: Callable[[], object], timeout_s: float, what: str, every_s: float = 0.5):
    """Poll `condition` until it returns something truthy; fail with `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout_s:.0f}s")
        time.sleep(every_s)


def http_json(url: str, timeout: float = 10.0) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, PromQL with Grafana's variables substituted) for every target of every panel."""
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))

    def panels(items: list[dict]):
        for p in items:
            yield p
            yield from panels(p.get("panels", []))

    queries = []
    for panel in panels(board["panels"]):
        for target in panel.get("targets", []):
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            assert "$" not in expr, f"unsubstituted variable in {panel['title']!r}: {expr}"
            queries.append((panel["title"], expr))
    return queries


class PrometheusServer:
    """The real Prometheus server on a free port, scraping one worker with the job and labels of
    deploy/prometheus/prometheus-local.yml, every second."""

    def __init__(self, binary: str, target: str, worker: str, workdir: Path) -> None:
        config = yaml.safe_load(PROMETHEUS_LOCAL.read_text(encoding="utf-8"))
        config["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
        (job,) = config["scrape_configs"]
        job.update(scrape_interval="1s", scrape_timeout="1s")
        job["static_configs"] = [{"targets": [target], "labels": {"worker": worker}}]
        workdir.mkdir(parents=True, exist_ok=True)
        self.config_path = workdir / "prometheus.yml"
        self.config_path.write_text(yaml.safe_dump(config), encoding="utf-8")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "prometheus.log"
        self.args = [
            binary,
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--log.level=warn",
        ]
        self.proc: subprocess.Popen | None = None

    def start(self, timeout_s: float = 120.0) -> PrometheusServer:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT)

        def ready() -> bool:
            assert self.proc.poll() is None, f"prometheus exited {self.proc.returncode}: {self.log_path.read_text()[-2000:]}"
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        wait_for(ready, timeout_s, "prometheus ready")
        return self

    def query(self, expr: str) -> list[dict]:
        body = http_json(f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        assert body["status"] == "success", (expr, body)
        return body["data"]["result"]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def finite_values(result: list[dict]) -> list[float]:
    return [float(s["value"][1]) for s in result if math.isfinite(float(s["value"][1]))]


# ---------------------------------------------------------------- the dashboard on a real Prometheus


async def test_every_dashboard_query_has_data_in_a_real_prometheus(kafka_bootstrap, tmp_path):
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("the prometheus server is not installed (bash deploy/ensure-tools.sh, or apt-get install prometheus)")
    # Steps inline at 2 partitions: some hops run in the agent before, some go over the topic, so
    # the inline panel has a share strictly between 0 and 1 to show (with the default, none).
    env = unique_env(kafka_bootstrap, tmp_path / "state", COPYDESK_LAG_SAMPLE_SECONDS="1", COPYDESK_INLINE_STEPS="always")
    settings = Settings.from_env(env)
    worker = WorkerProcess(env, tmp_path / "worker.log").start()
    target = worker.metrics_url.removeprefix("http://").removesuffix("/metrics")
    prometheus = PrometheusServer(binary, target, "test-worker", tmp_path / "prometheus").start()
    try:
        wait_for(lambda: prometheus.query('up{job="copydesk"} == 1'), 60, "prometheus scraping the worker")
        # A few rounds, so that every rate has two scrapes of a counter that moved. Each round is
        # the samples (enriched, duplicates, dead letters) and new articles (fresh verdicts).
        sent = 0
        for round_ in range(3):
            batch = sample_messages() + [orjson.dumps(m) for m in distinct_articles(20 * (round_ + 1))[-20:]]
            sent += await produce(settings, batch)
            got = await read_outputs(settings, expect=sent, timeout_s=180)
            assert len(got) >= sent, f"round {round_}: {len(got)} of {sent} outcomes"
        # Let Prometheus scrape the last counts and a lag sample of the drained worker.
        seen = metric_samples(worker.metrics(), "copydesk_messages_produced_total")
        wait_for(
            lambda: sum(finite_values(prometheus.query("sum(copydesk_messages_produced_total)"))) >= sum(v for _, v in seen),
            60,
            "prometheus has the last scrape",
        )

        empty = []
        answers = {}
        for title, expr in dashboard_queries():
            result = prometheus.query(expr)
            values = finite_values(result)
            answers[title] = result
            print(f"{title}: {expr}\n    -> {len(result)} series, values {values[:6]}")
            if not values:
                empty.append(f"{title}: {expr} -> {result}")
        assert not empty, "dashboard queries without data:\n" + "\n".join(empty)
        # The inline panel's share for the url step (one per article): about half of the articles'
        # ids fall on their own raw partition (run in prepare), the others go over the topic.
        inline = {s["metric"]["stage"]: float(s["value"][1]) for s in answers["Steps run inline (share of the stage's steps)"]}
        assert 0 < inline["dedup_url"] < 1, inline

        # The dashboard's $worker variable: label_values(copydesk_build_info, worker).
        workers = http_json(f"{prometheus.url}/api/v1/label/worker/values?match[]=copydesk_build_info")["data"]
        assert workers == ["test-worker"]
        # Values, not only series: the table sizes (counted every 12th lag sample, here 12 s).
        keys = wait_for(lambda: prometheus.query("copydesk_table_keys > 0"), 120, "table keys in prometheus")
        # gather holds only articles still waiting for band replies: empty once all are published;
        # site-lines holds the short lines of the samples' sites
        assert {s["metric"]["table"] for s in keys} == {"urls", "contents", "bands", "sitelines"}, keys
    finally:
        prometheus.stop()
        worker.stop()
    print(f"worker log {worker.log_path}, prometheus log {prometheus.log_path}")


# ---------------------------------------------------------------- consumer lag and table keys


def lag_by_topic(metrics_text: str) -> dict[str, float]:
    lag: dict[str, float] = {}
    for labels, value in metric_samples(metrics_text, "copydesk_consumer_lag_messages"):
        lag[labels["topic"]] = lag.get(labels["topic"], 0.0) + value
    return lag


async def test_consumer_lag_shows_a_backlog_and_drains_to_zero(kafka_bootstrap, tmp_path):
    # Lag is measured against committed offsets. A worker drains this backlog from the raw topic
    # in about a second, so with the default 1 s commit interval a 1 s sample may never fall
    # between the first fetch and the first commit; a 10 s interval keeps the backlog in sight
    # for several samples, and the drain to 0 below still needs real commits.
    env = unique_env(
        kafka_bootstrap,
        tmp_path / "state",
        COPYDESK_LAG_SAMPLE_SECONDS="1",
        COPYDESK_COMMIT_INTERVAL_MS="10000",
        COPYDESK_INLINE_STEPS="always",  # with 2 partitions: some hops inline, some not
    )
    settings = Settings.from_env(env)
    # The backlog is there before the worker starts: its group has no committed offset yet.
    backlog = [orjson.dumps(m) for m in distinct_articles(400)]
    await ensure_topics(settings)  # as `copydesk produce` does, with copydesk's partition count
    await produce(settings, backlog)
    worker = WorkerProcess(env, tmp_path / "worker.log")
    peak: dict[str, float] = {}
    draining = threading.Event()

    def watch() -> None:  # every lag sample (one a second) while the backlog drains
        while not draining.is_set():
            for topic, value in lag_by_topic(worker.metrics()).items():
                peak[topic] = max(peak.get(topic, 0.0), value)
            time.sleep(0.2)

    try:
        worker.start()
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        records = await read_outputs(settings, expect=len(backlog), timeout_s=240)
        draining.set()
        watcher.join(30)
        assert len(records) >= len(backlog), f"{len(records)} of {len(backlog)} outcomes"
        print(f"peak lag while draining {peak}")
        assert peak.get(settings.topics.raw, 0) > 0, peak
        # Drained and committed: every sampled partition reaches 0.
        drained = wait_for(
            lambda: (lag := lag_by_topic(worker.metrics())) and all(v == 0 for v in lag.values()) and lag,
            120,
            "consumer lag back to 0",
        )
        assert settings.topics.raw in drained
        # Table keys are counted on the lag timer (every 12th sample), not only by the hourly sweep:
        # 400 distinct articles are one key in each table.
        def table_keys() -> dict[str, float]:
            return {labels["table"]: v for labels, v in metric_samples(worker.metrics(), "copydesk_table_keys")}

        # 400 distinct bodies: one key each in urls and contents, an entry in bands for each band
        # partition each article's probe visited (their bands share no value), stored a batch
        # and day per key, nothing left waiting in gather, and a site's lines per raw partition
        # and day (as many keys as the site-lines changelog holds)
        stored = await table_changelog(settings, settings.topics.band_table)
        entries = sum(len(v["batch"]) if "batch" in v else 1 for v in stored.values())
        assert entries == band_messages(settings, backlog), (entries, len(stored))
        print(f"band table: {entries} band messages' entries in {len(stored)} keys")
        assert len(stored) < entries / 2, "the backlog's band messages were stored one key each: not batched"
        sites = await table_changelog(settings, settings.topics.sitelines_table)
        assert sites and all(key.startswith("p") and "/" in key for key in sites), list(sites)[:5]
        expected = {"urls": 400, "contents": 400, "bands": len(stored), "gather": 0, "sitelines": len(sites)}
        seen: list[dict[str, float]] = []
        try:
            keys = wait_for(lambda: (k := table_keys(), seen.append(k))[0] == expected and k, 300, "table keys")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; last seen {seen[-1:]}, expected {expected}") from None
        print(f"table keys {keys}")
        # The url step ran inline for each article whose id falls on its raw partition, and only
        # for those; the others went over the topic; each counted once as the stage.
        metrics = worker.metrics()
        inline = sum(v for labels, v in metric_samples(metrics, "copydesk_inline_steps_total") if labels["stage"] == "dedup_url")
        over = sum(v for labels, v in metric_samples(metrics, "copydesk_envelope_items_sum") if labels["topic"] == settings.topics.extracted)
        urls_ok = sum(
            v for labels, v in metric_samples(metrics, "copydesk_stage_messages_total") if labels == {"stage": "dedup_url", "outcome": "ok"}
        )
        assert (inline, over, urls_ok) == (staying_on_partition(settings, backlog), 400 - inline, 400), (inline, over, urls_ok)
    finally:
        draining.set()
        worker.stop()


# ---------------------------------------------------------------- logs


def read_log(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]


@pytest.mark.parametrize("log_format", ["json", "text"])
async def test_worker_log_lines_and_dead_letter_coordinates(kafka_bootstrap, tmp_path, log_format):
    env = unique_env(kafka_bootstrap, tmp_path / "state", COPYDESK_LOG_FORMAT=log_format)
    settings = Settings.from_env(env)
    messages = sample_messages()
    worker = WorkerProcess(env, tmp_path / "worker.log").start()
    try:
        await produce(settings, messages)
        records = await read_outputs(settings, expect=len(messages), timeout_s=120)
    finally:
        exit_code = worker.stop()
    assert exit_code == 0, worker.tail()
    dead = [orjson.loads(v) for topic, *_, v in records if topic == settings.topics.dead_letter]
    assert len(dead) == 6
    lines = read_log(worker.log_path)
    print(f"{len(lines)} log lines in {worker.log_path}")
    # Dead-letter coordinates as the records carry them: (topic, partition, offset).
    want = sorted((d["topic"], d["partition"], d["offset"]) for d in dead)

    if log_format == "json":
        entries = []
        for n, line in enumerate(lines, 1):
            try:
                entry = json.loads(line)
            except ValueError:
                hint = " (faust's progress spinner: the worker must set worker.spinner = None)" if "\x1b[" in line else ""
                raise AssertionError(f"log line {n} is not JSON{hint}: {line[:300]!r}") from None
            assert isinstance(entry, dict), line
            assert {"ts", "level", "logger", "msg"} <= entry.keys(), line
            entries.append(entry)
        dead_lines = [e for e in entries if e["msg"].startswith("dead letter from")]
        assert all(e["level"] == "warning" and e["kind"] and e["stage"] for e in dead_lines)
        got = sorted((e["topic"], e["partition"], e["offset"]) for e in dead_lines)
    else:
        for line in lines:
            assert not line.startswith("{"), f"a JSON line with COPYDESK_LOG_FORMAT=text: {line[:200]}"
        dead_lines = [line for line in lines if "dead letter from" in line]
        pattern = re.compile(r"topic=(\S+) partition=(\d+) offset=(\d+)")
        got = sorted(
            (m.group(1), int(m.group(2)), int(m.group(3))) for m in map(pattern.search, dead_lines) if m
        )
        assert len(got) == len(dead_lines), dead_lines
    assert got == want


async def table_changelog(settings: Settings, table: str) -> dict[str, dict]:
    """A table as its changelog holds it (the last value of each key)."""
    name = settings.topics.changelog(table)
    records: list = []
    await read(settings, await topic_partitions(settings, [name], wait_s=30), records.append, timeout_s=60)
    table: dict[str, dict] = {}
    for _topic, _partition, _offset, key, value, *_ in records:
        table[orjson.loads(key)] = orjson.loads(value) if value is not None else None
    return {k: v for k, v in table.items() if v is not None}


def staying_on_partition(settings: Settings, payloads: list[bytes]) -> int:
    """The articles whose id (the key of `.extracted`) falls on the raw partition of their URL."""
    total, opts = 0, settings.stage
    for offset, payload in enumerate(payloads):
        here, now = SourceRef(settings.topics.raw, 0, offset, None), clock()
        extracted = pipeline.extract_step(pipeline.clean_step(payload, here, opts, now).handed, opts, now)
        url = orjson.loads(payload)["url"]
        total += partition_of(extracted.key.decode(), settings.partitions) == partition_of(url, settings.partitions)
    return total


def band_messages(settings: Settings, payloads: list[bytes]) -> int:
    """The band partitions each article's probe visits, summed: the partitions its 21 band keys
    fall on, from its body as the first steps extract it."""
    total, opts = 0, settings.stage
    for offset, payload in enumerate(payloads):
        here, now = SourceRef(settings.topics.raw, 0, offset, None), clock()
        extracted = pipeline.extract_step(pipeline.clean_step(payload, here, opts, now).handed, opts, now)
        text = orjson.loads(extracted.value)["article"]["text"]
        total += len({partition_of(k, settings.partitions) for k in neardup.band_keys(neardup.signature(text))})
    return total
