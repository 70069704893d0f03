"""Fault tests: real broker, real workers, killed and restarted. `make test-faults` runs them.

They take minutes, so `make test` leaves this folder out. ``kafka_bootstrap`` is the integration
tests' session broker (or ``KAFKA_BOOTSTRAP_SERVERS``); ``own_broker`` is a broker of the test's
own, which the test may stop and start again on the same port and data dir.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.faults.harness import OwnBroker
from tests.integration.conftest import kafka_bootstrap  # noqa: F401 - the session broker fixture

FAULTS_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if FAULTS_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[OwnBroker]:
    broker = OwnBroker(tmp_path / "kafka")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
