"""Near-duplicate detection: the band checks and the decision driven as the shell drives them (a relay)."""

from __future__ import annotations

import itertools
import random
import subprocess
import sys

import pytest

from processors import dedup, neardup
from processors.errors import DedupError
from schemas.models import DedupVerdict

HORIZON = 7
T1, T2 = "2024-05-03T10:00:00Z", "2024-05-03T10:00:05Z"

QUAKE_WIRE = """\
A magnitude 6.4 earthquake struck off the southern coast of Kyushu on Monday night, the Japan \
Meteorological Agency said, shaking buildings as far away as Fukuoka and briefly halting bullet trains.

The quake hit at 9:19 p.m. at a depth of about 30 kilometres in the Hyuga Sea. No tsunami warning was \
issued, and the agency said sea levels might change slightly but posed no danger.

Local officials in Miyazaki reported broken windows at a school gymnasium and a landslide that blocked a \
mountain road near Nichinan. Two elderly residents were taken to hospital with minor injuries after falling \
at home, according to the prefecture's disaster office.

Kyushu Electric Power said its Sendai nuclear plant in neighbouring Kagoshima was operating normally and no \
abnormalities had been detected. About 2,300 households lost power for roughly an hour.

Chief Cabinet Secretary Yoshimasa Hayashi told reporters the government had set up a liaison office and \
urged residents to stay away from steep slopes, as aftershocks of similar strength could follow over the \
coming week. Seismologists said the area lies near the Nankai Trough, where the government has long warned \
that a far larger quake is likely within decades."""

QUAKE_OTHER_PAPER = """\
Residents of Miyazaki spent a restless night after a strong earthquake rattled southern Japan, toppling \
shelves in shops and sending people running into the streets in their pyjamas.

"The whole house swayed for almost a minute," said a 64-year-old fisherman in Nichinan, where a slope \
collapsed onto a road used by school buses. Crews worked through the morning to clear the debris.

The Meteorological Agency put the magnitude at 6.4 and warned that aftershocks were likely. Trains on the \
Kyushu Shinkansen line resumed after safety checks, and the regional utility said power had been restored \
to every home by midnight.

Experts cautioned that the tremor was not a sign that the long-feared Nankai Trough quake was imminent, but \
said households should keep water, food and a radio ready."""

FURNITURE_TOP = ["Share this article", "Advertisement"]
FURNITURE_BOTTOM = [
    "Related: Aftershocks rattle Kyushu again",
    "Related: What the Nankai Trough warning means",
    "Advertisement",
    "© 2024 Example Media Group. All rights reserved.",
]


def paragraphs(text: str) -> list[str]:
    return text.split("\n\n")


def with_paragraph(text: str, index: int, new: str) -> str:
    ps = paragraphs(text)
    ps[index] = new
    return "\n\n".join(ps)


def long_article(seed: int, n_paragraphs: int = 12) -> str:
    """A long body of words no other article shares in runs (seeded, so the tests are stable)."""
    rng = random.Random(seed)
    vocabulary = [f"w{n}" for n in range(5000)]
    return "\n\n".join(
        " ".join(rng.choice(vocabulary) for _ in range(rng.randint(40, 80))) + "." for _ in range(n_paragraphs)
    )


def indexed(index: dict[str, list], writes: dict) -> None:
    """Add a band step's writes to a dict index, as the shell derives its index from the table."""
    for stored_key, value in writes.items():
        for band_key, entry in neardup.index_entries(stored_key, value):
            index.setdefault(band_key, []).append(entry)


class Bands:
    """The band table and its index as dicts, each band checked in the order given, then the decision."""

    def __init__(self, horizon: int = HORIZON, options: neardup.NearDupOptions = neardup.DEFAULT_OPTIONS) -> None:
        self.table: dict = {}
        self.index: dict[str, list] = {}
        self.horizon = horizon
        self.options = options
        self.replies: dict[str, list[neardup.BandReply]] = {}

    def band_message(
        self,
        article_id: str,
        fetched_at: str,
        sig: tuple[int, ...],
        band: int,
        source: str,
        size: int | None = None,
        site: str | None = None,
    ):
        key = neardup.band_keys(sig, self.options)[band]
        found = [self.index.get(key, [])]
        check = neardup.check_bands(
            article_id, fetched_at, [key], neardup.sketch(sig), found, source, self.horizon, self.options, size, site
        )
        self.table.update(check.writes)
        indexed(self.index, check.writes)
        return check.replies[0], check.writes

    def run(self, messages, articles) -> dict[str, DedupVerdict]:
        """`messages`: (name, band) in processing order; `articles`: name -> (id, fetched_at, sig,
        size) or (id, fetched_at, sig, size, site)."""
        replies: dict[str, list] = {name: [] for name in articles}
        for name, band in messages:
            article_id, fetched_at, sig, size, site = (*articles[name], None)[:5]
            replies[name].append(self.band_message(article_id, fetched_at, sig, band, f"raw/0/{name}", size, site)[0])
        return {
            name: neardup.decide(
                article_id, sig, replies[name], unique(article_id), options=self.options, size=size, site=site
            ).verdict
            for name, (article_id, _, sig, size, site) in ((n, (*a, None)[:5]) for n, a in articles.items())
        }

    def add(self, article_id: str, text: str, fetched_at: str = T1, source: str | None = None,
            candidate: DedupVerdict | None = None, sized: bool = True, site: str | None = None) -> DedupVerdict:
        """Store and decide one article; `sized=False`: as an older worker did, without its
        shingle count; `site` None: as one that kept no sites."""
        sig, size = neardup.signature_and_size(text, self.options)
        size = size if sized else None
        source = source or f"raw/0/{article_id}"
        replies = [
            self.band_message(article_id, fetched_at, sig, b, source, size, site)[0] for b in range(self.options.bands)
        ]
        return neardup.decide(
            article_id, sig, replies, candidate or unique(article_id), options=self.options, size=size, site=site
        ).verdict


def unique(article_id: str) -> DedupVerdict:
    return DedupVerdict("unique", None, article_id, 0.0)


BASE = long_article(1)
#: BASE as two sites print it: each with two paragraphs of its own (an author box, a wire's
#: furniture) that the other lacks. Their Jaccard similarity is under the threshold, though
#: nearly all of either body is in the other.
SYNDICATED_ORIGINAL = BASE + "\n\n" + long_article(20, 2)
SYNDICATED_COPY = long_article(21, 2) + "\n\n" + BASE
#: BASE as its site printed it, with five paragraphs more (lists or teasers that one extraction
#: keeps and a copy's does not): the copy holds a share of it under the one-site length bound.
TEASED_ORIGINAL = BASE + "\n\n" + long_article(23, 5)
#: A long article that quotes QUAKE_WIRE in full.
QUOTING = QUAKE_WIRE + "\n\n" + long_article(22, 5)
COPIES = [
    ("furniture added around the body", QUAKE_WIRE,
     "\n\n".join(FURNITURE_TOP + [QUAKE_WIRE] + FURNITURE_BOTTOM), "near_duplicate"),
    ("one sentence of one paragraph corrected", QUAKE_WIRE,
     with_paragraph(QUAKE_WIRE, 1, paragraphs(QUAKE_WIRE)[1].replace("about 30 kilometres", "about 36 km")
                    + " An earlier version gave the wrong depth."), "near_duplicate"),
    ("one paragraph of twelve rewritten", BASE, with_paragraph(BASE, 3, long_article(2, 1)), "near_duplicate"),
    ("truncated: the last of twelve paragraphs cut", BASE, "\n\n".join(paragraphs(BASE)[:-1]), "near_duplicate"),
    ("case, quotes and spacing differ", QUAKE_WIRE, QUAKE_WIRE.upper().replace("'", "’").replace(" ", "  "),
     "near_duplicate"),
    ("half the paragraphs replaced", BASE, "\n\n".join(paragraphs(BASE)[:6] + paragraphs(long_article(3, 6))),
     "unique"),
    ("another paper's story of the same quake", QUAKE_WIRE, QUAKE_OTHER_PAPER, "unique"),
    ("distinct articles", BASE, long_article(4), "unique"),
]


@pytest.mark.parametrize(("name", "original", "copy", "status"), COPIES, ids=[c[0] for c in COPIES])
def test_copies_and_distinct_articles(name, original, copy, status):
    bands = Bands()
    assert bands.add("a", original) == unique("a")
    verdict = bands.add("b", copy, T2)
    assert verdict.status == status
    if status == "near_duplicate":
        assert (verdict.duplicate_of, verdict.cluster_id) == ("a", "a")
        assert verdict.similarity >= neardup.DEFAULT_THRESHOLD
    else:
        assert verdict == unique("b")


def test_an_update_of_the_same_url_is_not_a_copy_of_its_earlier_version():
    bands = Bands()
    bands.add("a", QUAKE_WIRE)
    update = DedupVerdict("update", None, "a", 0.0)
    assert bands.add("a", QUAKE_WIRE + "\n\nUpdated with the power figures.", T2, candidate=update) == update


def test_a_copy_of_a_copy_names_the_earliest_original():
    bands = Bands()
    bands.add("a", QUAKE_WIRE, "2024-05-03T09:00:00Z")
    bands.add("b", QUAKE_WIRE + "\n\nAdvertisement", "2024-05-03T09:30:00Z")
    verdict = bands.add("c", "Share this article\n\n" + QUAKE_WIRE, "2024-05-03T10:00:00Z")
    assert (verdict.status, verdict.duplicate_of, verdict.cluster_id) == ("near_duplicate", "a", "a")


def _measures(a: str, b: str) -> tuple[float, float, float]:
    """Two bodies' estimated Jaccard similarity, overlap share and length ratio."""
    (sig_a, m), (sig_b, n) = neardup.signature_and_size(a), neardup.signature_and_size(b)
    jaccard = neardup.estimate_similarity(sig_a, sig_b)
    return jaccard, neardup.overlap_share(jaccard, m, n), min(m, n) / max(m, n)


def test_a_copy_whose_jaccard_falls_short_is_judged_by_the_share_of_the_shorter_body():
    jaccard, share, ratio = _measures(SYNDICATED_ORIGINAL, SYNDICATED_COPY)
    assert jaccard < neardup.DEFAULT_THRESHOLD <= share and ratio >= neardup.DEFAULT_MIN_LENGTH_RATIO
    bands = Bands()
    assert bands.add("a", SYNDICATED_ORIGINAL) == unique("a")
    verdict = bands.add("b", SYNDICATED_COPY, T2)
    assert verdict == DedupVerdict("near_duplicate", "a", "a", round(share, 4))
    # Stored by a worker that kept no shingle counts (or decided without its own), only the
    # Jaccard similarity can make the copy.
    older = Bands()
    older.add("a", SYNDICATED_ORIGINAL, sized=False)
    assert older.add("b", SYNDICATED_COPY, T2) == unique("b")
    newer_first = Bands()
    newer_first.add("a", SYNDICATED_ORIGINAL)
    assert newer_first.add("b", SYNDICATED_COPY, T2, sized=False) == unique("b")


def test_a_long_article_quoting_a_short_one_in_full_is_no_copy_of_it_either_way():
    jaccard, share, ratio = _measures(QUAKE_WIRE, QUOTING)
    assert share >= neardup.DEFAULT_THRESHOLD > jaccard and ratio < neardup.DEFAULT_MIN_LENGTH_RATIO
    for first, second in ((QUAKE_WIRE, QUOTING), (QUOTING, QUAKE_WIRE)):
        bands = Bands()
        bands.add("a", first)
        assert bands.add("b", second, T2) == unique("b")


def test_a_longer_body_holding_a_shorter_one_is_its_copy_across_sites_only():
    jaccard, share, ratio = _measures(TEASED_ORIGINAL, BASE)
    assert jaccard < neardup.DEFAULT_THRESHOLD <= share
    assert neardup.DEFAULT_OTHER_SITE_MIN_LENGTH_RATIO <= ratio < neardup.DEFAULT_MIN_LENGTH_RATIO
    for first, second in ((TEASED_ORIGINAL, BASE), (BASE, TEASED_ORIGINAL)):
        across = Bands()
        across.add("a", first, site="one.example")
        assert across.add("b", second, T2, site="wire.example") == DedupVerdict("near_duplicate", "a", "a", round(share, 4))
        # One site's longer and shorter version of a story are two articles; an entry or an
        # article without its site is judged by the one-site bound.
        for site_a, site_b in (("one.example", "one.example"), (None, "wire.example"), ("one.example", None)):
            bands = Bands()
            bands.add("a", first, site=site_a)
            assert bands.add("b", second, T2, site=site_b) == unique("b")


def test_a_long_article_quoting_a_short_one_in_full_is_no_copy_of_it_across_sites_either():
    assert _measures(QUAKE_WIRE, QUOTING)[2] < neardup.DEFAULT_OTHER_SITE_MIN_LENGTH_RATIO
    for first, second in ((QUAKE_WIRE, QUOTING), (QUOTING, QUAKE_WIRE)):
        bands = Bands()
        bands.add("a", first, site="one.example")
        assert bands.add("b", second, T2, site="wire.example") == unique("b")


def test_the_length_bound_is_the_other_sites_one_only_for_two_known_sites_that_differ():
    assert neardup.length_bound("a.example", "b.example", 0.8, 0.6) == 0.6
    assert neardup.length_bound("a.example", "a.example", 0.8, 0.6) == 0.8
    assert neardup.length_bound(None, "b.example", 0.8, 0.6) == neardup.length_bound("a.example", None, 0.8, 0.6) == 0.8


def test_copy_similarity_is_symmetric_and_the_share_counts_only_within_the_length_ratio():
    assert neardup.copy_similarity(0.7, 800, 1000) == neardup.copy_similarity(0.7, 1000, 800)
    assert neardup.copy_similarity(0.7, 800, 1000) == pytest.approx(0.7 * 1800 / 1.7 / 800)  # 0.926
    assert neardup.copy_similarity(0.7, 799, 1000) == 0.7  # under the bound: the Jaccard similarity
    assert neardup.copy_similarity(0.7, 800, 1000, min_length_ratio=0.9) == 0.7
    assert neardup.copy_similarity(0.7, None, 1000) == neardup.copy_similarity(0.7, 800, None) == 0.7
    assert neardup.copy_similarity(0.9, 1000, 1000) == pytest.approx(0.9 * 2000 / 1.9 / 1000)
    assert neardup.overlap_share(1.0, 500, 500) == 1.0


NO_SITES = (None, None)
PAIRS = [
    ("furniture copy", QUAKE_WIRE, "\n\n".join(FURNITURE_TOP + [QUAKE_WIRE] + FURNITURE_BOTTOM), NO_SITES),
    ("syndicated copy judged by its share", SYNDICATED_ORIGINAL, SYNDICATED_COPY, NO_SITES),
    ("another site's copy judged by its share", TEASED_ORIGINAL, BASE, ("one.example", "wire.example")),
    ("truncated copy", BASE, "\n\n".join(paragraphs(BASE)[:-1]), NO_SITES),
    ("corrected copy", BASE, with_paragraph(BASE, 3, long_article(2, 1)), NO_SITES),
]


def _pair(original: str, copy: str, sites: tuple[str | None, str | None] = NO_SITES):
    articles = {
        "A": ("a", T1, *neardup.signature_and_size(original), sites[0]),
        "B": ("b", T1, *neardup.signature_and_size(copy), sites[1]),
    }
    keys_a, keys_b = (neardup.band_keys(articles[n][2]) for n in "AB")
    shared = [i for i in range(neardup.DEFAULT_OPTIONS.bands) if keys_a[i] == keys_b[i]]
    return articles, shared


def _exactly_one_original(verdicts: dict[str, DedupVerdict]) -> None:
    copies = {name: v for name, v in verdicts.items() if v.status == "near_duplicate"}
    assert len(copies) == 1, verdicts
    ((name, verdict),) = copies.items()
    assert verdict.duplicate_of == ("a" if name == "B" else "b")


@pytest.mark.parametrize(("name", "original", "copy", "sites"), PAIRS, ids=[p[0] for p in PAIRS])
def test_two_copies_at_the_same_moment_every_order_of_the_shared_bands(name, original, copy, sites):
    """Bands are separate partitions, so an interleaving is fixed by who comes first in each
    shared band; all 2^|shared| of them are tried (a sample of 512 when there are more)."""
    articles, shared = _pair(original, copy, sites)
    assert shared
    orders = list(itertools.product("AB", repeat=len(shared)))
    if len(orders) > 512:
        orders = random.Random(7).sample(orders, 512)
    outcomes = set()
    for order in orders:
        first = dict(zip(shared, order))
        messages = [(n, b) for b in range(neardup.DEFAULT_OPTIONS.bands)
                    for n in (("A", "B") if first.get(b, "A") == "A" else ("B", "A"))]
        verdicts = Bands().run(messages, articles)
        _exactly_one_original(verdicts)
        outcomes.add(first[shared[0]])
        copy_name = next(n for n, v in verdicts.items() if v.status == "near_duplicate")
        assert copy_name != first[shared[0]]  # whoever came second in the lowest shared band is the copy
    assert outcomes == {"A", "B"}


@pytest.mark.parametrize(("name", "original", "copy", "sites"), PAIRS, ids=[p[0] for p in PAIRS])
def test_two_copies_at_the_same_moment_random_full_interleavings(name, original, copy, sites):
    articles, _ = _pair(original, copy, sites)
    rng = random.Random(11)
    for _ in range(300):
        messages = [(n, b) for n in "AB" for b in range(neardup.DEFAULT_OPTIONS.bands)]
        rng.shuffle(messages)
        _exactly_one_original(Bands().run(messages, articles))


def test_one_after_the_other_the_later_is_the_copy_in_either_order():
    for first, second in (("A", "B"), ("B", "A")):
        articles, _ = _pair(*PAIRS[0][1:])
        messages = [(n, b) for n in (first, second) for b in range(neardup.DEFAULT_OPTIONS.bands)]
        verdicts = Bands().run(messages, articles)
        assert verdicts[first].status == "unique" and verdicts[second].status == "near_duplicate"


def test_replayed_band_messages_reply_as_the_first_time_and_write_nothing():
    bands = Bands()
    sig_a = neardup.signature(QUAKE_WIRE)
    sig_b = neardup.signature(QUAKE_WIRE + "\n\nAdvertisement")
    first_a = [bands.band_message("a", T1, sig_a, b, "raw/0/1") for b in range(21)]
    first_b = [bands.band_message("b", T2, sig_b, b, "raw/0/2") for b in range(21)]
    again_a = [bands.band_message("a", T1, sig_a, b, "raw/0/1") for b in range(21)]
    again_b = [bands.band_message("b", T2, sig_b, b, "raw/0/2") for b in range(21)]
    assert [r for r, _ in again_a] == [r for r, _ in first_a]  # b, stored since, is not seen
    assert [r for r, _ in again_b] == [r for r, _ in first_b]
    assert all(not w for _, w in again_a + again_b)
    assert neardup.decide("a", sig_a, [r for r, _ in again_a], unique("a")).verdict == unique("a")
    assert neardup.decide("b", sig_b, [r for r, _ in again_b], unique("b")).verdict.duplicate_of == "a"


def test_a_day_list_keeps_its_first_entries_and_later_articles_still_see_them():
    options = neardup.NearDupOptions(max_entries=4)
    bands = Bands(options=options)
    sig = neardup.signature(BASE)
    key = neardup.band_keys(sig, options)[0]
    for n in range(6):
        reply, writes = bands.band_message(f"id{n}", T1, sig, 0, f"raw/0/{n}")
        assert [c.id for c in reply.candidates] == [f"id{k}" for k in range(min(n, 4))]
        assert bool(writes) == (n < 4)
    assert [e["id"] for e in bands.index[key]] == ["id0", "id1", "id2", "id3"]
    day = dedup.day_of(T1)
    assert list(bands.table) == [neardup.entry_key([key], f"raw/0/{n}", day) for n in range(4)]
    assert all(dedup.is_expired(k, day + 1, 0) and not dedup.is_expired(k, day, 0) for k in bands.table)


def test_the_window_is_symmetric_and_keys_expire_like_dedup():
    bands = Bands(horizon=7)
    bands.add("a", QUAKE_WIRE, "2024-05-10T10:00:00Z")
    earlier = bands.add("b", QUAKE_WIRE + "\n\nAdvertisement", "2024-05-03T10:00:00Z")  # 7 days before
    assert earlier.status == "near_duplicate"  # a, fetched later but stored first, is seen
    assert bands.add("c", QUAKE_WIRE + "\n\nShare", "2024-05-18T10:00:00Z").status == "unique"  # 8 days
    today = dedup.day_of("2024-05-18T10:00:00Z")
    old = dedup.expired_keys(bands.table, today, 7)
    assert old and sorted(old) == sorted(k for k in bands.table if not k.endswith(f"@{today}"))


def test_decide_refuses_incomplete_or_foreign_replies():
    sig = neardup.signature(QUAKE_WIRE)
    replies = [neardup.BandReply(k, ()) for k in neardup.band_keys(sig)]
    with pytest.raises(ValueError, match="no reply"):
        neardup.decide("a", sig, replies[:-1], unique("a"))
    with pytest.raises(ValueError, match="does not belong"):
        neardup.decide("a", sig, replies + [neardup.BandReply("3:000000000000", ())], unique("a"))


def test_replies_cross_a_topic_as_dicts():
    bands = Bands()
    bands.add("a", QUAKE_WIRE)
    reply, _ = bands.band_message("b", T2, neardup.signature(QUAKE_WIRE), 0, "raw/0/9")
    assert reply.candidates and neardup.BandReply.from_dict(reply.to_dict()) == reply


def test_signature_normalises_like_the_fingerprint_and_is_the_same_in_another_process():
    assert neardup.signature("A “quote”, here and there.") == neardup.signature('a "QUOTE" here  and there')
    assert neardup.shingles("新华社北京电", 5) == ["新 华 社 北 京", "华 社 北 京 电"]
    assert neardup.shingles("Too short", 5) == ["too short"]
    code = "from processors import neardup; print(list(neardup.signature(open(0).read())))"
    out = subprocess.run([sys.executable, "-c", code], input=QUAKE_WIRE, capture_output=True, text=True, check=True)
    assert tuple(eval(out.stdout)) == neardup.signature(QUAKE_WIRE)
    with pytest.raises(DedupError):
        neardup.signature(" … — ")


def test_similarity_estimate_and_band_keys():
    a, b = neardup.signature(BASE), neardup.signature(long_article(5))
    assert neardup.estimate_similarity(a, a) == 1.0
    assert neardup.estimate_similarity(a, b) < 0.05
    assert neardup.estimate_similarity(a, b) == neardup.estimate_similarity(b, a)
    keys = neardup.band_keys(a)
    assert len(keys) == 21 and all(k.startswith(f"{i}:") and len(k) == len(f"{i}:") + 12 for i, k in enumerate(keys))
    with pytest.raises(ValueError):
        neardup.NearDupOptions(bands=30, rows=6)


def test_a_band_message_writes_one_entry_for_all_its_band_keys_and_a_replay_writes_none():
    sig = neardup.signature(QUAKE_WIRE)
    keys = neardup.band_keys(sig)[:3]
    index: dict[str, list] = {}

    def band_message(article_id: str, source: str) -> neardup.BandCheck:
        found = [index.get(k, []) for k in keys]
        check = neardup.check_bands(article_id, T1, keys, neardup.sketch(sig), found, source, HORIZON)
        indexed(index, check.writes)
        return check

    a = band_message("a", "raw/0/1")
    ((key, value),) = a.writes.items()
    assert key == neardup.entry_key(keys, "raw/0/1", dedup.day_of(T1)) and value["seqs"] == {k: 1 for k in keys}
    assert [r.candidates for r in a.replies] == [(), (), ()]
    b = band_message("b", "raw/0/2")
    assert [[c.id for c in r.candidates] for r in b.replies] == [["a"]] * 3
    assert list(b.writes.values())[0]["seqs"] == {k: 2 for k in keys}
    assert [len(index[k]) for k in keys] == [2, 2, 2]
    again_a, again_b = band_message("a", "raw/0/1"), band_message("b", "raw/0/2")  # replays after a restart
    assert again_a.writes == again_b.writes == {}
    assert [r.candidates for r in again_a.replies] == [(), (), ()]  # what it saw the first time
    assert [[c.id for c in r.candidates] for r in again_b.replies] == [["a"]] * 3


def test_a_batch_of_band_messages_is_one_value_per_day_and_indexes_as_its_messages_did():
    sig_a, sig_b = neardup.signature(QUAKE_WIRE), neardup.signature(QUAKE_WIRE + "\n\nAdvertisement")
    keys_a, keys_b = neardup.band_keys(sig_a)[:3], neardup.band_keys(sig_b)[:3]
    index: dict[str, list] = {}
    writes: list[tuple[str, dict]] = []
    for article_id, fetched, sig, keys, source in [
        ("a", T1, sig_a, keys_a, "raw/0/1"),
        ("b", T2, sig_b, keys_b, "raw/0/2"),
        ("c", "2024-05-20T08:00:00Z", sig_a, keys_a, "raw/0/3"),
    ]:
        found = [index.get(k, []) for k in keys]
        check = neardup.check_bands(article_id, fetched, keys, neardup.sketch(sig), found, source, HORIZON)
        indexed(index, check.writes)
        writes.extend(check.writes.items())
    merged = neardup.batch_entries(writes)
    # one value per day, under the key of that day's first message, holding its entries in order
    assert dedup.day_of(T1) == dedup.day_of(T2) != dedup.day_of("2024-05-20T08:00:00Z")
    assert merged == {
        writes[0][0]: {"batch": [writes[0][1], writes[1][1]]},
        writes[2][0]: {"batch": [writes[2][1]]},
    }
    rebuilt: dict[str, list] = {}
    for key, value in merged.items():
        for band_key, entry in neardup.index_entries(key, value):
            rebuilt.setdefault(band_key, []).append(entry)
    assert rebuilt == index
    assert [e["id"] for e in rebuilt[keys_a[0]]] == ["a", "b", "c"]  # b shares a's first band


def test_entries_keep_the_shingle_count_and_those_without_one_are_still_read():
    sig, size = neardup.signature_and_size(QUAKE_WIRE)
    keys = neardup.band_keys(sig)[:2]
    index: dict[str, list] = {}
    writes = []
    for article_id, source, n in (("old", "raw/0/1", None), ("new", "raw/0/2", size)):
        found = [index.get(k, []) for k in keys]
        check = neardup.check_bands(article_id, T1, keys, neardup.sketch(sig), found, source, HORIZON, size=n)
        indexed(index, check.writes)
        writes.extend(check.writes.items())
    assert [("n" in value, value.get("n")) for _, value in writes] == [(False, None), (True, size)]
    rebuilt: dict[str, list] = {}
    for key, value in neardup.batch_entries(writes).items():
        for band_key, entry in neardup.index_entries(key, value):
            rebuilt.setdefault(band_key, []).append(entry)
    assert rebuilt == index and [e.get("n") for e in rebuilt[keys[0]]] == [None, size]
    reply = neardup.check_bands("third", T2, keys, neardup.sketch(sig), [index[k] for k in keys], "raw/0/3", HORIZON)
    assert [(c.id, c.n) for c in reply.replies[0].candidates] == [("old", None), ("new", size)]
    assert [neardup.Candidate.from_dict(c.to_dict()) for c in reply.replies[0].candidates] == list(
        reply.replies[0].candidates
    )


def test_the_shingle_count_travels_from_the_url_step_to_the_gather():
    """Through the workers' steps (the offline chain): the url step counts the shingles, the
    probes carry the count, the band entry keeps it and the gather decides with both."""
    import orjson

    from streams.offline import OfflineRun
    from streams.settings import Settings

    run = OfflineRun(Settings.from_env({"COPYDESK_ENTITIES": "off", "COPYDESK_SITELINES_MIN_ARTICLES": "0"}))
    records = []
    for offset, (url, body) in enumerate(
        [("https://a.example.org/story", SYNDICATED_ORIGINAL), ("https://b.example.org/wire/story", SYNDICATED_COPY)]
    ):
        text = "A headline for the story\n\n" + body
        payload = orjson.dumps({"url": url, "fetched_at": f"2024-06-12T1{offset}:00:00Z", "text": text})
        records.append(orjson.loads(run.run_one(payload, offset).value))
    original, copy = records
    _, share, _ = _measures(SYNDICATED_ORIGINAL, SYNDICATED_COPY)
    assert original["dedup"]["status"] == "unique"
    assert copy["dedup"] == {
        "status": "near_duplicate",
        "duplicate_of": original["id"],
        "cluster_id": original["id"],
        "similarity": round(share, 4),
    }
