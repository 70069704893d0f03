"""Every Kafka topic copydesk reads or writes, declared once.

Values and keys travel as raw bytes: copydesk decodes them itself (in `processors`), so that a
message faust could not deserialise still reaches an agent and becomes a dead letter instead of
an error inside faust that loses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import faust

from streams.settings import Settings


@dataclass(frozen=True, slots=True)
class TopicSet:
    raw: faust.TopicT
    extracted: faust.TopicT
    content: faust.TopicT
    bands: faust.TopicT
    gather: faust.TopicT
    enrich: faust.TopicT
    enriched: faust.TopicT
    duplicates: faust.TopicT
    dead_letter: faust.TopicT

    def for_role(self, role: str) -> faust.TopicT:
        return getattr(self, role)


def declare(app: faust.App, settings: Settings) -> TopicSet:
    names = settings.topics

    def topic(name: str, *, internal: bool = False) -> faust.TopicT:
        return app.topic(
            name,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=settings.partitions,
            replicas=settings.replication_factor,
            internal=internal,
        )

    return TopicSet(
        raw=topic(names.raw),
        extracted=topic(names.extracted, internal=True),
        content=topic(names.content, internal=True),
        bands=topic(names.bands, internal=True),
        gather=topic(names.gather, internal=True),
        enrich=topic(names.enrich),
        enriched=topic(names.enriched),
        duplicates=topic(names.duplicates),
        dead_letter=topic(names.dead_letter),
    )
