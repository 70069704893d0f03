"""Deduplication: verdicts from state passed in, new state passed out.

Two decisions, each made where its state lives (the shell routes an article to the partition
that owns the key, through a topic keyed by it):

1. `check_url`, keyed by the article id (derived from the canonical URL): the same URL with the
   same body is a `duplicate` (a re-crawl, final here); with another body it is an `update`;
   never seen, it is a candidate `unique`. Either way the body's fingerprint is recorded.
2. `check_content`, keyed by the body's fingerprint: the same normalised body already seen under
   another id makes a `duplicate` of the earliest article that had it; otherwise the verdict of
   step 1 stands and this article becomes the body's first owner.

State is a key-value table per decision. Time lives in the keys (`<key>@<day>`, the day of the
article's `fetched_at` since the epoch): a lookup reads the keys of the last `horizon` days, a
write refreshes today's key, and `is_expired` tells the shell which keys to delete. Expiry thus
needs nothing but the keys, and survives a worker's recovery of its tables from the changelog.
Event time (not the wall clock) picks the day, so the offline mode and the workers, given the
same input order, reach the same verdicts.

The fingerprint is written by hand (xxh3-128 over a normalised body) because the normalisation
is the part that matters and no library fixes it for news text: Unicode NFKC, case folding, and
all punctuation and whitespace collapsed, so that quote styles and spacing do not make copies
look different.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import partial
from datetime import datetime
from typing import Any, Iterable, Mapping, Sequence

import xxhash

from processors import neardup
from processors.errors import DedupError
from schemas.models import DedupVerdict, ExtractedArticle

_EPOCH_SECONDS_PER_DAY = 86_400
#: Fingerprints of a URL's recent versions kept in its entry (bounds the entry's size).
MAX_VERSIONS = 8
#: Sketches of a URL's latest bodies kept in its entry (about 250 bytes each).
MAX_SKETCHES = 4
#: Earlier inputs whose decisions a URL's entry keeps beside its writer's (`seen`), for their replays.
MAX_SEEN = 8
#: `overlap` at or above which a version extracted from another format is the same body.
DEFAULT_RECRAWL_THRESHOLD = 0.8
_WORD = re.compile(r"[^\W_]+")
#: `_WORD` in a text without an underscore (a word character is a letter, a digit or one), where
#: it finds the same runs about a seventh faster.
_WORD_WITHOUT_UNDERSCORE = re.compile(r"\w+")

#: Value stored per article id: its latest body's fingerprint and time, recent versions, first seen.
UrlEntry = Mapping[str, Any]
#: A body as the URL entry keeps it: `fp`, `sketch` (`neardup.sketch`), `n` (its distinct
#: shingles), `format` (`html` or `text`, None when not known), `page` (`page_key`, absent when
#: not known), and `of`, the fingerprint of the version it is a re-crawl of in another format
#: (absent for a version of its own).
BodySketch = Mapping[str, Any]
#: Value stored per fingerprint: the id of the earliest article with that body, and its cluster.
ContentEntry = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class UrlCheck:
    """Outcome of `check_url`. `final` is set when the verdict needs no content check."""

    fingerprint: str
    candidate: DedupVerdict
    final: bool
    writes: dict[str, dict[str, Any]]
    #: The body's `neardup.sketch` and number of distinct shingles, which the near-duplicate
    #: steps need too (`size` None for a body kept by a copydesk that did not count them).
    sketch: str | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class ContentCheck:
    verdict: DedupVerdict
    writes: dict[str, dict[str, Any]]
    #: The article this one displaced as the body's original (stored first, fetched later).
    displaced: str | None = None


@dataclass(frozen=True, slots=True)
class NormalBody:
    """A body as its fingerprint and its shingles (`neardup.shingles`) read it: NFKC and case
    folded (`text`), and the runs of letters and digits in that (`words`). Made once per
    article, it is handed to both."""

    text: str
    words: list[str]

    @classmethod
    def of(cls, text: str, words: list[str] | None = None) -> NormalBody:
        """`words`, when given, are the text's words found already (the site-line check's of
        the lines the body was made of, `sitelines.SiteLinesCheck.kept_words`)."""
        normal = unicodedata.normalize("NFKC", text).casefold()
        return cls(normal, normal_words(normal) if words is None else words)


def normal_words(normal: str) -> list[str]:
    """The runs of letters and digits in a text normalised and case folded (`NormalBody.words`)."""
    return (_WORD if "_" in normal else _WORD_WITHOUT_UNDERSCORE).findall(normal)


def fingerprint(text: str | NormalBody) -> str:
    """xxh3-128 of the normal body's words joined by single spaces: all punctuation and
    whitespace between them collapsed."""
    body = text if isinstance(text, NormalBody) else NormalBody.of(text)
    if not body.words:
        raise DedupError("empty_fingerprint", "the body has no words to fingerprint")
    return xxhash.xxh3_128_hexdigest(" ".join(body.words).encode("utf-8"))


def day_of(rfc3339: str) -> int:
    try:
        moment = _moment(rfc3339)
    except ValueError:
        raise DedupError("invalid_time", f"fetched_at is not a time: {rfc3339[:64]!r}") from None
    return int(moment.timestamp()) // _EPOCH_SECONDS_PER_DAY


def state_key(key: str, day: int) -> str:
    return f"{key}@{day}"


def lookup_keys(key: str, day: int, horizon_days: int) -> list[str]:
    """Keys to read for `key` on `day`, newest first."""
    return [state_key(key, d) for d in range(day, day - horizon_days - 1, -1)]


def is_expired(stored_key: str, today: int, horizon_days: int) -> bool:
    _, _, day = stored_key.rpartition("@")
    try:
        return int(day) < today - horizon_days
    except ValueError:
        return True  # not a key this module wrote: nothing reads it, so it is garbage


def expired_keys(keys: Iterable[str], today: int, horizon_days: int) -> list[str]:
    return [k for k in keys if is_expired(k, today, horizon_days)]


def page_key(lines: Sequence[str]) -> str:
    """The identity of a page as cleaning read it: xxh3-128 of its candidate lines, before its
    site's repeated lines (`processors.sitelines`) are dropped. The same bytes clean to the same
    lines, whereas the body extracted from them depends on what the site has learnt meanwhile."""
    return xxhash.xxh3_128_hexdigest("\n".join(lines).encode("utf-8", "surrogatepass"))


def check_url(
    article: ExtractedArticle,
    found: Iterable[UrlEntry | None],
    source: str,
    source_format: str | None = None,
    threshold: float = DEFAULT_RECRAWL_THRESHOLD,
    page: str | None = None,
    words: list[str] | None = None,
) -> UrlCheck:
    """Decide from the URL's stored entries (`found`: the values at `lookup_keys`, newest first).

    The entry remembers the URL's latest body (`fp`, `fetched_at`) and the fingerprints of its
    recent versions, because re-crawls arrive out of order: a body equal to a version already
    seen, fetched no later than the latest one, is a stale re-crawl (`duplicate`), not an update
    that takes the URL back in time. The same body fetched later than a newer version is a real
    revert, an `update`.

    Equal means the same fingerprint or, for a body in a format (`source_format`: `html` or
    `text`) the URL has not been crawled in yet (the entry's `formats`), an `overlap` of at
    least `threshold` with a version from the other format: the two extractions of one page
    differ by the furniture the page-text path keeps and the lines either drops, and such a
    re-crawl is a `duplicate`, not an update. The body is then kept as an alias of that version
    (`of`), and later crawls in its format compare by fingerprint: within one format the
    extraction is the same each time, and another fingerprint is another body. The verdict's `similarity` is
    the overlap with the version it re-crawls or, for an update, with the latest version.
    Sketches of the latest `MAX_SKETCHES` bodies are kept (an entry written before they were
    kept has none: its versions compare by fingerprint, and an update of it has similarity 0).

    A body is also known by its page (`page`, `page_key` of the lines it was extracted from):
    the same page cleaned again is the same body even when the site's lines it lost differ (its
    site learnt one more line between the two, or a worker's table lost what it had learnt), so
    an identical resend stays a `duplicate` and its fingerprint is taken to be the kept body's.
    `words`, when given, are the body's words as `NormalBody` finds them.

    `source` names the input (its Kafka coordinates). An entry that the same input wrote, or
    that names it among the last `MAX_SEEN` inputs decided before its writer (`seen`), means the
    input is being processed again after a restart (at-least-once delivery): the decision stored
    for it is returned unchanged, so a replay never judges an article a copy of itself, also
    when a later input of the URL (an identical resend) rewrote the entry before the restart.
    The replay writes the entry again unchanged, under the key it was read from (`found` holds
    one day per value): a worker restarted after a kill -9 may find it in its local store
    although its changelog record was never sent.
    """
    normal = NormalBody.of(article.text, words)
    fp = fingerprint(normal)
    day = day_of(article.fetched_at)
    age, latest = next(((age, entry) for age, entry in enumerate(found) if entry), (0, None))
    earlier = _decision_of(latest, source, article.id)
    if earlier is not None:
        return UrlCheck(fp, *earlier, {state_key(article.id, day - age): latest})
    bodies = list((latest or {}).get("bodies") or ())
    formats = {b.get("format") for b in bodies} | set((latest or {}).get("formats") or ())
    known = next((b for b in bodies if b["fp"] == fp), None)
    if known is None and page is not None:
        known = next((b for b in bodies if b.get("page") == page), None)
        if known is not None:
            fp = known["fp"]
    if known is not None:
        body = known
    else:
        sig, size = neardup.signature_and_size(normal)
        body = {"fp": fp, "sketch": neardup.sketch(sig), "n": size, "format": source_format}
        if page is not None:
            body["page"] = page
    if latest is None:
        verdict, final = DedupVerdict("unique", None, article.id, 0.0), False
        entry = _url_entry(fp, article.fetched_at, article.fetched_at, article.id, [fp], [body])
    else:
        versions = list(latest.get("versions") or [latest["fp"]])
        newer = article.fetched_at > latest["fetched_at"]
        match = _matched(body, known, versions, bodies, formats, latest["fp"], threshold)
        if match is not None and (match[0] == latest["fp"] or not newer):
            version, similarity = match
            verdict, final = DedupVerdict("duplicate", article.id, latest["cluster_id"], similarity), True
            if known is None and version == latest["fp"]:
                bodies.append({**body, "of": version} if fp != version else body)
            entry = _url_entry(
                latest["fp"], latest["fetched_at"], latest["first_seen"], latest["cluster_id"], versions, bodies
            )
        else:
            # An update's similarity to the latest version (its sketches decoded only here).
            current = [b for b in bodies if _version(b) == latest["fp"]]
            to_latest = (
                1.0 if _version(body) == latest["fp"] else max(map(partial(_similarity, body), current), default=0.0)
            )
            verdict, final = DedupVerdict("update", None, latest["cluster_id"], to_latest), False
            if fp not in versions:
                versions = (versions + [fp])[-MAX_VERSIONS:]
            if known is None:
                bodies.append(body)
            current_fp, current_at = (fp, article.fetched_at) if newer else (latest["fp"], latest["fetched_at"])
            entry = _url_entry(current_fp, current_at, latest["first_seen"], latest["cluster_id"], versions, bodies)
    formats = (formats | {source_format}) - {None}
    entry.update(src=source, verdict=verdict.to_dict(), final=final, formats=sorted(formats))
    if latest is not None and "src" in latest:
        v = latest["verdict"]
        seen = [*(latest.get("seen") or ()), [latest["src"], v["status"], v["similarity"], bool(latest["final"])]]
        entry["seen"] = seen[-MAX_SEEN:]
    return UrlCheck(fp, verdict, final, {state_key(article.id, day): entry}, body["sketch"], body.get("n"))


def _decision_of(entry: UrlEntry | None, source: str, article_id: str) -> tuple[DedupVerdict, bool] | None:
    """The verdict and finality the URL's `entry` records for the input `source`, if it has one:
    its writer's, or one of `seen` (`[source, status, similarity, final]`, whose `duplicate_of`
    is the article itself and whose cluster is the URL's)."""
    if entry is None:
        return None
    if entry.get("src") == source:
        return DedupVerdict.from_dict(entry["verdict"]), bool(entry["final"])
    for src, status, similarity, final in entry.get("seen") or ():
        if src == source:
            duplicate_of = article_id if status == "duplicate" else None
            return DedupVerdict(status, duplicate_of, entry["cluster_id"], similarity), final
    return None


def _version(body: BodySketch) -> str:
    """The version a kept body is: its own fingerprint, or the one it is a re-crawl of."""
    return body.get("of") or body["fp"]


def _matched(
    body: BodySketch,
    known: BodySketch | None,
    versions: list[str],
    bodies: list[BodySketch],
    formats: set[str | None],
    latest_fp: str,
    threshold: float,
) -> tuple[str, float] | None:
    """The version `body` is a re-crawl of and their similarity, or None for a new version
    (`known`: the kept body with its fingerprint, if any)."""
    if known is not None:
        return _version(known), 1.0
    if body["fp"] in versions:
        return body["fp"], 1.0
    if body.get("format") is None or body["format"] in formats:
        return None
    scored = [(_similarity(body, b), _version(b) == latest_fp, _version(b)) for b in bodies if b.get("format")]
    passed = [(similarity, is_latest, version) for similarity, is_latest, version in scored if similarity >= threshold]
    if not passed:
        return None
    similarity, _, version = max(passed)
    return version, similarity


def _similarity(body: BodySketch, stored: BodySketch) -> float:
    return 1.0 if body["fp"] == stored["fp"] else overlap(body, stored)


def overlap(a: BodySketch, b: BodySketch) -> float:
    """The estimated share of the smaller body's shingles found in the other one (1.0: one
    body holds the other), from the two sketches and sizes: Jaccard J of sets of sizes m and n
    means an intersection of J (m + n) / (1 + J)."""
    jaccard = neardup.estimate_similarity(neardup.from_sketch(a["sketch"]), neardup.from_sketch(b["sketch"]))
    return round(neardup.overlap_share(jaccard, a["n"], b["n"]), 4)


def _url_entry(
    fp: str, fetched_at: str, first_seen: str, cluster_id: str, versions: list[str], bodies: list[Any]
) -> dict[str, Any]:
    kept = [b for b in bodies if b is not None][-MAX_SKETCHES:]
    return {
        "fp": fp,
        "fetched_at": fetched_at,
        "first_seen": first_seen,
        "cluster_id": cluster_id,
        "versions": versions,
        "bodies": kept,
    }


def check_content(
    article: ExtractedArticle,
    fp: str,
    candidate: DedupVerdict,
    found: Iterable[ContentEntry | None],
    source: str,
) -> ContentCheck:
    """Decide from the fingerprint's stored entries (values at `lookup_keys(fp, ...)`).

    As in `check_url`, an entry written by this very input returns the decision made then, and
    is written again.
    A stored owner fetched strictly later than this article was only processed first: this
    article takes its place as the body's original, and the check names it as `displaced`
    (it becomes a copy of this article's original; see `fetched_later`).
    """
    day = day_of(article.fetched_at)
    owner = next((entry for entry in found if entry), None)
    if owner is not None and owner.get("src") == source:
        return ContentCheck(DedupVerdict.from_dict(owner["verdict"]), {state_key(fp, day): owner}, owner.get("displaced"))
    displaced = None
    if owner is not None and owner["id"] != article.id and fetched_later(owner["first_seen"], article.fetched_at):
        displaced, owner = owner["id"], None  # stored first, fetched later: this one is the original
    if owner is None or owner["id"] == article.id:
        verdict = candidate
        entry = {
            "id": article.id,
            "cluster_id": candidate.cluster_id,
            "first_seen": owner["first_seen"] if owner else article.fetched_at,
        }
        displaced = displaced or (owner or {}).get("displaced")  # a repeat of this article says it again
    else:
        verdict = DedupVerdict("duplicate", owner["id"], owner["cluster_id"], 1.0)
        entry = {"id": owner["id"], "cluster_id": owner["cluster_id"], "first_seen": owner["first_seen"]}
        if owner.get("displaced"):
            entry["displaced"] = owner["displaced"]
    entry["src"] = source
    entry["verdict"] = verdict.to_dict()
    if displaced:
        entry["displaced"] = displaced
    return ContentCheck(verdict, {state_key(fp, day): entry}, displaced)


def fetched_later(a: str, b: str) -> bool:
    """Whether fetch time `a` is strictly later than `b` (RFC 3339 in UTC, as intake writes them).

    The order of copies: the original of a set of copies is the one fetched first. Copies fetched
    at the same moment keep the order in which dedup saw them (in the offline mode and on one
    partition, the input order), so that a tie never makes one article displace another."""
    return _moment(a) > _moment(b)


def _moment(rfc3339: str) -> datetime:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))


def source_id(topic: str, partition: int, offset: int) -> str:
    return f"{topic}/{partition}/{offset}"
