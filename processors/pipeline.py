"""The steps of the chain, each from one message's bytes to its routed results.

A step is what one agent does to one message, minus the I/O: it decodes the message, calls the
stage, and says where the result goes (a topic role, a key, the bytes) and which table writes go
with it. Stage errors become dead-letter results here, so that the workers and the offline mode
(`copydesk process`) emit the same records for the same input; the shell owns only the clock,
the tables and the topics.

Dedup steps read state through `lookup` (a read-only view of the step's table) and return the
writes to apply (a value of None deletes the key); they never keep state of their own.

Near-duplicates are a relay (see `processors.neardup`): the content step groups the article's
band keys by the partition that owns them and sends the article, its MinHash sketch (the
signature's low bytes, all that the later steps use) and that route to the first partition; each
band step checks its own band keys, adds their replies and sends the whole on to the next
partition of the route; the last one decides and publishes the verdict. An earlier design
scattered the probes and gathered the replies on the input's partition: that cost five more
messages and about eight more table writes per article, for latency the relay's few extra
sequential hops do not need (bench/README.md, issue 7). In exactly_once mode
(`options.decided_markers`) the last stop records in the bands table that it decided
(`_decided_key`, committed with the verdict), so that a repeat of the relay's last message
publishes nothing more; under at-least-once a repeat publishes the verdict again (a repeat,
which downstream drops by `id` and `source`), never nothing.

Cleaning hands its result on to extraction in the same agent (role `HANDED_ON`, no topic): the
two are stateless and keyed alike, so a hop between them would buy nothing. The result goes as
the `Cleaned` value itself (`StepResult.handed`), never serialised: for an HTML page, whose
original bytes travel with it, encoding and decoding it cost 2 ms (issue 7).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Literal, Mapping, Sequence

import orjson

from processors import dedup, neardup, sitelines
from processors.cleaning import clean
from processors.errors import StageError
from processors.extraction import Identity, extract, identify
from processors.intake import decode_raw
from processors.options import StageOptions
from processors.records import article_record, dead_letter_record, url_hint
from schemas.internal import (
    BandRelay,
    BandStop,
    Cleaned,
    ContentProbe,
    Extracted,
    dumps,
    loads_extracted,
    loads_probe,
)
from schemas.models import CleanedArticle, DedupVerdict, ExtractedArticle, SourceRef

#: Where a step's result goes: a topic's role, `HANDED_ON` to the next step in the same agent
#: (cleaning's result, to extraction), or nowhere ("none").
Role = Literal["cleaned", "extracted", "content", "bands", "enriched", "duplicates", "dead_letter", "none"]
Stage = Literal["cleaning", "extraction", "dedup_url", "dedup_content", "dedup_bands"]
Lookup = Callable[[str], Mapping[str, Any] | None]
#: Many keys read at once (None where absent), in their order: a band stop reads about 75.
LookupMany = Callable[[Sequence[str]], Sequence[Mapping[str, Any] | None]]
#: The partition that owns a band key on the bands topic (Kafka's default partitioner).
BandPartition = Callable[[str], int]
HANDED_ON: Role = "cleaned"


@dataclass(frozen=True, slots=True)
class Emission:
    """A further message a step sends, to an explicit partition when one is given."""

    role: Role
    key: bytes | None
    value: bytes
    partition: int | None = None


@dataclass(frozen=True, slots=True)
class StepResult:
    stage: Stage
    role: Role
    key: bytes | None
    value: bytes
    writes: Mapping[str, Mapping[str, Any] | None] = field(default_factory=dict)
    error_kind: str | None = None
    verdict: str | None = None
    url: str | None = None
    #: The raw input this result accounts for, and its fetch time when known (for latency).
    source: SourceRef | None = None
    fetched_at: str | None = None
    more: tuple[Emission, ...] = ()
    #: The partition to send the result to (a band relay's next stop); None: by its key.
    partition: int | None = None
    #: What a `HANDED_ON` result hands to the next step in the same agent (then `value` is empty).
    handed: Cleaned | None = None


@dataclass(frozen=True, slots=True)
class Clock:
    """Times the shell read from its clock for one message (kept out of the pure stages)."""

    now: str  # RFC 3339 UTC


def clean_step(payload: bytes | None, source: SourceRef, options: StageOptions, clock: Clock) -> StepResult:
    try:
        raw = decode_raw(payload, options)
        cleaned = clean(raw, options)
    except StageError as exc:
        return dead_letter(exc, "cleaning", source, payload, clock, url_hint(payload))
    message = Cleaned(source, payload or b"", cleaned)
    return StepResult("cleaning", HANDED_ON, _key(cleaned.url), b"", url=cleaned.url, source=source, handed=message)


def extract_step(message: Cleaned, options: StageOptions, clock: Clock, site_lines: Lookup | None = None) -> StepResult:
    """Extraction, after the lines the article's site repeats are dropped when `site_lines`
    (a view of the site-lines table) is given; the result carries that table's writes."""
    cleaned, writes = message.article, {}
    try:
        identity = identify(cleaned)
        if site_lines is not None:
            cleaned, writes = drop_site_lines(cleaned, identity, message.source, site_lines, options)
        article = extract(cleaned, options, identity)
    except StageError as exc:
        return dead_letter(exc, "extraction", message.source, message.payload, clock, message.article.url)
    out = Extracted(message.source, message.payload, article)
    return StepResult(
        "extraction", "extracted", article.id.encode(), dumps(out), writes, url=article.url, source=message.source
    )


def site_lines_scope(site: str, partition: int) -> str:
    """The state key base of a site's lines as learnt on one input partition: `p<partition>/<site>`.

    The site-lines table lives beside the raw topic, whose messages are keyed by URL, so a
    site's articles spread over its partitions and each partition learns from its own share
    (a line must be seen in `sitelines_min_articles` articles of one partition). The partition
    in the key is what lets the table's changelog and its expiry follow the raw partition's
    owner (`streams.tables.PartitionScopedTable`); keying the lines by site alone would need
    one more hop, a topic keyed by site, for every article."""
    return f"p{partition}/{site}"


def drop_site_lines(
    cleaned: CleanedArticle, identity: Identity, source: SourceRef, lookup: Lookup, options: StageOptions
) -> tuple[CleanedArticle, Mapping[str, Mapping[str, Any] | None]]:
    """`cleaned` without the lines its site has repeated in other articles, and the writes that
    record this article's lines (see `processors.sitelines`)."""
    if options.sitelines_min_articles <= 0:
        return cleaned, {}
    check = sitelines.check_lines(
        site_lines_scope(identity.site, source.partition),
        cleaned.paragraphs,
        identity.id,
        dedup.day_of(cleaned.fetched_at),
        lookup,
        options,
    )
    if check.drop:
        cleaned = replace(cleaned, paragraphs=check.kept(cleaned.paragraphs))
    return cleaned, check.writes


def dedup_url_step(
    value: bytes, lookup: Lookup, options: StageOptions, clock: Clock, pipeline_version: str
) -> StepResult:
    message = loads_extracted(value)
    article = message.article
    try:
        day = dedup.day_of(article.fetched_at)
        keys = dedup.lookup_keys(article.id, day, options.dedup_horizon_days)
        check = dedup.check_url(article, (lookup(k) for k in keys), _source_id(message.source))
    except StageError as exc:
        return dead_letter(exc, "dedup_url", message.source, message.payload, clock, article.url)
    if check.final:
        return _published(
            "dedup_url",
            article,
            check.candidate,
            message.source,
            clock,
            pipeline_version,
            check.writes,
            message.payload,
            options.max_record_bytes,
        )
    probe = ContentProbe(message.source, message.payload, article, check.fingerprint, check.candidate)
    return StepResult(
        "dedup_url",
        "content",
        check.fingerprint.encode(),
        dumps(probe),
        check.writes,
        url=article.url,
        source=message.source,
    )


def dedup_content_step(
    value: bytes,
    lookup: Lookup,
    options: StageOptions,
    clock: Clock,
    pipeline_version: str,
    band_partition: BandPartition,
) -> StepResult:
    probe = loads_probe(value)
    article = probe.article
    try:
        day = dedup.day_of(article.fetched_at)
        keys = dedup.lookup_keys(probe.fingerprint, day, options.dedup_horizon_days)
        check = dedup.check_content(
            article, probe.fingerprint, probe.candidate, (lookup(k) for k in keys), _source_id(probe.source)
        )
        if check.verdict.is_copy:
            return _published(
                "dedup_content",
                article,
                check.verdict,
                probe.source,
                clock,
                pipeline_version,
                check.writes,
                probe.payload,
                options.max_record_bytes,
            )
        sig = neardup.signature(article.text)
        sketch = neardup.sketch(sig)
    except StageError as exc:
        return dead_letter(exc, "dedup_content", probe.source, probe.payload, clock, article.url)
    by_partition: dict[int, list[str]] = {}
    for band_key in neardup.band_keys(sig):
        by_partition.setdefault(band_partition(band_key), []).append(band_key)
    route = tuple(BandStop(partition, tuple(keys)) for partition, keys in sorted(by_partition.items()))
    relay = BandRelay(probe.source, probe.payload, article.to_dict(), check.verdict, sketch, route)
    return StepResult(
        "dedup_content",
        "bands",
        route[0].band_keys[0].encode(),
        relay.to_bytes(),
        check.writes,
        url=article.url,
        source=probe.source,
        partition=route[0].partition,
    )


def dedup_bands_step(
    value: bytes, lookup: LookupMany, options: StageOptions, clock: Clock, pipeline_version: str
) -> StepResult:
    """Check the band keys of the relay's current stop against their stored entries; send the
    relay on to its next stop with their replies, or, at the last stop, decide and publish."""
    relay = BandRelay.from_bytes(value)
    here, rest = relay.route[0], relay.route[1:]
    article_id, fetched_at = relay.article["id"], relay.article["fetched_at"]
    url = relay.article.get("url")
    source = _source_id(relay.source)
    sig = neardup.from_sketch(relay.sketch)
    try:
        day = dedup.day_of(fetched_at)
        writes: dict[str, Mapping[str, Any]] = {}
        replies = list(relay.replies)
        keys = {band_key: neardup.lookup_keys(band_key, day, options.dedup_horizon_days) for band_key in here.band_keys}
        done = _decided_key(here.band_keys[-1], source, day) if options.decided_markers and not rest else None
        values = iter(lookup([k for band_keys in keys.values() for k in band_keys] + ([done] if done else [])))
        for band_key, band_keys in keys.items():
            found = {k: next(values) for k in band_keys}
            check = neardup.check_band(article_id, fetched_at, band_key, sig, found, source)
            writes.update(check.writes)
            replies.append(neardup.BandReply(band_key, check.candidates).to_dict())
        if rest:
            onward = replace(relay, route=rest, replies=tuple(replies))
            return StepResult(
                "dedup_bands",
                "bands",
                rest[0].band_keys[0].encode(),
                onward.to_bytes(),
                writes,
                url=url,
                source=relay.source,
                partition=rest[0].partition,
            )
        if done is not None:
            if next(values) is not None:
                # This input's relay was decided here already: a repeat of its message (an
                # upstream stop processed twice) publishes nothing more.
                return StepResult("dedup_bands", "none", None, b"", source=relay.source)
            writes[done] = {"at": clock.now}
        article = ExtractedArticle.from_dict(relay.article)
        verdict = neardup.decide(
            article.id,
            sig,
            [neardup.BandReply.from_dict(r) for r in replies],
            relay.candidate,
            threshold=options.near_duplicate_threshold,
        )
    except (StageError, ValueError) as exc:
        return dead_letter(exc, "dedup_bands", relay.source, relay.payload, clock, url)
    return _published(
        "dedup_bands",
        article,
        verdict,
        relay.source,
        clock,
        pipeline_version,
        writes,
        relay.payload,
        options.max_record_bytes,
    )


def _decided_key(last_band_key: str, source: str, day: int) -> str:
    """The bands-table key that records that the relay of input `source` was decided at its last
    stop. Before `#` is the stop's band key, so that the shell keeps the entry on the stop's
    partition (`streams.tables.DayKeyedTable.partition_for_key`), in the same transaction as the
    verdict; day-keyed, it expires with the band entries."""
    return dedup.state_key(f"{last_band_key}#decided:{source}", day)


def dead_letter(
    error: BaseException,
    stage: Stage,
    source: SourceRef,
    payload: bytes | None,
    clock: Clock,
    url: str | None,
) -> StepResult:
    record = dead_letter_record(error, stage, source, payload, clock.now, url)
    return StepResult(
        stage,
        "dead_letter",
        _key(url),
        orjson.dumps(record),
        error_kind=record["error"]["kind"],
        url=url,
        source=source,
    )


def _published(
    stage: Stage,
    article: ExtractedArticle,
    verdict: DedupVerdict,
    source: SourceRef,
    clock: Clock,
    pipeline_version: str,
    writes: Mapping[str, Mapping[str, Any] | None],
    payload: bytes,
    max_record_bytes: int,
) -> StepResult:
    record = article_record(article, verdict, source, clock.now, pipeline_version)
    value = orjson.dumps(record)
    if len(value) > max_record_bytes:
        error = StageError("record_too_large", f"the record is {len(value)} bytes, over {max_record_bytes}")
        return dead_letter(error, stage, source, payload, clock, article.url)
    role: Role = "duplicates" if verdict.is_copy else "enriched"
    return StepResult(
        stage,
        role,
        article.id.encode(),
        value,
        writes,
        verdict=verdict.status,
        url=article.url,
        source=source,
        fetched_at=article.fetched_at,
    )


def _source_id(source: SourceRef) -> str:
    return dedup.source_id(source.topic, source.partition, source.offset)


def _key(url: str | None) -> bytes | None:
    return url.encode("utf-8") if url else None
