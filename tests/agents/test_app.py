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
