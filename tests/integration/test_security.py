"""Kafka security on the real broker: a worker over SASL_PLAINTEXT (PLAIN), wrong credentials
failing clearly, and the worker's HTTP endpoints bound to the addresses it is given.

The session broker carries a SASL_PLAINTEXT listener beside its PLAINTEXT one
(`deploy/kafka/broker.sh --sasl-port`), so these tests cost no broker start of their own.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import urllib.error
import urllib.request

import orjson
import pytest

from schemas import contracts
from streams.kafka_io import KafkaUnreachable, produce, read_outputs
from streams.settings import Settings
from tests.integration.test_pipeline import by_role, distinct_articles
from tests.integration.workers import REPO_ROOT, WorkerProcess, unique_env

#: A second loopback address: a socket bound to 127.0.0.1 refuses connections to it, one bound
#: to 0.0.0.0 accepts them, so it tells the two apart without another network interface.
OTHER_LOOPBACK = "127.0.0.2"


def sasl_env(kafka_sasl, tmp_path, password: str | None = None, **extra: str) -> dict[str, str]:
    return unique_env(
        kafka_sasl.bootstrap,
        tmp_path / "state",
        KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT",
        KAFKA_SASL_MECHANISM="PLAIN",
        KAFKA_SASL_USERNAME=kafka_sasl.username,
        KAFKA_SASL_PASSWORD=password or kafka_sasl.password,
        **extra,
    )


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status == 200
    except urllib.error.HTTPError:
        return True  # something listens there and answered
    except OSError:
        return False


async def test_a_worker_over_sasl_processes_messages_and_binds_where_told(kafka_sasl, tmp_path):
    env = sasl_env(kafka_sasl, tmp_path, COPYDESK_PARTITIONS="1", COPYDESK_METRICS_HOST=OTHER_LOOPBACK)
    settings = Settings.from_env(env)
    good = orjson.dumps(distinct_articles(1)[0])
    worker = WorkerProcess(env, tmp_path / "worker.log").start()  # ready: /readyz on 127.0.0.1
    try:
        assert await produce(settings, [good, b"{not json"]) == 2
        records = await read_outputs(settings, expect=2, timeout_s=120)
        metrics_port, web_port = worker.env["COPYDESK_METRICS_PORT"], worker.env["COPYDESK_WEB_PORT"]
        bound = {
            "metrics on the address given": answers(f"http://{OTHER_LOOPBACK}:{metrics_port}/metrics"),
            "metrics on another": answers(f"http://127.0.0.1:{metrics_port}/metrics"),
            "health on the address given": answers(f"http://127.0.0.1:{web_port}/healthz"),
            "health on another": answers(f"http://{OTHER_LOOPBACK}:{web_port}/healthz"),
        }
    finally:
        assert worker.stop() == 0, worker.tail()
    outputs = by_role(settings, records)
    assert [r["url"] for r in outputs["enriched"]] == [orjson.loads(good)["url"]]
    assert [r["error"]["kind"] for r in outputs["dead_letter"]] == ["invalid_json"]
    for role, rs in outputs.items():
        assert all(contracts.errors(role, r) == [] for r in rs)
    assert bound == {
        "metrics on the address given": True,
        "metrics on another": False,
        "health on the address given": True,
        "health on another": False,
    }
    assert kafka_sasl.password not in worker.log_path.read_text(errors="replace")


async def test_a_client_with_a_wrong_password_fails_clearly(kafka_sasl, tmp_path):
    settings = Settings.from_env(sasl_env(kafka_sasl, tmp_path, password="not-the-password"))
    with pytest.raises(KafkaUnreachable) as caught:
        await asyncio.wait_for(produce(settings, [b"{}"]), 120)
    message = str(caught.value)
    assert "SASL_PLAINTEXT" in message and repr(kafka_sasl.username) in message
    assert "KAFKA_SECURITY_PROTOCOL" in message and "not-the-password" not in message


def test_a_worker_with_a_wrong_password_exits_with_the_reason(kafka_sasl, tmp_path):
    env = {**os.environ, **sasl_env(kafka_sasl, tmp_path, password="not-the-password")}
    proc = subprocess.run(
        [sys.executable, "-m", "streams.cli", "worker"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 3, out[-3000:]  # streams.cli.Exit.KAFKA_UNREACHABLE
    assert "Invalid username or password" in out, out[-3000:]  # the broker's reason, via aiokafka
    assert "cannot connect to the Kafka brokers" in out and "SASL_PLAINTEXT" in out, out[-3000:]
    assert "Traceback" not in out, out[-3000:]
    assert "not-the-password" not in out


def test_sasl_settings_without_credentials_are_refused():
    from streams.settings import SettingsError

    with pytest.raises(SettingsError, match="KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"):
        Settings.from_env({"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_USERNAME": "u"})
    with pytest.raises(SettingsError, match="KAFKA_SASL_MECHANISM"):
        Settings.from_env(
            {"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "GSSAPI", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"}
        )
    shown = repr(Settings.from_env(
        {"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "hunter2"}
    ))
    assert "hunter2" not in shown and "'***'" in shown
