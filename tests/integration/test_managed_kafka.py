"""copydesk as a managed Kafka sees it, on the session broker's TLS listeners with the
StandardAuthorizer on: SASL_SSL with SCRAM-SHA-512 and mutual TLS, principals given exactly the
ACLs of the README's table (`streams.access.grants`), each missing ACL and each broken TLS or
SASL setting failing at once with one line that names it, and no secret in any output.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from streams import access
from streams.settings import Settings
from tests.integration.acls import allow
from tests.integration.test_pipeline import (
    SAMPLES,
    assert_conforms,
    assert_each_input_accounted,
    by_role,
    read_accounted,
    sample_messages,
)
from tests.integration.workers import REPO_ROOT, WorkerProcess, unique_env

#: A CLI command that fails must do so well before this (it connects once, it does not retry).
HANG_GUARD_S = 90


def scram_env(tls, password: str | None = None, cafile: str | None = None) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": tls.sasl_ssl,
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": tls.scram_user,
        "KAFKA_SASL_PASSWORD": password or tls.scram_password,
        "KAFKA_SSL_CAFILE": cafile or str(tls.certs / "ca.pem"),
    }


def mtls_env(tls, client: str | None = None, certs: Path | None = None, key_password: str | None = None) -> dict[str, str]:
    certs = certs or tls.certs
    client = client or tls.tls_user
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": tls.ssl,
        "KAFKA_SECURITY_PROTOCOL": "SSL",
        "KAFKA_SSL_CAFILE": str(tls.certs / "ca.pem"),
        "KAFKA_SSL_CERTFILE": str(certs / f"{client}.pem"),
        "KAFKA_SSL_KEYFILE": str(certs / f"{client}.key"),
    }
    if client == tls.tls_user:
        env["KAFKA_SSL_KEY_PASSWORD"] = key_password or tls.tls_key_password
    return env


def copydesk(env: dict[str, str], *args: str, timeout: float = HANG_GUARD_S) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", *args],
        cwd=REPO_ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout, check=False,
    )


def secrets(tls) -> dict[str, str]:
    """What must never be printed: passwords, and the body of each private key."""
    out = {
        "SCRAM password": tls.scram_password,
        "client key password": tls.tls_key_password,
        "broker keystore password": (tls.certs / "broker.p12.password").read_text().strip(),
    }
    for key in ("broker.key", f"{tls.tls_user}.key", "ca.key"):
        body = [line for line in (tls.certs / key).read_text().splitlines() if not line.startswith("-----")]
        out[f"{key} contents"] = body[0][:40]
    return out


def assert_no_secret(tls, **texts: str) -> None:
    leaks = [(what, where) for what, secret in secrets(tls).items() for where, text in texts.items() if secret in text]
    assert not leaks, f"secrets printed: {leaks}"


@pytest.mark.parametrize(
    "listener, guarantee, operator_creates_topics",
    [("sasl_ssl", "exactly_once", True), ("ssl", "at_least_once", False)],
    ids=["sasl_ssl-scram-exactly_once", "mutual_tls-at_least_once"],
)
async def test_a_least_privilege_worker_and_the_cli_over_tls(kafka_tls, tmp_path, listener, guarantee, operator_creates_topics):
    secure = scram_env(kafka_tls) if listener == "sasl_ssl" else mtls_env(kafka_tls)
    principal = f"User:{kafka_tls.scram_user if listener == 'sasl_ssl' else kafka_tls.tls_user}"
    env = unique_env(
        secure["KAFKA_BOOTSTRAP_SERVERS"], tmp_path / "state",
        COPYDESK_PARTITIONS="1", COPYDESK_PROCESSING_GUARANTEE=guarantee, **secure,
    )
    settings = Settings.from_env(env)
    granted = access.grants(settings, create_topics=not operator_creates_topics)
    await allow(kafka_tls.admin_bootstrap, principal, granted)
    if operator_creates_topics:
        admin_env = {**env, "KAFKA_BOOTSTRAP_SERVERS": kafka_tls.admin_bootstrap, "KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}
        created = copydesk(admin_env, "topics", "create")
        assert created.returncode == 0, created.stderr
        assert f"created {len(access.topic_roles(settings))} topics" in created.stderr, created.stderr

    messages = sample_messages()
    worker = WorkerProcess(env, tmp_path / "worker.log").start()
    try:
        produced = copydesk(env, "produce", str(SAMPLES))
        assert produced.returncode == 0 and f"sent {len(messages)} messages" in produced.stderr, produced.stderr
        shown = copydesk(env, "outputs", "-n", str(len(messages)), "--timeout", "120", "--json")
        assert shown.returncode == 0, shown.stderr[-2000:]
        shown_records = [orjson.loads(line) for line in shown.stdout.splitlines()]
        assert len(shown_records) == len(messages) and sum("error" in r for r in shown_records) == 6, shown.stderr
        replayed = copydesk(env, "replay-dead-letters", "--kind", "empty_body")
        assert replayed.returncode == 0 and replayed.stdout.splitlines()[-1].startswith("sent 1 of 6 dead letters"), (
            replayed.stdout + replayed.stderr
        )
        records = await read_accounted(settings, len(messages) + 1, timeout_s=120)
        metrics = worker.metrics()
    finally:
        stopped = worker.stop()
    assert stopped == 0, worker.tail()
    outputs = by_role(settings, records)
    assert_conforms(outputs)
    assert_each_input_accounted(outputs, settings.topics.raw, len(messages) + 1)
    assert {role: len(r) for role, r in outputs.items()} == {"enriched": 10, "duplicates": 4, "dead_letter": 7}
    assert_no_secret(
        kafka_tls,
        worker_log=worker.log_path.read_text(errors="replace"),
        metrics=metrics,
        records=b"\n".join(value for *_, value in records).decode("utf-8", "replace"),
        cli="".join(p.stdout + p.stderr for p in (produced, shown, replayed)),
    )


def without(grants: list[access.Grant], resource: str, operation: str) -> list[access.Grant]:
    out = []
    for g in grants:
        if g.resource == resource and operation in g.operations:
            g = replace(g, operations=tuple(op for op in g.operations if op != operation))
        if g.operations:
            out.append(g)
    return out


@pytest.mark.parametrize(
    "resource, operation, named",
    [
        ("Topic", "Read", "Read on Topic"),
        ("Topic", "Write", "Write on Topic"),
        ("Group", "Read", "Read on Group"),
        ("TransactionalId", "Write", "Write on TransactionalId"),
        ("Topic", "Create", "refuse to create the topics"),
    ],
)
async def test_a_worker_missing_one_acl_exits_at_once_naming_it(kafka_tls, tmp_path, resource, operation, named):
    env = unique_env(
        kafka_tls.sasl_ssl, tmp_path / "state", COPYDESK_PROCESSING_GUARANTEE="exactly_once", COPYDESK_ENTITIES="off",
        **scram_env(kafka_tls),
    )
    settings = Settings.from_env(env)
    creates = operation == "Create"
    await allow(kafka_tls.admin_bootstrap, f"User:{kafka_tls.scram_user}", without(access.grants(settings, create_topics=creates), resource, operation))
    if not creates:
        admin = replace(settings, bootstrap_servers=kafka_tls.admin_bootstrap, security=type(settings.security)())
        from streams.kafka_io import ensure_topics

        await ensure_topics(admin)
    started = time.monotonic()
    proc = copydesk(env, "worker")
    took = time.monotonic() - started
    assert proc.returncode == 7, proc.stderr[-3000:]  # streams.cli.Exit.ACCESS_DENIED
    errors = [r for r in map(orjson.loads, proc.stderr.strip().splitlines()) if r["level"] == "error"]
    assert len(errors) == 1 and named in errors[0]["msg"] and "exc" not in errors[0], errors
    print(f"ACL {resource} {operation} missing: exit {proc.returncode} after {took:.1f} s")


@pytest.mark.parametrize(
    "case, reason",
    [
        ("wrong CA", "CERTIFICATE_VERIFY_FAILED"),
        ("wrong password", "SaslAuthenticationFailed"),
        ("expired client certificate", "KAFKA_SSL_CERTFILE expired on"),
        ("client certificate from another CA", "does not trust the client certificate"),
        ("key that does not match the certificate", "KEY_VALUES_MISMATCH"),
        ("wrong key password", "wrong or missing KAFKA_SSL_KEY_PASSWORD"),
        ("TLS to the plaintext port", "may not be a TLS listener"),
    ],
)
def test_a_broken_tls_or_sasl_setting_is_one_line_and_an_exit(kafka_tls, tmp_path, case, reason):
    certs = kafka_tls.certs
    env = {
        "wrong CA": scram_env(kafka_tls, cafile=str(certs / "other" / "ca.pem")),
        "wrong password": scram_env(kafka_tls, password="not-the-password"),
        "expired client certificate": mtls_env(kafka_tls, client="expired-client"),
        "client certificate from another CA": mtls_env(kafka_tls, client="stranger", certs=certs / "other"),
        "key that does not match the certificate": {
            **mtls_env(kafka_tls), "KAFKA_SSL_KEYFILE": str(certs / "expired-client.key"), "KAFKA_SSL_KEY_PASSWORD": "",
        },
        "wrong key password": mtls_env(kafka_tls, key_password="not-the-key-password"),
        "TLS to the plaintext port": {**scram_env(kafka_tls), "KAFKA_BOOTSTRAP_SERVERS": kafka_tls.admin_bootstrap},
    }[case]
    env = unique_env(env["KAFKA_BOOTSTRAP_SERVERS"], tmp_path / "state", **env)
    started = time.monotonic()
    proc = copydesk(env, "topics", "create")
    took = time.monotonic() - started
    assert proc.returncode == 3, proc.stderr[-3000:]  # streams.cli.Exit.KAFKA_UNREACHABLE
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("copydesk: error: ") and reason in lines[0], proc.stderr[-3000:]
    assert_no_secret(kafka_tls, output=proc.stdout + proc.stderr)
    assert "not-the-password" not in proc.stderr and "not-the-key-password" not in proc.stderr
    print(f"{case}: exit {proc.returncode} after {took:.1f} s")



async def test_cli_commands_without_an_acl_exit_with_one_line(kafka_tls, tmp_path):
    env = unique_env(kafka_tls.sasl_ssl, tmp_path / "state", **scram_env(kafka_tls))
    settings = Settings.from_env(env)
    await allow(kafka_tls.admin_bootstrap, f"User:{kafka_tls.scram_user}", [access.Grant("Topic", f"{settings.topic_prefix}.", "prefixed", ("Describe",), "")])
    admin = replace(settings, bootstrap_servers=kafka_tls.admin_bootstrap, security=type(settings.security)())
    from streams.kafka_io import ensure_topics

    await ensure_topics(admin)
    for args, named in (
        (("produce", str(SAMPLES)), "TopicAuthorizationFailedError"),
        (("outputs", "-n", "1", "--timeout", "20"), "TopicAuthorizationFailedError"),
        (("replay-dead-letters", "--kind", "empty_body"), "GroupAuthorizationFailedError"),
    ):
        proc = copydesk(env, *args)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 7 and len(lines) == 1 and lines[0].startswith("copydesk: error: "), (args, proc.stderr[-3000:])
        assert named in lines[0], (args, lines[0])
