"""Dedup decisions from state passed in: tables of articles in order and the verdicts expected."""

from __future__ import annotations

import dataclasses
import random
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processors import dedup
from processors.errors import DedupError
from schemas.models import DedupVerdict, Entities, ExtractedArticle, SourceRef


def article(id_: str, text: str, fetched_at: str = "2024-05-03T10:00:00Z") -> ExtractedArticle:
    return ExtractedArticle(
        id=id_, url=f"https://x.test/{id_}", canonical_url=f"https://x.test/{id_}", site="x.test", title="t",
        authors=(), published_at=None, language="en", text=text, lead=text[:20], word_count=len(text.split()),
        entities=Entities(), keywords=(), fetched_at=fetched_at,
    )


class Store:
    """The two tables as dicts, driven exactly as the shell drives faust's."""

    def __init__(self, horizon: int = 7) -> None:
        self.urls: dict = {}
        self.contents: dict = {}
        self.horizon = horizon
        self.offset = 0

    def decide(self, a: ExtractedArticle, source: str | None = None) -> DedupVerdict:
        if source is None:
            self.offset += 1
            source = f"raw/0/{self.offset}"
        day = dedup.day_of(a.fetched_at)
        u = dedup.check_url(a, (self.urls.get(k) for k in dedup.lookup_keys(a.id, day, self.horizon)), source)
        self.urls.update(u.writes)
        if u.final:
            return u.candidate
        c = dedup.check_content(
            a, u.fingerprint, u.candidate,
            (self.contents.get(k) for k in dedup.lookup_keys(u.fingerprint, day, self.horizon)), source,
        )
        self.contents.update(c.writes)
        return c.verdict


T1, T2, T3 = "2024-05-03T10:00:00Z", "2024-05-03T11:00:00Z", "2024-05-03T12:00:00Z"
BODY = "Islamic State is shifting its focus from Iraq and Syria to Libya."
SEQUENCES = [
    ("re-crawl", [("a", BODY), ("a", BODY)], [("unique", None, "a"), ("duplicate", "a", "a")]),
    ("update", [("a", BODY), ("a", BODY + " Updated.")], [("unique", None, "a"), ("update", None, "a")]),
    ("copy elsewhere", [("a", BODY), ("b", BODY)], [("unique", None, "a"), ("duplicate", "a", "a")]),
    ("copy differs only in case, quotes and spacing",
     [("a", BODY), ("b", "  islamic STATE is shifting its focus from Iraq, and Syria — to Libya ")],
     [("unique", None, "a"), ("duplicate", "a", "a")]),
    ("copy of a copy names the original", [("a", BODY), ("b", BODY), ("c", BODY)],
     [("unique", None, "a"), ("duplicate", "a", "a"), ("duplicate", "a", "a")]),
    ("a later revert to an earlier body is an update",
     [("a", BODY, T1), ("a", BODY + " x", T2), ("a", BODY, T3)],
     [("unique", None, "a"), ("update", None, "a"), ("update", None, "a")]),
    ("a stale re-crawl of an older version arriving late is a duplicate",
     [("a", BODY, T1), ("a", BODY + " x", T3), ("a", BODY, T2)],
     [("unique", None, "a"), ("update", None, "a"), ("duplicate", "a", "a")]),
    ("an older unseen version arriving late is an update that does not become the latest",
     [("a", BODY, T1), ("a", BODY + " new", T3), ("a", BODY + " mid", T2), ("a", BODY + " new", T3)],
     [("unique", None, "a"), ("update", None, "a"), ("update", None, "a"), ("duplicate", "a", "a")]),
    ("distinct articles", [("a", BODY), ("b", "Another story entirely.")], [("unique", None, "a"), ("unique", None, "b")]),
]


@pytest.mark.parametrize(("name", "inputs", "expected"), SEQUENCES, ids=[s[0] for s in SEQUENCES])
def test_verdict_sequences(name, inputs, expected):
    store = Store()
    got = [store.decide(article(*spec)) for spec in inputs]
    assert [(v.status, v.duplicate_of, v.cluster_id) for v in got] == expected


def test_replayed_input_gets_the_same_verdict_not_a_copy_of_itself():
    store = Store()
    first = store.decide(article("a", BODY), "raw/0/7")
    again = store.decide(article("a", BODY), "raw/0/7")
    assert first == again == DedupVerdict("unique", None, "a", 0.0)
    copy = store.decide(article("b", BODY), "raw/0/8")
    copy_again = store.decide(article("b", BODY), "raw/0/8")
    assert copy == copy_again == DedupVerdict("duplicate", "a", "a", 1.0)


def test_an_input_replayed_after_a_later_one_rewrote_its_url_entry_gets_its_own_verdict():
    """At-least-once: a page and its identical resend were decided, then a restart replays
    both; the page's replay finds the entry the resend wrote, and is not a copy of itself."""
    store = Store()
    first = store.decide(article("a", BODY), "raw/0/7")
    resend = store.decide(article("a", BODY), "raw/0/9")
    update = store.decide(article("a", BODY + " Updated.", T2), "raw/0/11")
    assert [v.status for v in (first, resend, update)] == ["unique", "duplicate", "update"]
    assert store.decide(article("a", BODY), "raw/0/7") == first
    assert store.decide(article("a", BODY), "raw/0/9") == resend
    assert store.decide(article("a", BODY + " Updated.", T2), "raw/0/11") == update


def test_a_replay_writes_the_entry_it_found_again():
    """A worker restarted after a kill -9 may find in its local store an entry whose changelog
    record was never sent: the replay writes it again, so that the changelog has it."""
    day = dedup.day_of(T1)
    first = dedup.check_url(article("a", BODY), [], "raw/0/7")
    (key, entry), = first.writes.items()
    again = dedup.check_url(article("a", BODY), [entry], "raw/0/7")
    assert again.writes == {key: entry} and key == dedup.state_key("a", day)
    owner = dedup.check_content(article("a", BODY), first.fingerprint, first.candidate, [], "raw/0/7")
    (ckey, centry), = owner.writes.items()
    replayed = dedup.check_content(article("a", BODY), first.fingerprint, first.candidate, [centry], "raw/0/7")
    assert replayed.writes == {ckey: centry} and replayed.verdict == owner.verdict


def test_a_replay_writes_the_entry_back_under_the_key_it_was_found_at():
    """The entry that names a replayed input (its writer's or in `seen`) is restored where it
    was read, not copied under the replayed article's own day key: `found` is read newest
    first, one day per value."""
    day = dedup.day_of(T1)
    first = dedup.check_url(article("a", BODY), [], "raw/0/7")
    (_, entry), = first.writes.items()
    later = dedup.check_url(article("a", BODY), [entry], "raw/0/9")  # a resend: `seen` names raw/0/7
    (_, written), = later.writes.items()
    for found_days_back, stored in ((1, entry), (2, written)):
        replay = dedup.check_url(article("a", BODY), [None] * found_days_back + [stored], "raw/0/7")
        assert replay.writes == {dedup.state_key("a", day - found_days_back): stored}
        assert replay.candidate == first.candidate


def test_state_older_than_the_horizon_is_not_seen_and_is_expired():
    store = Store(horizon=7)
    store.decide(article("a", BODY, "2024-05-01T10:00:00Z"))
    assert store.decide(article("b", BODY, "2024-05-08T10:00:00Z")).status == "duplicate"  # 7 days: seen
    store2 = Store(horizon=7)
    store2.decide(article("a", BODY, "2024-05-01T10:00:00Z"))
    assert store2.decide(article("b", BODY, "2024-05-09T10:00:00Z")).status == "unique"  # 8 days: gone
    today = dedup.day_of("2024-05-09T10:00:00Z")
    old = dedup.expired_keys(store2.urls, today, 7)
    assert old == [dedup.state_key("a", dedup.day_of("2024-05-01T10:00:00Z"))]
    assert dedup.expired_keys(["not-a-day-key"], today, 7) == ["not-a-day-key"]


def test_lookup_keys_are_newest_first_over_the_horizon():
    assert dedup.lookup_keys("k", 100, 2) == ["k@100", "k@99", "k@98"]


def test_fingerprint_normalises_and_refuses_empty_bodies():
    assert dedup.fingerprint("A “quote”, here.") == dedup.fingerprint('a "QUOTE" here')
    assert dedup.fingerprint("one text") != dedup.fingerprint("another text")
    with pytest.raises(DedupError) as info:
        dedup.fingerprint(" … — ")
    assert info.value.kind == "empty_fingerprint"


def test_a_url_entry_keeps_a_bounded_list_of_versions():
    store = Store()
    for n in range(20):
        store.decide(article("a", f"{BODY} version {n}", f"2024-05-03T10:{n:02d}:00Z"))
    (entry,) = store.urls.values()
    assert len(entry["versions"]) == dedup.MAX_VERSIONS
    assert entry["fp"] == dedup.fingerprint(f"{BODY} version 19")


@pytest.mark.parametrize(
    "value",
    [SourceRef("raw", 1, 2), SourceRef("raw", 0, 7, 1714730400000),
     DedupVerdict("unique", None, "c1", 0.0), DedupVerdict("near_duplicate", "a1", "c1", 0.9)],
)
def test_written_out_to_dicts_equal_dataclasses_asdict_field_for_field(value):
    assert list(value.to_dict().items()) == list(dataclasses.asdict(value).items())


def story(seed: int, sentences: int = 30) -> list[str]:
    rng = random.Random(seed)
    words = [f"w{n}" for n in range(2000)]
    return [" ".join(rng.choice(words) for _ in range(14)).capitalize() + "." for _ in range(sentences)]


STORY = story(1)
FURNITURE = ["Share this article", "Most read today", "Sign up for our newsletter", "Advertisement"] * 2


def decide_as(store: Store, a: ExtractedArticle, source_format: str | None, threshold: float = 0.8) -> DedupVerdict:
    store.offset += 1
    day = dedup.day_of(a.fetched_at)
    found = (store.urls.get(k) for k in dedup.lookup_keys(a.id, day, store.horizon))
    check = dedup.check_url(a, found, f"raw/0/{store.offset}", source_format, threshold)
    store.urls.update(check.writes)
    return check.candidate


def test_a_recrawl_in_the_other_format_is_a_duplicate_and_later_ones_in_it_compare_by_fingerprint():
    store = Store()
    html_body = "\n\n".join(STORY)
    text_body = "\n\n".join(FURNITURE[:4] + STORY[1:] + FURNITURE[4:])  # furniture kept, the first line lost
    assert decide_as(store, article("a", html_body, T1), "html").status == "unique"
    recrawl = decide_as(store, article("a", text_body, T2), "text")
    assert (recrawl.status, recrawl.duplicate_of, recrawl.cluster_id) == ("duplicate", "a", "a")
    assert 0.8 <= recrawl.similarity < 1.0
    assert decide_as(store, article("a", text_body, T3), "text") == DedupVerdict("duplicate", "a", "a", 1.0)
    # In a format seen before, another fingerprint is another body, however close.
    changed = "\n\n".join(FURNITURE[:4] + STORY[1:-1] + ["A new last paragraph with the latest figures."] + FURNITURE[4:])
    update = decide_as(store, article("a", changed, "2024-05-03T13:00:00Z"), "text")
    assert (update.status, update.cluster_id) == ("update", "a")
    assert 0.8 <= update.similarity < 1.0


def test_an_update_carries_its_similarity_and_the_threshold_is_a_setting():
    store = Store()
    decide_as(store, article("a", "\n\n".join(STORY), T1), "html")
    rewritten = "\n\n".join(STORY[:10] + story(2, 20))
    update = decide_as(store, article("a", rewritten, T2), "text")
    assert update.status == "update"
    assert 0.2 < update.similarity < 0.5  # a third of the body kept
    strict = Store()
    decide_as(strict, article("a", "\n\n".join(STORY), T1), "html", threshold=0.99)
    recrawl = decide_as(strict, article("a", "\n\n".join(FURNITURE + STORY[3:]), T2), "text", threshold=0.99)
    assert recrawl.status == "update" and 0.8 < recrawl.similarity < 0.99


def test_an_entry_written_before_sketches_were_kept_still_decides():
    old_entry = {
        "fp": dedup.fingerprint(BODY), "fetched_at": T1, "first_seen": T1, "cluster_id": "a",
        "versions": [dedup.fingerprint(BODY)], "src": "raw/0/99",
        "verdict": DedupVerdict("unique", None, "a", 0.0).to_dict(), "final": False,
    }
    store = Store()
    store.urls[dedup.state_key("a", dedup.day_of(T1))] = old_entry
    assert decide_as(store, article("a", BODY, T2), "html") == DedupVerdict("duplicate", "a", "a", 1.0)
    (entry,) = store.urls.values()
    assert [b["fp"] for b in entry["bodies"]] == [old_entry["fp"]]  # it gets the sketch it lacked
    update = decide_as(store, article("a", BODY + " More.", T3), "html")
    assert (update.status, update.cluster_id) == ("update", "a") and 0.5 < update.similarity <= 1.0


def test_a_format_once_seen_compares_by_fingerprint_even_when_its_first_body_was_the_same():
    store = Store()
    body = "\n\n".join(STORY)
    decide_as(store, article("a", body, T1), "html")
    assert decide_as(store, article("a", body, T2), "text") == DedupVerdict("duplicate", "a", "a", 1.0)
    changed = "\n\n".join(STORY + ["A new last paragraph with the latest figures."])
    update = decide_as(store, article("a", changed, T3), "text")
    assert (update.status, update.cluster_id) == ("update", "a") and update.similarity > 0.9


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from(list("aZ_0 -.'ß\u00a0\u0301\u0663\u00bd\u2460")) | st.characters(exclude_categories=("Cs",))))
def test_the_normal_words_are_the_runs_of_letters_and_digits(text):
    """`normal_words` finds the runs `[^\\W_]+` finds, also where it takes its shortcut for a text
    without an underscore."""
    assert dedup.normal_words(text) == re.findall(r"[^\W_]+", text)


@pytest.mark.parametrize("text", ["snake_case words", "no underscore here", "ｆｕｌｌ＿ｗｉｄｔｈ", "__", "", "x_1 _y_ 2_"])
def test_an_underscore_parts_the_normal_words(text):
    normal = unicodedata.normalize("NFKC", text).casefold()
    assert dedup.NormalBody.of(text).words == dedup.normal_words(normal) == re.findall(r"[^\W_]+", normal)
