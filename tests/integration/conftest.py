"""Integration-test fixtures: one real Kafka broker per test session.

``kafka_bootstrap`` starts a single-node KRaft broker with ``deploy/kafka/broker.sh``
on a free loopback port pair, in a fresh temporary data dir, and stops it when the
session ends (also when tests fail or the run is interrupted; if pytest itself is
killed, the script's ``--owner-pid`` watchdog stops the broker).

The broker also has a SASL_PLAINTEXT listener (PLAIN, one user with a random password), which
``kafka_sasl`` gives to the security tests, and two TLS listeners (``kafka_tls``): SASL_SSL with
SCRAM-SHA-512 users made when the storage is formatted, and SSL with client certificates, from
a CA made with openssl for the session (``deploy/kafka/certs.sh``). The KRaft StandardAuthorizer
is on; the PLAINTEXT and SASL_PLAINTEXT principals are super users, so the other tests need no
ACLs. The same JVM carries every listener, so they cost no start.

Set ``KAFKA_BOOTSTRAP_SERVERS`` to use an already running broker instead (and
``KAFKA_TEST_SASL_BOOTSTRAP``, ``KAFKA_TEST_SASL_USERNAME``, ``KAFKA_TEST_SASL_PASSWORD`` for its
SASL listener, or the security tests skip).
Every test under ``tests/integration`` is marked ``integration`` automatically,
so ``pytest -m "not integration"`` skips them (and never starts the broker).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

INTEGRATION_DIR = Path(__file__).resolve().parent
REPO_ROOT = INTEGRATION_DIR.parents[1]
BROKER_SH = REPO_ROOT / "deploy" / "kafka" / "broker.sh"

# broker.sh's own startup timeout (seconds), and the outer limit for one start call,
# which also covers the first jar download from Maven Central.
START_TIMEOUT = int(os.environ.get("KAFKA_START_TIMEOUT", "90"))
START_CALL_TIMEOUT = START_TIMEOUT + 600
START_ATTEMPTS = 3


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # This hook sees every collected item of the session: mark only our folder's.
    for item in items:
        if INTEGRATION_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.integration)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port_pair() -> tuple[int, int]:
    """A free loopback port P such that P+1 is free too (broker, controller)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port < 65535 and _port_is_free(port + 1):
            return port, port + 1
    raise RuntimeError("no free loopback port pair found")


def _free_port_other_than(*taken: int) -> int:
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in taken:
            return port
    raise RuntimeError("no free loopback port found")


@dataclass(frozen=True)
class SaslListener:
    bootstrap: str
    username: str
    password: str


@dataclass(frozen=True)
class TlsListeners:
    """The session broker's TLS listeners, and what a client needs for them."""

    admin_bootstrap: str  # PLAINTEXT, a super user: creates topics and ACLs as an operator would
    sasl_ssl: str  # SASL_SSL, SCRAM-SHA-512
    ssl: str  # SSL, client certificates required
    certs: Path  # ca.pem, and client certificates <name>.pem / <name>.key (certs.sh)
    scram_user: str
    scram_password: str
    tls_user: str  # CN of certs/<tls_user>.pem: the principal User:<tls_user>
    tls_key_password: str  # its key is encrypted with it


CERTS_SH = REPO_ROOT / "deploy" / "kafka" / "certs.sh"


def make_certs(directory: Path, tls_user: str, key_password: str) -> None:
    """The session CA and broker keystore, a client certificate with an encrypted key, one that
    expired, and a second CA with a client of its own (which the broker does not trust)."""
    steps = [
        ["ca", str(directory)],
        ["broker", str(directory)],
        ["client", str(directory), tls_user, "--key-password", key_password],
        ["client", str(directory), "expired-client", "--expired"],
        ["ca", str(directory / "other")],
        ["client", str(directory / "other"), "stranger"],
    ]
    for step in steps:
        subprocess.run(["bash", str(CERTS_SH), *step], check=True, capture_output=True, timeout=60)


def _broker(*args: str, timeout: float, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(BROKER_SH), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


SASL_KEY = pytest.StashKey["SaslListener | None"]()
TLS_KEY = pytest.StashKey["TlsListeners | None"]()


@pytest.fixture(scope="session")
def kafka_tls(kafka_bootstrap: str, pytestconfig: pytest.Config) -> TlsListeners:
    """The session broker's SASL_SSL and SSL listeners, their users and certificates."""
    tls = pytestconfig.stash.get(TLS_KEY, None)
    if tls is None:
        pytest.skip("an external broker (KAFKA_BOOTSTRAP_SERVERS) has no TLS listeners these tests know")
    return tls


@pytest.fixture(scope="session")
def kafka_sasl(kafka_bootstrap: str, pytestconfig: pytest.Config) -> SaslListener:
    """The session broker's SASL_PLAINTEXT listener (PLAIN) and its one user."""
    sasl = pytestconfig.stash.get(SASL_KEY, None)
    if sasl is None:
        pytest.skip("the external broker has no SASL listener given (KAFKA_TEST_SASL_BOOTSTRAP)")
    return sasl


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[str]:
    """Bootstrap address ``127.0.0.1:<port>`` of a broker running for the whole session."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
    if external:
        sasl = os.environ.get("KAFKA_TEST_SASL_BOOTSTRAP", "").strip()
        if sasl:
            pytestconfig.stash[SASL_KEY] = SaslListener(
                sasl, os.environ["KAFKA_TEST_SASL_USERNAME"], os.environ["KAFKA_TEST_SASL_PASSWORD"]
            )
        yield external
        return

    data_dir = tmp_path_factory.mktemp("kafka")
    env = dict(os.environ)
    env["PYTHON"] = sys.executable  # lets broker.sh confirm readiness with aiokafka
    env.pop("KAFKA_DATA_DIR", None)

    bootstrap = None
    failure = ""
    user, password = "copydesk-test", uuid.uuid4().hex
    scram_user, scram_password = "copydesk-scram", uuid.uuid4().hex
    tls_user, tls_key_password = "copydesk-tls", uuid.uuid4().hex
    certs = tmp_path_factory.mktemp("certs")
    make_certs(certs, tls_user, tls_key_password)
    env["KAFKA_SCRAM_USERS"] = f"{scram_user}={scram_password}"  # not on the command line
    try:
        for _ in range(START_ATTEMPTS):
            port, controller_port = _free_port_pair()
            sasl_port = _free_port_other_than(port, controller_port)
            ssl_port = _free_port_other_than(port, controller_port, sasl_port)
            sasl_ssl_port = _free_port_other_than(port, controller_port, sasl_port, ssl_port)
            proc = _broker(
                "start",
                "--data-dir", str(data_dir),
                "--port", str(port),
                "--controller-port", str(controller_port),
                "--sasl-port", str(sasl_port),
                "--sasl-user", user,
                "--sasl-password", password,
                "--tls-dir", str(certs),
                "--ssl-port", str(ssl_port),
                "--sasl-ssl-port", str(sasl_ssl_port),
                "--authorizer",
                "--timeout", str(START_TIMEOUT),
                "--owner-pid", str(os.getpid()),
                timeout=START_CALL_TIMEOUT,
                env=env,
            )
            if proc.returncode == 0:
                bootstrap = proc.stdout.strip().splitlines()[-1]
                pytestconfig.stash[SASL_KEY] = SaslListener(f"127.0.0.1:{sasl_port}", user, password)
                pytestconfig.stash[TLS_KEY] = TlsListeners(
                    admin_bootstrap=bootstrap,
                    sasl_ssl=f"127.0.0.1:{sasl_ssl_port}",
                    ssl=f"127.0.0.1:{ssl_port}",
                    certs=certs,
                    scram_user=scram_user,
                    scram_password=scram_password,
                    tls_user=tls_user,
                    tls_key_password=tls_key_password,
                )
                break
            failure = f"broker.sh start exited {proc.returncode}:\n{proc.stderr[-4000:]}"
            if proc.returncode == 3:  # java / mvn missing: retrying will not help
                break
            if "already in use" not in proc.stderr:  # only a port race is worth a retry
                break
        if bootstrap is None:
            pytest.fail(
                f"could not start the Kafka broker for the integration tests "
                f"(data dir {data_dir}; deselect with -m 'not integration'):\n{failure}",
                pytrace=False,
            )
        yield bootstrap
    finally:
        stop = _broker("stop", "--data-dir", str(data_dir), timeout=120, env=env)
        if stop.returncode != 0:
            sys.stderr.write(f"broker.sh stop exited {stop.returncode}: {stop.stderr}\n")
