"""The steps of the chain, each from one message's bytes to its routed results.

A step is what one agent does to one message, minus the I/O: it decodes the message, calls the
stage, and says where the result goes (a topic role, a key, the bytes) and which table writes go
with it. Stage errors become dead-letter results here, so that the workers and the offline mode
(`copydesk process`) emit the same records for the same input; the shell owns only the clock,
the tables and the topics.

Dedup steps read state through `lookup` (a read-only view of the step's table) and return the
writes to apply (a value of None deletes the key); they never keep state of their own.

Near-duplicates go through the band partitions in turn and are decided at the gather (see
`processors.neardup`): the content step sends one probe, with the article, its MinHash sketch
(the signature's low bytes, all that the later steps use: 172 characters instead of 128 integers
of up to 20 digits) and its band keys grouped by the partition that owns them, to the first of
those partitions (role "none", the probe in `more`); each band step checks its own keys, adds
their replies to the probe and sends it on to the next partition; the last one sends the article
and every reply to the gather partition of its input (`gather_key`, the input's coordinates),
which decides at once and publishes the verdict. The gather still reads the parts an older
worker sent apart (the article, then each band partition's replies), storing them until all have
arrived (role "none" meanwhile).

Cleaning hands its result on to extraction in the same agent (role `HANDED_ON`, no topic): the
two are stateless and keyed alike, so a hop between them would buy nothing. The result goes as
the `Cleaned` value itself (`StepResult.handed`), never serialised. A caller that runs the next
step itself, in the same process (the offline mode), asks any step for the same (`in_process`):
the message it would send to an internal topic comes as the object in `handed` (or in the
emission's), `value` empty, and the next step takes it as it takes the message's bytes; the same
decisions are made on the same data, only the encoding between the steps is left out. The
input's original bytes stop there: later messages carry its coordinates, and a later stage's
dead letter names them instead of repeating the bytes (`schemas.internal`).

An article decided as new (unique or update) goes on to enrichment (role "enrich":
`enrich_step`, keywords, entities and quotes) before it is published; a copy is published at
once, unenriched.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Literal, Mapping, Sequence

import orjson

from processors import dedup, neardup, sitelines
from processors.cleaning import clean
from processors.enrichment import enrich_many
from processors.errors import StageError
from processors.extraction import Identity, extract, identify
from processors.intake import decode_raw
from processors.options import StageOptions
from processors.records import article_record, correction_record, dead_letter_record, url_hint
from schemas.internal import (
    BandProbe,
    Cleaned,
    ContentProbe,
    Extracted,
    Item,
    dumps,
    enrich_request,
    gather_complete,
    gather_replies,
    loads_extracted,
    loads_probe,
    loads_to_enrich,
    parse_item,
)
from schemas.models import CleanedArticle, DedupVerdict, ExtractedArticle, SourceRef

#: Where a step's result goes: a topic's role, `HANDED_ON` to the next step in the same agent
#: (cleaning's result, to extraction), or nowhere ("none").
Role = Literal[
    "cleaned", "extracted", "content", "bands", "gather", "enrich", "enriched", "duplicates", "dead_letter", "none"
]
Stage = Literal["cleaning", "extraction", "dedup_url", "dedup_content", "dedup_bands", "dedup_gather", "enrichment"]
Lookup = Callable[[str], Mapping[str, Any] | None]
#: The near-duplicate index: the entries stored under each of the band keys, in their order.
BandLookup = Callable[[Sequence[str]], Sequence[Sequence[Mapping[str, Any]]]]
#: The partition that owns a band key on the bands topic (Kafka's default partitioner).
BandPartition = Callable[[str], int]
HANDED_ON: Role = "cleaned"
_ARTICLE_FIELDS = frozenset(ExtractedArticle.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class Emission:
    """A further message a step sends, to an explicit partition when one is given."""

    role: Role
    key: bytes | None
    value: bytes
    partition: int | None = None
    #: The message itself when the step ran `in_process` (then `value` is empty).
    handed: Any = None


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
    #: What a `HANDED_ON` result hands to the next step in the same agent, or an internal
    #: message as the object when the step ran `in_process` (then `value` is empty).
    handed: Any = None


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


def extract_step(
    message: Cleaned,
    options: StageOptions,
    clock: Clock,
    site_lines: Lookup | None = None,
    *,
    in_process: bool = False,
) -> StepResult:
    """Extraction, after the lines the article's site repeats are dropped when `site_lines`
    (a view of the site-lines table) is given; the result carries that table's writes, and the
    page's identity from before the drop (`dedup.page_key`), by which the URL check knows the
    same page whatever the site had learnt."""
    cleaned, check = message.article, None
    page = dedup.page_key(cleaned.paragraphs)
    try:
        identity = identify(cleaned)
        if site_lines is not None:
            cleaned, check = drop_site_lines(cleaned, identity, message.source, site_lines, options)
        article = extract(cleaned, options, identity)
    except StageError as exc:
        return dead_letter(exc, "extraction", message.source, message.payload, clock, message.article.url)
    words = check.kept_words() if check is not None and in_process else None
    out = Extracted(message.source, article, cleaned.source_format, page, words)
    writes = check.writes if check is not None else {}
    return StepResult(
        "extraction",
        "extracted",
        article.id.encode(),
        writes=writes,
        url=article.url,
        source=message.source,
        **_sent(out, dumps, in_process),
    )


def site_lines_scope(site: str, partition: int) -> str:
    """The state key base of a site's lines as learnt on one input partition: `p<partition>/<site>`.

    The site-lines table lives beside the raw topic, whose messages are keyed by URL, so a
    site's articles spread over its partitions. Each partition writes what its own articles
    print, under keys that name it: one writer per key, and the partition in the key lets the
    table's changelog and its expiry follow the raw partition's owner
    (`streams.tables.PartitionScopedTable`). An article is checked against the site's lines as
    every partition learnt them (`site_lines_scopes`), so a line counts the site's articles
    wherever they landed; keying the lines by site alone would need one more hop, a topic
    keyed by site, for every article."""
    return f"p{partition}/{site}"


def site_lines_scopes(site: str, partition: int, partitions: int) -> tuple[str, list[str]]:
    """The key base an article on `partition` writes its site's lines under, and those of the
    raw topic's other partitions (of `partitions`; 1: none), read with it."""
    others = [site_lines_scope(site, p) for p in range(partitions) if p != partition] if partitions > 1 else []
    return site_lines_scope(site, partition), others


def drop_site_lines(
    cleaned: CleanedArticle, identity: Identity, source: SourceRef, lookup: Lookup, options: StageOptions
) -> tuple[CleanedArticle, sitelines.SiteLinesCheck | None]:
    """`cleaned` without the lines its site has repeated in other articles, and the check that
    said so, with the writes that record this article's lines (see `processors.sitelines`);
    None when the options learn no site lines."""
    if options.sitelines_min_articles <= 0:
        return cleaned, None
    own, others = site_lines_scopes(identity.site, source.partition, options.sitelines_partitions)
    check = sitelines.check_lines(
        own, cleaned.paragraphs, identity.id, dedup.day_of(cleaned.fetched_at), lookup, options, others
    )
    if check.drop:
        cleaned = replace(cleaned, paragraphs=check.kept(cleaned.paragraphs))
    return cleaned, check


def dedup_url_step(
    value: Item | Extracted,
    lookup: Lookup,
    options: StageOptions,
    clock: Clock,
    pipeline_version: str,
    *,
    in_process: bool = False,
) -> StepResult:
    message = loads_extracted(value)
    article = message.article
    try:
        day = dedup.day_of(article.fetched_at)
        keys = dedup.lookup_keys(article.id, day, options.dedup_horizon_days)
        check = dedup.check_url(
            article,
            (lookup(k) for k in keys),
            _source_id(message.source),
            message.source_format,
            options.recrawl_threshold,
            message.page,
            message.words,
        )
    except StageError as exc:
        return dead_letter(exc, "dedup_url", message.source, None, clock, article.url)
    if check.final:
        return _published(
            "dedup_url",
            article,
            check.candidate,
            message.source,
            clock,
            pipeline_version,
            check.writes,
            options,
            in_process,
        )
    probe = ContentProbe(message.source, article, check.fingerprint, check.candidate, check.sketch, check.size)
    return StepResult(
        "dedup_url",
        "content",
        check.fingerprint.encode(),
        writes=check.writes,
        url=article.url,
        source=message.source,
        **_sent(probe, dumps, in_process),
    )


def dedup_content_step(
    value: Item | ContentProbe,
    lookup: Lookup,
    options: StageOptions,
    clock: Clock,
    pipeline_version: str,
    band_partition: BandPartition,
    *,
    in_process: bool = False,
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
                options,
                in_process,
            )
        if probe.sketch:
            sig, size = neardup.from_sketch(probe.sketch), probe.size
        else:
            sig, size = neardup.signature_and_size(article.text)
        sketch = probe.sketch or neardup.sketch(sig)
    except StageError as exc:
        return dead_letter(exc, "dedup_content", probe.source, None, clock, article.url)
    gather_key = _source_id(probe.source)
    by_partition: dict[int, list[str]] = {}
    for band_key in neardup.band_keys(sig):
        by_partition.setdefault(band_partition(band_key), []).append(band_key)
    (first, first_keys), *later = sorted(by_partition.items())
    relay = BandProbe(
        gather_key,
        article.id,
        article.fetched_at,
        sketch,
        tuple(first_keys),
        probe.source,
        route=tuple((partition, tuple(keys)) for partition, keys in later),
        part=first_keys[0],
        article=article.to_dict(),
        candidate=check.verdict.to_dict(),
        displaced=check.displaced,
        size=size,
    )
    return StepResult(
        "dedup_content",
        "none",
        None,
        b"",
        check.writes,
        url=article.url,
        source=probe.source,
        more=(
            Emission("bands", first_keys[0].encode(), partition=first, **_sent(relay, BandProbe.to_bytes, in_process)),
        ),
    )


def dedup_bands_step(
    value: Item | BandProbe, lookup: BandLookup, options: StageOptions, clock: Clock, *, in_process: bool = False
) -> StepResult:
    """Check the probe's band keys against the articles stored under them (one read of the
    index for all of them), then send the probe on to its next band partition with these replies
    added, or, from the last one, every reply to the gather step as one part."""
    probe = BandProbe.from_bytes(value)
    try:
        check = neardup.check_bands(
            probe.article_id,
            probe.fetched_at,
            probe.band_keys,
            probe.sketch,
            lookup(probe.band_keys),
            _source_id(probe.source),
            options.dedup_horizon_days,
            size=probe.size,
            site=(probe.article or {}).get("site"),
        )
    except StageError as exc:
        return dead_letter(exc, "dedup_bands", probe.source, None, clock, None)
    # In process the replies go on as they are; the gather step reads both.
    replies = (*probe.replies, *(check.replies if in_process else (reply.to_dict() for reply in check.replies)))
    if probe.route:
        (partition, band_keys), *rest = probe.route
        onward = replace(probe, band_keys=band_keys, route=tuple(rest), replies=replies)
        forward = Emission(
            "bands", band_keys[0].encode(), partition=partition, **_sent(onward, BandProbe.to_bytes, in_process)
        )
        return StepResult("dedup_bands", "none", None, b"", check.writes, source=probe.source, more=(forward,))
    if probe.article is not None:
        reply = gather_complete(probe, list(replies))
    else:  # an older worker's probe: its article waits in the gather for this part
        reply = gather_replies(probe.part, list(replies), probe.source, probe.fetched_at)
    return StepResult(
        "dedup_bands",
        "gather",
        probe.gather_key.encode(),
        writes=check.writes,
        source=probe.source,
        **_sent(reply, orjson.dumps, in_process),
    )


def dedup_gather_step(
    value: Item, lookup: Lookup, options: StageOptions, clock: Clock, pipeline_version: str, *, in_process: bool = False
) -> StepResult:
    """Decide an article from its band replies.

    The probe's last band partition sends the article with every reply (kind "complete"): the
    decision is made at once and nothing is stored. An older worker sent the article ("pending")
    and each band partition's replies ("replies") apart: those are stored under keys of their own
    (`_reply_key`), each written once, until all have arrived; a part that completes the gather
    is not stored at all, and the stored ones are deleted with the verdict."""
    part = parse_item(value)
    source = SourceRef.from_dict(part["source"])
    if part["kind"] == "complete":
        return _decided(part, part["replies"], source, {}, options, clock, pipeline_version, in_process)
    gather_key = _source_id(source)
    fetched_at = part["article"]["fetched_at"] if part["kind"] == "pending" else part["fetched_at"]
    day = dedup.day_of(fetched_at)
    article_key = dedup.state_key(gather_key, day)
    if part["kind"] == "pending":
        pending = {k: part[k] for k in ("article", "candidate", "sketch", "n", "parts") if k in part}
        if part.get("displaced"):
            pending["displaced"] = part["displaced"]
        arrived = {article_key: pending}
    else:
        arrived = {_reply_key(gather_key, part["part"], day): {"replies": part["replies"]}}
        pending = lookup(article_key)
    if pending is None:
        return StepResult("dedup_gather", "none", None, b"", arrived, source=source)
    reply_keys = [_reply_key(gather_key, p, day) for p in pending["parts"]]
    stored = [arrived.get(k) or lookup(k) for k in reply_keys]
    if any(entry is None for entry in stored):
        return StepResult("dedup_gather", "none", None, b"", arrived, source=source)
    done = {k: None for k in (article_key, *reply_keys) if k not in arrived}
    replies = [r for entry in stored for r in entry["replies"]]
    return _decided(pending, replies, source, done, options, clock, pipeline_version, in_process)


def _decided(
    waiting: Mapping[str, Any],
    replies: Sequence[Mapping[str, Any]],
    source: SourceRef,
    writes: Mapping[str, Mapping[str, Any] | None],
    options: StageOptions,
    clock: Clock,
    pipeline_version: str,
    in_process: bool = False,
) -> StepResult:
    """The verdict of an article (`waiting`: its `article`, `candidate`, `sketch`, shingle count
    `n` when known, and the exact copy it `displaced`, if any) from the replies of all its bands, published with the
    corrections of the copies it displaced as the original."""
    article = ExtractedArticle.from_dict(waiting["article"])
    try:
        decision = neardup.decide(
            article.id,
            neardup.from_sketch(waiting["sketch"]),
            [r if isinstance(r, neardup.BandReply) else neardup.BandReply.from_dict(r) for r in replies],
            DedupVerdict.from_dict(waiting["candidate"]),
            threshold=options.near_duplicate_threshold,
            fetched_at=article.fetched_at,
            size=waiting.get("n"),
            # The site is in this article's band entries only if its probes carried the article.
            site=article.site if waiting.get("kind") == "complete" else None,
            min_length_ratio=options.near_duplicate_min_length_ratio,
            other_site_min_length_ratio=options.near_duplicate_other_site_min_length_ratio,
        )
    except (StageError, ValueError) as exc:
        return dead_letter(exc, "dedup_gather", source, None, clock, article.url)
    result = _published(
        "dedup_gather", article, decision.verdict, source, clock, pipeline_version, writes, options, in_process
    )
    if result.role == "dead_letter":
        return result
    verdict = decision.verdict
    original = verdict.duplicate_of if verdict.is_copy else article.id
    displaced = {waiting["displaced"]: ("duplicate", 1.0)} if waiting.get("displaced") else {}
    for copy_id, similarity in decision.displaced:
        displaced.setdefault(copy_id, ("near_duplicate", similarity))
    corrections = tuple(
        Emission(
            "duplicates",
            copy_id.encode(),
            orjson.dumps(
                correction_record(
                    copy_id,
                    DedupVerdict(status, original, verdict.cluster_id, similarity),
                    source,
                    clock.now,
                    pipeline_version,
                )
            ),
        )
        for copy_id, (status, similarity) in sorted(displaced.items())
        if copy_id != original
    )
    return replace(result, more=corrections)


def _reply_key(gather_key: str, part: str, day: int) -> str:
    """The gather table's key of one band partition's reply (`part`: its first band key). What
    precedes `#` is the input, so that the shell keeps the entry on the input's partition beside
    the article (`streams.tables.DayKeyedTable.partition_for_key`)."""
    return dedup.state_key(f"{gather_key}#{part}", day)


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
    options: StageOptions,
    in_process: bool = False,
) -> StepResult:
    """The outcome of a decided article: a copy's record goes to duplicates as it is; an article
    published as new (unique or update) goes to the enrichment step first (role "enrich"), its
    request also handed on as the object when `in_process` (its size is measured all the same)."""
    record = article_record(article, verdict, source, clock.now, pipeline_version)
    request = None if verdict.is_copy else enrich_request(record, source.timestamp_ms)
    value = orjson.dumps(record if request is None else request)
    if len(value) > options.max_record_bytes:
        error = StageError("record_too_large", f"the record is {len(value)} bytes, over {options.max_record_bytes}")
        return dead_letter(error, stage, source, None, clock, article.url)
    return StepResult(
        stage,
        "duplicates" if verdict.is_copy else "enrich",
        article.id.encode(),
        value,
        writes,
        handed=request if in_process else None,
        verdict=verdict.status,
        url=article.url,
        source=source,
        fetched_at=article.fetched_at,
    )


def enrich_step(value: Item, options: StageOptions, clock: Clock) -> StepResult:
    """Enrichment of one decided article: its record for enriched, with keywords, entities and
    quotes (`processors.enrichment`)."""
    return enrich_steps([value], options, clock)[0]


def enrich_steps(values: Sequence[Item], options: StageOptions, clock: Clock) -> list[StepResult]:
    """`enrich_step` of each message, with one call of the entity model for the whole batch."""
    requests = [loads_to_enrich(v) for v in values]
    articles = [ExtractedArticle.from_dict(record) for record, _ in requests]
    results = []
    for (record, source), article in zip(requests, enrich_many(articles, options)):
        record = {**article.to_dict(), **{k: v for k, v in record.items() if k not in _ARTICLE_FIELDS}}
        record["processed_at"] = clock.now
        value = orjson.dumps(record)
        if len(value) > options.max_record_bytes:
            error = StageError("record_too_large", f"the record is {len(value)} bytes, over {options.max_record_bytes}")
            results.append(dead_letter(error, "enrichment", source, None, clock, article.url))
            continue
        results.append(
            StepResult(
                "enrichment", "enriched", article.id.encode(), value, url=article.url, source=source,
                fetched_at=article.fetched_at,
            )
        )
    return results


def _source_id(source: SourceRef) -> str:
    return dedup.source_id(source.topic, source.partition, source.offset)


def _key(url: str | None) -> bytes | None:
    return url.encode("utf-8") if url else None


def _sent(message: Any, encode: Callable[[Any], bytes], in_process: bool) -> dict[str, Any]:
    """A step's internal message as its result carries it: the object itself when the caller
    runs the next step `in_process`, else its bytes for the topic."""
    return {"value": b"", "handed": message} if in_process else {"value": encode(message)}
