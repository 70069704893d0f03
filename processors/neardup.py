"""Near-duplicate detection: MinHash signatures, LSH bands, and a verdict from gathered replies.

An article that exact dedup did not settle (a candidate `unique` or `update`) goes through
three steps, which the shell runs as a scatter-gather through Kafka:

1. **Route** (anywhere): `signature` of the body, then `band_keys`: one key per band. The shell
   sends the band keys to the partitions that own them, one partition after the other, so that
   every article with the same band lands on the same partition and meets the others there.
2. **Band** (on the partition that owns the band keys): `check_bands` reads the band keys'
   stored entries, replies with the articles already there (`BandReply`) and returns the write
   that adds this one. Each partition handles its messages one at a time, and a
   message's table write is visible to the next: that order is what the concurrency rule rests on.
3. **Gather** (keyed by the input, once the replies of every band are in): `decide` turns the
   replies into a verdict.

Signature. Words are the body's words as `dedup.fingerprint` sees them (NFKC, case folded,
punctuation and spacing ignored); scripts written without spaces (Chinese, Japanese kana,
Thai, Lao, Khmer, Myanmar) count one character as a word, or a Japanese article would be a dozen
"words". Shingles are runs of `shingle_words` (5) words: long enough that two different stories
on one topic share almost none (their stock phrases are shorter), short enough that an edit
costs few shingles (a changed word touches 5). A body of fewer than 5 words is one shingle. The
size is otherwise fixed, never shrunk for short bodies: a copy with furniture added would cross
the length limit and be shingled differently from its original, and the two would never match.
MinHash is rensa's `RMinHash(num_perm, seed)` (Rust; about 3x datasketch's speed, see
bench/README.md), whose digest depends only on the tokens and the fixed seed, so every worker
computes the same signature.

Sketch. Entries store, per permutation, only the lowest byte of the MinHash value (b-bit
minwise hashing, Li and König 2010): 128 bytes instead of 512. Two articles agree on a byte with
probability J + (1 - J)/256, which `estimate_similarity` corrects for; the estimate is as
precise as with full values (its spread is that of 128 samples either way). The band keys are
made of the same bytes, so anyone holding a sketch can recompute an article's band keys: that
is what lets `decide` apply the concurrency rule to a candidate it only knows from its entry.

Bands. `bands` = 21 bands of `rows` = 6 bytes (126 of the 128 permutations). Two articles of
Jaccard similarity s share at least one band with probability 1 - (1 - s^6)^21:

    s       0.5     0.7     0.8     0.9
    P     0.282   0.928   0.998   1.000   (0.9: 1 - 1.2e-7)

so at the default threshold 0.8 a true copy becomes a candidate 99.8% of the time (16 bands of
8 rows would give 0.947; 32 of 4 would make 87% of 0.5-similar pairs candidates). Unrelated
bodies (s near 0) meet with probability 21 / 256^6, about 1e-13. A band key is
`"<band>:<its 6 bytes in hex>"` (14 characters): the bytes themselves, exact and shorter than a
hash of them.

State. What the band step reads is an index: per band key, the articles stored under it, each
entry an article's id, fetch time, sketch (base64), number of distinct shingles `n` and `site`
(each absent in an entry written before entries kept it), the input that wrote it, its day, and
`seq`, one more than the largest `seq` it found under that band key. What it writes is one
entry per band message (`entry_key`, day-keyed like dedup, so `dedup.is_expired` expires it),
naming the band keys the article was stored under and its `seq` in each: one changelog record
per message instead of one per band key, which is what the table's changelog costs. The index
is derived from those entries (`index_entries`) by the shell, and derived again from the table
after a recovery. No cluster id: at the band step an article's cluster is its own id (exact
dedup gives every `unique` and `update` its own), and its final verdict is known only after
the gather; so a near-duplicate's cluster is its original's id.
A band key holds at most `max_entries` (32) articles of one day; later ones are not stored
(they still get the reply). Bounded, because each band message reads the whole list: a story
republished a thousand times would otherwise cost O(n) per message, O(n^2) in all. The first 32
are kept rather than the last because the first are the originals: every later copy still
finds the article it copies, and its cluster. `check_bands` sees the entries `horizon` days on
**both** sides of the article's day, so that "A can see B's entry" holds exactly when "B can see
A's" (|day A - day B| <= horizon), whatever order the articles come in.

Similarity. Two bodies are copies when their `copy_similarity` reaches the threshold: their
estimated Jaccard similarity J, or, when both shingle counts m and n are known and
min(m, n) >= r x max(m, n), the estimated share of the smaller set found in the other,
J (m + n) / ((1 + J) min(m, n)), which is never below J. The share is what tells a copy that
each site printed with lines of its own (an author box here, a wire's credits there, the lists
or teasers one extraction keeps): J counts those lines of both against the pair, the share
only the shorter body's. The length bound r keeps a long article that quotes a short one in
full from being its copy (the share is then 1). It is `DEFAULT_MIN_LENGTH_RATIO` (0.8) for two
articles of one site, or when either site is not known, and the lower
`DEFAULT_OTHER_SITE_MIN_LENGTH_RATIO` (0.6) for two sites: one site's two bodies that hold one
another are its own versions of a story (a longer one written over a shorter one, both printed
with the site's own furniture, which the share counts as common text), while another site
printing a body within its own furniture is what syndication looks like. The measure is a
function of the two sketches, the two counts and the two sites only, so it is the same number
whichever of the two computes it: this article's count and site travel with it to the gather,
the candidate's are in its entry. An entry without a count is compared by J alone, one without
a site within the one-site bound.

Concurrency rule. For a candidate C in the replies, let i* be the lowest band index at which C's
band key (recomputed from C's sketch) equals this article's. This article may be judged a copy
of C only if C is in the reply of band i*; then, among the candidates that pass, the earliest
(by fetch time, then id) with similarity >= threshold is the original.

Why exactly one of two copies A and B is the original, however their 2 x 21 band messages
interleave: i* depends only on the two sketches, so A and B compute the same i* and both of
their messages for band i* carry the same key and go to the same partition. That partition
handles one of them first, say A's; A's reply cannot contain B (B writes its entry to that band
key only when its own message for band i* is handled), and B's reply contains A (A's entry was
written, is within B's window by the symmetry of the horizon, and is never dropped while
fewer than 32 entries precede it). So only B can judge the pair: B is the copy of A if their
similarity reaches the threshold, and A is not the copy of B whatever the measure. The measure
is symmetric and computed from what both sides hold (the two sketches, and the two shingle
counts and sites: B's own, carried by its messages, and A's, in A's entry; or, if either is
missing, the sketches alone or the one-site bound: an article's count and site are in its
entry exactly when its messages carry them), so
whether the pair are copies does not depend on which of them the partition handled first; only
which one is the original does: exactly one. Orders in other bands do not matter, since the
rule looks only at band i*. It does not hold when A's day list at band i* was already full
(neither is stored there; both then have 32 earlier articles of the same band to be copies
of), and it is pairwise: three copies arriving at the same moment
can form a cycle (A saw B at one band, B saw C at another, C saw A at a third), each then a
copy of another.

Replays. An entry that the same input wrote means the input is being processed again after a
restart: `check_bands` returns the entries of lower `seq` than its own, which are exactly those
it found the first time (a later writer that could have been seen has a higher `seq`, since it
saw this entry; entries are never dropped, only expired), and writes nothing. An input that
was not stored (full list) gets the entries that are there now.
"""

from __future__ import annotations

import base64
import re
import sys
from array import array
from dataclasses import dataclass
from operator import eq
from typing import Any, Iterable, Mapping, Sequence

import rensa

from processors import dedup
from processors.errors import DedupError
from schemas.models import DedupVerdict

DEFAULT_THRESHOLD = 0.8
#: The shorter body's share of the longer one's shingle count below which the overlap share does
#: not make a copy (only the Jaccard similarity can): a long article that quotes a short one in
#: full holds all of it, and is not its copy.
DEFAULT_MIN_LENGTH_RATIO = 0.8
#: The same bound for two articles of different sites (syndication: a copy printed within
#: another site's furniture, or a body extracted with more or less of its own page around it).
DEFAULT_OTHER_SITE_MIN_LENGTH_RATIO = 0.6
_SKETCH_MASK = 0xFF
_CHANCE = 1 / 256  # two unrelated values share their low byte this often
#: The size of an unsigned machine word of `array("Q")`, and where its lowest byte is in it.
_WORD_BYTES = array("Q").itemsize
_LOW_BYTE = 0 if sys.byteorder == "little" else _WORD_BYTES - 1
_UNSPACED = "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_UNSPACED = re.compile(f"[{_UNSPACED}]")
_WORD_OR_UNSPACED_CHAR = re.compile(f"[{_UNSPACED}]|[^\\W_{_UNSPACED}]+")

#: An article as the index holds it under one band key: id, fetched_at, sketch, seq, src, day.
IndexEntry = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class NearDupOptions:
    num_perm: int = 128
    #: Fixed, so that every process computes the same signatures: changing it orphans the state.
    seed: int = 1_729
    shingle_words: int = 5
    bands: int = 21
    rows: int = 6
    max_entries: int = 32

    def __post_init__(self) -> None:
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"{self.bands} bands of {self.rows} rows need more than {self.num_perm} permutations")


DEFAULT_OPTIONS = NearDupOptions()


@dataclass(frozen=True, slots=True)
class Candidate:
    """An article stored under a band key, as a reply carries it."""

    id: str
    fetched_at: str
    sketch: str  # base64 of the signature's low bytes
    seq: int
    #: Its body's number of distinct shingles (None in an entry written before entries kept it).
    n: int | None = None
    #: Its site (`ExtractedArticle.site`; None in an entry written before entries kept it).
    site: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {"id": self.id, "fetched_at": self.fetched_at, "sketch": self.sketch, "seq": self.seq}
        if self.n is not None:
            d["n"] = self.n
        if self.site is not None:
            d["site"] = self.site
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Candidate:
        return cls(d["id"], d["fetched_at"], d["sketch"], int(d["seq"]), d.get("n"), d.get("site"))


@dataclass(frozen=True, slots=True)
class NearDecision:
    """`decide`'s answer: this article's verdict, and the articles it displaces as the
    original: copies fetched later than it that were stored before it (`(id, similarity)`)."""

    verdict: DedupVerdict
    displaced: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class BandReply:
    """What one band step sends back to the gather step."""

    band_key: str
    candidates: tuple[Candidate, ...]

    @property
    def band(self) -> int:
        return int(self.band_key.partition(":")[0])

    def to_dict(self) -> dict[str, Any]:
        return {"band_key": self.band_key, "candidates": [c.to_dict() for c in self.candidates]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> BandReply:
        found = d["candidates"]
        return cls(d["band_key"], tuple(map(Candidate.from_dict, found)) if found else ())


@dataclass(frozen=True, slots=True)
class BandCheck:
    """`check_bands`' answer: one reply per band key, and the band table's write."""

    replies: tuple[BandReply, ...]
    writes: dict[str, dict[str, Any]]


def shingles(text: str | dedup.NormalBody, size: int) -> list[str]:
    body = text if isinstance(text, dedup.NormalBody) else dedup.NormalBody.of(text)
    # Most bodies need no more than the fingerprint's words.
    words = _WORD_OR_UNSPACED_CHAR.findall(body.text) if _HAS_UNSPACED.search(body.text) else body.words
    if not words:
        raise DedupError("empty_fingerprint", "the body has no words to fingerprint")
    size = min(size, len(words))
    return list(map(" ".join, zip(*(words[i:] for i in range(size)))))


def signature(text: str | dedup.NormalBody, options: NearDupOptions = DEFAULT_OPTIONS) -> tuple[int, ...]:
    return signature_and_size(text, options)[0]


def signature_and_size(
    text: str | dedup.NormalBody, options: NearDupOptions = DEFAULT_OPTIONS
) -> tuple[tuple[int, ...], int]:
    """The signature and the number of distinct shingles it was made of: with two bodies' sizes,
    their estimated Jaccard similarity gives the share of one found in the other."""
    grams = shingles(text, options.shingle_words)
    minhash = rensa.RMinHash(options.num_perm, options.seed)
    minhash.update(grams)
    return tuple(minhash.digest()), len(set(grams))


def sketch(sig: Sequence[int]) -> str:
    """The compact form stored in entries: each value's low byte, base64."""
    return base64.b64encode(_low_bytes(sig)).decode("ascii")


def from_sketch(sketch_: str) -> bytes:
    """A sketch's low bytes, which every function here takes in place of the signature."""
    return base64.b64decode(sketch_)


def band_keys(sig: Sequence[int], options: NearDupOptions = DEFAULT_OPTIONS) -> list[str]:
    return _band_keys(_low_bytes(sig), options)


def estimate_similarity(sig_a: Sequence[int], sig_b: Sequence[int]) -> float:
    """Estimated Jaccard similarity of the two shingle sets, from signatures or their low bytes."""
    return _similarity(_low_bytes(sig_a), _low_bytes(sig_b))


def overlap_share(jaccard: float, size_a: int, size_b: int) -> float:
    """The estimated share of the smaller of two shingle sets found in the other (1.0: one holds
    the other), from their Jaccard similarity J and sizes m and n: their intersection is
    J (m + n) / (1 + J)."""
    shared = jaccard * (size_a + size_b) / (1 + jaccard)
    return min(1.0, shared / max(1, min(size_a, size_b)))


def copy_similarity(
    jaccard: float, size_a: int | None, size_b: int | None, min_length_ratio: float = DEFAULT_MIN_LENGTH_RATIO
) -> float:
    """The similarity that decides whether two bodies are copies: the overlap share when both
    shingle counts are known and the smaller is at least `min_length_ratio` of the larger, else
    the Jaccard similarity. Symmetric in the two bodies, and never below the Jaccard similarity
    (the share of the smaller set is at least the share of the union), so reaching a threshold
    with it means: the Jaccard similarity reaches it, or the share does for bodies of comparable
    length."""
    if size_a is None or size_b is None or size_a <= 0 or size_b <= 0:
        return jaccard
    if min(size_a, size_b) < min_length_ratio * max(size_a, size_b):
        return jaccard
    return max(jaccard, overlap_share(jaccard, size_a, size_b))


def length_bound(
    site_a: str | None,
    site_b: str | None,
    same_site: float = DEFAULT_MIN_LENGTH_RATIO,
    other_site: float = DEFAULT_OTHER_SITE_MIN_LENGTH_RATIO,
) -> float:
    """The length bound of `copy_similarity`'s share for two articles of these sites: `other_site`
    when both are known and differ, else `same_site`. Symmetric in the two."""
    return other_site if site_a is not None and site_b is not None and site_a != site_b else same_site


def entry_key(band_keys: Sequence[str], source: str, day: int) -> str:
    """The band table's key of one band message's entry: `<its first band key>#<input>@<day>`.

    What precedes `#` is a band key of the message, so the shell keeps the entry on the partition
    that owns the message's band keys; the input makes it one entry per message."""
    return dedup.state_key(f"{band_keys[0]}#{source}", day)


def batch_entries(writes: Sequence[tuple[str, Mapping[str, Any]]]) -> dict[str, dict[str, Any]]:
    """The band table's writes of a batch of band messages handled one after the other on one
    partition: one value per day (`{"batch": [entry, ...]}`, in their order) under the key of
    that day's first entry. One changelog record per batch and day instead of one per message;
    `index_entries` reads it as the entries it holds."""
    merged: dict[int, tuple[str, list[Mapping[str, Any]]]] = {}
    for key, entry in writes:
        merged.setdefault(entry["day"], (key, []))[1].append(entry)
    return {key: {"batch": entries} for key, entries in merged.values()}


def index_entries(key: str, value: Mapping[str, Any]) -> list[tuple[str, IndexEntry]]:
    """The index entries (band key, entry) that one stored value stands for.

    A band message's entry (`check_bands`) names each band key it was stored under with its
    `seq`; a batch's value (`batch_entries`) holds several of them. A value of the older layout
    (`<band key>@<day>` -> `{"entries": [...]}`) is still read, so that a worker upgraded over
    its old state finds the articles stored before."""
    if "batch" in value:
        return [pair for entry in value["batch"] for pair in index_entries(key, entry)]
    if "seqs" in value:
        common = {k: value[k] for k in ("id", "fetched_at", "sketch", "src", "day", "n", "site") if k in value}
        return [(band_key, {**common, "seq": seq}) for band_key, seq in value["seqs"].items()]
    band_key, _, day = key.rpartition("@")
    return [(band_key, {**entry, "day": int(day)}) for entry in value.get("entries") or ()]


def check_bands(
    article_id: str,
    fetched_at: str,
    band_keys: Sequence[str],
    sketch_: str,
    found: Sequence[Sequence[IndexEntry]],
    source: str,
    horizon_days: int,
    options: NearDupOptions = DEFAULT_OPTIONS,
    size: int | None = None,
    site: str | None = None,
) -> BandCheck:
    """The articles stored under each of `band_keys` and the one write that adds this article.

    `found[i]` holds the index entries of `band_keys[i]` (any day; those more than
    `horizon_days` from this article's day are not seen). Candidates are other articles (another
    version of the same URL is an update, not a copy), oldest first. The write is a single entry
    for the message (`entry_key`), naming the band keys it was stored under and its `seq` in
    each: one changelog record per band message, the index being derived from it
    (`index_entries`). `size`, the body's number of distinct shingles, is kept in the entry
    (`n`) when known, so that a later article can estimate the share of one body in the other,
    and `site`, the article's site, when known, which chooses the length bound of that share.
    """
    day = dedup.day_of(fetched_at)
    # Most band keys hold no article yet: an empty one is answered without the scans below.
    windows = [[e for e in entries if abs(e["day"] - day) <= horizon_days] if entries else () for entries in found]
    mine = [
        next((e for e in stored if e["src"] == source and e["id"] == article_id), None) if stored else None
        for stored in windows
    ]
    replay = any(m is not None for m in mine)
    replies, seqs = [], {}
    for band_key, stored, own in zip(band_keys, windows, mine):
        if not stored:
            replies.append(BandReply(band_key, ()))
            if not replay and options.max_entries > 0:
                seqs[band_key] = 1
            continue
        if own is not None:
            candidates = _candidates(e for e in stored if e["seq"] < own["seq"] and e["id"] != article_id)
        else:
            candidates = _candidates(e for e in stored if e["id"] != article_id)
            if not replay and sum(1 for e in stored if e["day"] == day) < options.max_entries:
                seqs[band_key] = 1 + max((e["seq"] for e in stored), default=0)
        replies.append(BandReply(band_key, candidates))
    if not seqs:
        return BandCheck(tuple(replies), {})
    entry = {"id": article_id, "fetched_at": fetched_at, "sketch": sketch_, "src": source, "day": day, "seqs": seqs}
    if size is not None:
        entry["n"] = size
    if site is not None:
        entry["site"] = site
    return BandCheck(tuple(replies), {entry_key(band_keys, source, day): entry})


def decide(
    article_id: str,
    sig: Sequence[int],
    band_replies: Iterable[BandReply],
    candidate_verdict: DedupVerdict,
    threshold: float = DEFAULT_THRESHOLD,
    options: NearDupOptions = DEFAULT_OPTIONS,
    fetched_at: str | None = None,
    size: int | None = None,
    min_length_ratio: float = DEFAULT_MIN_LENGTH_RATIO,
    site: str | None = None,
    other_site_min_length_ratio: float = DEFAULT_OTHER_SITE_MIN_LENGTH_RATIO,
) -> NearDecision:
    """The verdict from the replies of all bands (see the concurrency rule in the module doc).

    `candidate_verdict` is exact dedup's (`unique` or `update`); it stands unless a copy
    (`copy_similarity` >= `threshold`, from the two sketches and, when both are known, this
    article's shingle count `size` and the candidate's, within the length bound of their sites
    (`length_bound` of this article's `site` and the candidate's: `min_length_ratio` for one
    site, `other_site_min_length_ratio` for two); passing the rule) fetched no later than this
    article (`fetched_at`) was stored before it: then this is a `near_duplicate` of the earliest such
    copy (its id is the cluster id). Copies that passed the rule but were fetched strictly later
    than this article came first only because they were processed first: they are `displaced`,
    copies of this article's original (see `processors.dedup.fetched_later`).
    """
    own = _low_bytes(sig)
    keys = _band_keys(own, options)
    seen = _seen_per_band(band_replies, keys)
    copies: list[tuple[Candidate, float]] = []
    for candidate in {c for band in seen for c in band}:
        if candidate.id == article_id:
            continue
        theirs = from_sketch(candidate.sketch)
        shared = (i for i, key in enumerate(_band_keys(theirs, options)) if key == keys[i])
        first_shared = next(shared, None)
        if first_shared is None or candidate not in seen[first_shared]:
            continue  # it reached our first common band after us: it is the copy, if anyone is
        bound = length_bound(site, candidate.site, min_length_ratio, other_site_min_length_ratio)
        similarity = copy_similarity(_similarity(own, theirs), size, candidate.n, bound)
        if similarity >= threshold:
            copies.append((candidate, round(similarity, 4)))
    later = [(c, sim) for c, sim in copies if fetched_at is not None and dedup.fetched_later(c.fetched_at, fetched_at)]
    earlier = [(c, sim) for c, sim in copies if (c, sim) not in later]
    displaced = tuple(sorted((c.id, sim) for c, sim in later))
    if not earlier:
        return NearDecision(candidate_verdict, displaced)
    original, similarity = min(earlier, key=lambda pair: _age(pair[0]))
    return NearDecision(DedupVerdict("near_duplicate", original.id, original.id, similarity), displaced)


def _candidates(entries: Iterable[Mapping[str, Any]]) -> tuple[Candidate, ...]:
    ordered = sorted(entries, key=lambda e: e["seq"])
    return tuple(map(Candidate.from_dict, ordered))


def _seen_per_band(replies: Iterable[BandReply], keys: list[str]) -> list[frozenset[Candidate]]:
    seen: list[frozenset[Candidate] | None] = [None] * len(keys)
    for reply in replies:
        band = reply.band
        if not 0 <= band < len(keys) or reply.band_key != keys[band] or seen[band] is not None:
            raise ValueError(f"reply for {reply.band_key!r} does not belong to this article's bands, or came twice")
        seen[band] = frozenset(reply.candidates)
    missing = [i for i, s in enumerate(seen) if s is None]
    if missing:
        raise ValueError(f"no reply for bands {missing}: the gather step must wait for all of them")
    return seen  # type: ignore[return-value]


def _age(candidate: Candidate) -> tuple[str, str]:
    return (candidate.fetched_at, candidate.id)


def _low_bytes(sig: Sequence[int] | bytes) -> bytes:
    if isinstance(sig, bytes):
        return sig
    # The values as unsigned machine words, one byte of each word its lowest: in C, where a
    # generator over 128 values costs microseconds per call. A value that does not fit (never
    # from rensa, whose values are 32 bits) takes the generator.
    try:
        return array("Q", sig).tobytes()[_LOW_BYTE::_WORD_BYTES]
    except OverflowError:
        return bytes(v & _SKETCH_MASK for v in sig)


def _band_keys(low: bytes, options: NearDupOptions) -> list[str]:
    r, digits = options.rows, 2 * options.rows
    hexed = low[: options.bands * r].hex()
    return [f"{i}:{hexed[i * digits : (i + 1) * digits]}" for i in range(options.bands)]


def _similarity(a: bytes, b: bytes) -> float:
    if len(a) != len(b):
        raise ValueError(f"signatures of {len(a)} and {len(b)} permutations cannot be compared")
    agree = sum(map(eq, a, b)) / len(a)
    return min(1.0, max(0.0, (agree - _CHANCE) / (1 - _CHANCE)))
