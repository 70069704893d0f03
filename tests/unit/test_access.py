"""The ACL table copydesk documents is the one its pre-flight check and tests use."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams import access
from streams.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_lists_every_grant_with_the_default_names():
    settings = Settings.from_env({"COPYDESK_PROCESSING_GUARANTEE": "exactly_once"})
    readme = README.read_text()
    for g in access.grants(settings, create_topics=True):
        row = f"| {g.resource} | `{g.name}` | {g.pattern} | {', '.join(g.operations)} |"
        assert row in readme, row


def test_grants_follow_the_settings():
    plain = Settings.from_env({"COPYDESK_APP_ID": "desk", "COPYDESK_TOPIC_PREFIX": "crawl"})
    assert [g.describe() for g in access.grants(plain)] == [
        "Read+Write on Topic prefixed 'crawl.'",
        "Read on Group prefixed 'desk'",
    ]
    moved = Settings.from_env(
        {"COPYDESK_APP_ID": "desk", "COPYDESK_TOPIC_PREFIX": "crawl", "COPYDESK_TOPIC_RAW": "crawler.out",
         "COPYDESK_PROCESSING_GUARANTEE": "exactly_once"}
    )
    assert [g.describe() for g in access.grants(moved, create_topics=True)] == [
        "Read+Write on Topic prefixed 'crawl.'",
        "Read+Write+Create on Topic literal 'crawler.out'",
        "Create on Topic prefixed 'crawl.'",
        "Read on Group prefixed 'desk'",
        "Write on TransactionalId prefixed 'desk-'",
    ]


def test_a_replication_factor_the_cluster_cannot_meet_is_a_settings_error_not_a_bug():
    # CreateTopics answers InvalidReplicationFactor (38) per topic; it was a RuntimeError, which
    # the command line reports as "internal error (a bug in copydesk)" with exit 70
    from streams.kafka_io import _raise_refusals
    from streams.settings import Settings, SettingsError

    settings = Settings.from_env({"COPYDESK_REPLICATION_FACTOR": "3"})
    why = "Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered."
    answers = [("news.articles.raw", 38, why), ("news.articles.enriched", 38, why), ("news.articles.dead-letter", 36, None)]
    with pytest.raises(SettingsError) as info:
        _raise_refusals(settings, answers)
    assert str(info.value) == f"COPYDESK_REPLICATION_FACTOR is 3, more than this cluster can meet: {why}"
