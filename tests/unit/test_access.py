"""The ACL table copydesk documents is the one its pre-flight check and tests use."""

from __future__ import annotations

from pathlib import Path

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
