"""The faust app factory: faust takes its settings from copydesk's Settings, never from the environment."""

from __future__ import annotations

import pytest

from streams.app import create_app
from streams.settings import Settings, SettingsError


def test_faust_ignores_its_own_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODUCER_LINGER", "0.5")
    monkeypatch.setenv("TABLE_STANDBY_REPLICAS", "0")
    monkeypatch.setenv("BROKER_COMMIT_EVERY", "7")
    settings = Settings.from_env(
        {"COPYDESK_ENTITIES": "off", "COPYDESK_TABLE_STANDBY_REPLICAS": "2", "COPYDESK_PRODUCER_LINGER_MS": "3"}
    )
    conf = create_app(settings).app.conf
    assert conf.producer_linger == 0.003
    assert conf.table_standby_replicas == 2
    assert conf.broker_commit_every != 7


def test_producers_send_at_once_unless_told_to_wait() -> None:
    assert Settings.from_env({"COPYDESK_ENTITIES": "off"}).producer_linger_ms == 0
    with pytest.raises(SettingsError, match="COPYDESK_PRODUCER_LINGER_MS"):
        Settings.from_env({"COPYDESK_ENTITIES": "off", "COPYDESK_PRODUCER_LINGER_MS": "-1"})


def test_agents_commit_every_second_under_at_least_once_and_at_fausts_interval_under_exactly_once() -> None:
    conf = create_app(Settings.from_env({"COPYDESK_ENTITIES": "off"})).app.conf
    assert conf.broker_commit_interval == 1.0
    exactly_once = Settings.from_env({"COPYDESK_ENTITIES": "off", "COPYDESK_PROCESSING_GUARANTEE": "exactly_once"})
    assert create_app(exactly_once).app.conf.broker_commit_interval == 2.8
    told = Settings.from_env({"COPYDESK_ENTITIES": "off", "COPYDESK_COMMIT_INTERVAL_MS": "250"})
    assert create_app(told).app.conf.broker_commit_interval == 0.25
    with pytest.raises(SettingsError, match="COPYDESK_COMMIT_INTERVAL_MS"):
        Settings.from_env({"COPYDESK_ENTITIES": "off", "COPYDESK_COMMIT_INTERVAL_MS": "0"})
