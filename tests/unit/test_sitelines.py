"""Site-repeated lines: learnt per site from its articles, dropped from the next ones."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from processors import sitelines
from processors.options import StageOptions

OPTIONS = StageOptions()
DAY = 20_000
SUBSCRIBE = "Subscribe to our newsletter for daily updates"
MOST_READ = "Most read this week"
SHARED_SENTENCE = "The minister said on Tuesday that the budget would be presented to parliament in May."


def aid(n: int) -> str:
    """An article id as the pipeline makes them: 32 hex digits, distinct from the start."""
    return f"{n:04x}" * 8


WORDS = ("harbour", "orchard", "museum", "glacier", "stadium", "library", "vineyard", "canal",
         "tramway", "airport", "quarry", "market")


def body(n: int) -> list[str]:
    """Two paragraphs of their own (digits are folded in fingerprints: words make them differ)."""
    a, b = WORDS[n % len(WORDS)], WORDS[(n // len(WORDS) + 5) % len(WORDS)]
    return [
        f"The {a} opened its doors again on Monday after a long winter of repairs by the {b} crew.",
        f"Visitors to the {b} said the {a} looked better than ever, and queues reached the square.",
    ]


class Table(dict):
    """A dict standing for the shell's table: `lookup` reads, `apply` writes."""

    def lookup(self, key: str):
        return self.get(key)

    def apply(self, check: sitelines.SiteLinesCheck) -> None:
        self.update(check.writes)


def run(table: Table, site: str, lines: list[str], article_id: str, day: int = DAY, options: StageOptions = OPTIONS):
    check = sitelines.check_lines(site, lines, article_id, day, table.lookup, options)
    table.apply(check)
    return check


def article(n: int) -> list[str]:
    return [body(n)[0], SUBSCRIBE, body(n)[1], MOST_READ]


def test_lines_repeated_in_three_articles_are_dropped_from_the_fourth():
    table = Table()
    for n in range(3):
        check = run(table, "example.com", article(n), aid(n))
        assert check.drop == ()
    fourth = article(3)
    check = run(table, "example.com", fourth, aid(3))
    assert check.kept(fourth) == tuple(body(3))
    assert check.drop == (1, 3)


def test_digits_case_and_spacing_are_folded():
    table = Table()
    for n in range(3):
        run(table, "example.com", [*body(n), f"Updated {n + 2} hours ago"], aid(n))
    lines = [*body(9), "UPDATED  11   hours ago"]
    assert run(table, "example.com", lines, aid(9)).kept(lines) == tuple(body(9))


def test_a_sentence_repeated_in_two_articles_stays():
    table = Table()
    for n in range(2):
        run(table, "example.com", [*body(n), SHARED_SENTENCE], aid(n))
    lines = [*body(5), SHARED_SENTENCE]
    assert run(table, "example.com", lines, aid(5)).drop == ()


def test_lines_over_the_cap_are_never_counted_or_dropped():
    options = replace(OPTIONS, sitelines_max_line_chars=200)
    long_line = "A long paragraph of the body. " * 10  # 300 characters
    table = Table()
    for n in range(5):
        run(table, "example.com", [body(n)[0], long_line], aid(n), options=options)
    assert run(table, "example.com", [body(9)[0], long_line], aid(9), options=options).drop == ()
    # Only the six first paragraphs were recorded, the line over the cap never.
    assert len(table[f"example.com@{DAY}"]["lines"]) == 6


def test_another_site_is_unaffected():
    table = Table()
    for n in range(3):
        run(table, "example.com", article(n), aid(n))
    other = article(7)
    assert run(table, "other.org", other, aid(7)).drop == ()
    assert run(table, "example.com", article(8), aid(8)).drop == (1, 3)


def test_an_only_line_or_all_lines_are_never_dropped():
    table = Table()
    for n in range(3):
        run(table, "example.com", article(n), aid(n))
    assert run(table, "example.com", [SUBSCRIBE], "f" * 32).drop == ()
    assert run(table, "example.com", [SUBSCRIBE, MOST_READ], "e" * 32).drop == ()


def test_lines_expire_after_the_horizon():
    options = replace(OPTIONS, sitelines_horizon_days=2)
    table = Table()
    for n in range(3):
        run(table, "example.com", article(n), aid(n), day=DAY, options=options)
    assert set(table) == {f"example.com@{DAY}"}
    # Within the horizon the lines are still known; past it they are not.
    assert run(Table(table), "example.com", article(4), aid(4), day=DAY + 2, options=options).drop == (1, 3)
    assert run(Table(table), "example.com", article(5), aid(5), day=DAY + 3, options=options).drop == ()
    assert sitelines.expired_keys(table, DAY + 3, 2) == [f"example.com@{DAY}"]
    assert sitelines.expired_keys(table, DAY + 2, 2) == []


def test_counts_add_up_across_days():
    table = Table()
    for n in range(3):
        run(table, "example.com", article(n), aid(n), day=DAY + n)
    assert len(table) == 3
    assert run(table, "example.com", article(3), aid(3), day=DAY + 3).drop == (1, 3)


def test_a_replay_counts_once_and_decides_the_same():
    table = Table()
    run(table, "example.com", article(0), aid(0))
    before = dict(table)
    again = run(table, "example.com", article(0), aid(0))
    assert again.writes == {} and table == before
    # Replays do not make a line look repeated: one article three times is still one article.
    for _ in range(3):
        run(table, "example.com", article(1), aid(1))
    assert run(table, "example.com", article(2), aid(2)).drop == ()
    # The fourth article, replayed after a restart, loses the same lines both times.
    first = run(table, "example.com", article(3), aid(3))
    assert first.drop == (1, 3)
    assert run(table, "example.com", article(3), aid(3)).drop == first.drop


def test_state_is_bounded():
    options = replace(OPTIONS, sitelines_max_lines_per_day=10)
    table = Table()
    for n in range(40):
        one_off = f"A one-off line about the {WORDS[n % 12]} and the {WORDS[(n // 12) % 12]}"
        lines = [*article(n), one_off, one_off.replace("one-off", "single")]
        run(table, "example.com", lines, aid(n), options=options)
    stored = table[f"example.com@{DAY}"]["lines"]
    assert len(stored) == 10
    assert all(len(tags) <= options.sitelines_min_articles for tags in stored.values())
    # The site's furniture, seen everywhere, survives the cap; one-off lines made way.
    assert sitelines.line_fingerprint(SUBSCRIBE, 200) in stored
    assert sitelines.line_fingerprint(MOST_READ, 200) in stored
    assert run(table, "example.com", article(99), aid(99), options=options).drop == (1, 3)


def test_the_stored_day_is_read_not_changed():
    """check_lines reads the day's entry without copying it: what it returns is a new value, and
    the one the table holds stays as it was."""
    import copy

    table = Table()
    for n in range(3):
        run(table, "example.com", article(n), aid(n))
    held = table[f"example.com@{DAY}"]
    before = copy.deepcopy(held)
    check = sitelines.check_lines("example.com", article(3), aid(3), DAY, table.lookup, OPTIONS)
    assert check.writes and check.writes[f"example.com@{DAY}"] is not held
    assert held == before


#: A site's commenting policy as printed under each of its articles (384 characters).
POLICY = (
    "Postmedia is committed to maintaining a lively but civil forum for discussion. Please keep comments "
    "relevant and respectful. Comments may take up to an hour to appear on the site. You will receive an "
    "email if there is a reply to your comment, an update to a thread you follow or if a user you follow "
    "comments. Visit our Community Guidelines for more information and details on how to adjust your email settings."
)


def test_a_long_line_the_site_prints_under_every_article_is_learnt():
    assert len(POLICY) > 300
    table = Table()
    for n in range(3):
        assert run(table, "nationalpost.com", [*body(n), POLICY], aid(n)).drop == ()
    fourth = [*body(3), POLICY]
    check = run(table, "nationalpost.com", fourth, aid(3))
    assert check.kept(fourth) == tuple(body(3))


def test_fingerprint_skips_long_and_letterless_lines():
    assert sitelines.line_fingerprint("12:45", 200) is None
    assert sitelines.line_fingerprint("x" * 201, 200) is None
    assert sitelines.line_fingerprint(POLICY, OPTIONS.sitelines_max_line_chars) is not None
    assert sitelines.line_fingerprint("Most read", 200) == sitelines.line_fingerprint("most  READ!", 200)
    assert sitelines.line_fingerprint("Most read", 200) != sitelines.line_fingerprint("Most liked", 200)


# --- wired into extraction: the step a worker's `prepare` agent and the offline mode run -------


def _page_text(n: int, furniture: str) -> bytes:
    import orjson

    text = "\n\n".join([body(n)[0], furniture, body(n)[1], f"{body(n + 1)[0]} Story {n}."])
    return orjson.dumps(
        {"url": f"https://www.harbour-gazette.example/local/story-{n}", "fetched_at": "2024-05-03T10:00:00Z", "text": text}
    )


def test_the_offline_chain_drops_a_line_the_site_printed_in_three_earlier_articles():
    import orjson

    from streams.offline import OfflineRun
    from streams.settings import Settings

    furniture = "Tips for the desk: write to the Harbour Gazette newsroom"
    run = OfflineRun(Settings.from_env({"COPYDESK_ENTITIES": "off"}))
    texts = []
    for n in range(4):
        result = run.run_one(_page_text(n, furniture), n)
        assert result.role == "enriched", result.value[:300]
        texts.append(orjson.loads(result.value)["text"])
    assert all(furniture in text for text in texts[:3])
    assert furniture not in texts[3]
    assert body(3)[0] in texts[3] and body(3)[1] in texts[3]
    # learnt on the raw partition the articles came from, under that partition's scope
    assert all(key.startswith("p0/harbour-gazette.example@") for key in run.sitelines)


def test_site_lines_off_keeps_every_line():
    import orjson

    from streams.offline import OfflineRun
    from streams.settings import Settings

    furniture = "Tips for the desk: write to the Harbour Gazette newsroom"
    run = OfflineRun(Settings.from_env({"COPYDESK_ENTITIES": "off", "COPYDESK_SITELINES_MIN_ARTICLES": "0"}))
    results = [run.run_one(_page_text(n, furniture), n) for n in range(4)]
    assert all(furniture in orjson.loads(r.value)["text"] for r in results)
    assert run.sitelines == {}


def test_the_site_lines_table_changelogs_a_key_on_the_partition_it_names():
    from streams.tables import PartitionScopedTable

    assert PartitionScopedTable.partition_for_key(None, "p3/rt.com@20000") == 3  # type: ignore[arg-type]
    assert PartitionScopedTable.partition_for_key(None, "p0/a.example@1") == 0  # type: ignore[arg-type]
    assert PartitionScopedTable.partition_for_key(None, "p3/rt.com#2@20000") == 3  # type: ignore[arg-type]


def unique_lines(n: int, count: int = 10) -> list[str]:
    """`count` lines no other article prints (letters, since digits are folded in fingerprints)."""
    letters = lambda k: "".join("abcdefghij"[int(d)] for d in str(k))  # noqa: E731
    return [f"A line of its own, number {letters(n)} and {letters(i)}, about the {WORDS[i % 12]}" for i in range(count)]


def test_a_day_is_kept_in_chunks_and_an_article_writes_only_the_last():
    table = Table()
    chunk = sitelines._CHUNK_LINES
    run(table, "example.com", [*unique_lines(0), SUBSCRIBE], aid(0))
    run(table, "example.com", [*unique_lines(1), SUBSCRIBE], aid(1))
    n = 2
    while len(table[f"example.com@{DAY}"]["lines"]) < chunk:
        check = run(table, "example.com", unique_lines(n), aid(n))
        assert list(check.writes) == [f"example.com@{DAY}"]
        n += 1
    # The first chunk is full: the next article writes a chunk of its own lines only.
    check = run(table, "example.com", [*unique_lines(n), SUBSCRIBE], aid(n))
    assert check.drop == ()
    assert list(check.writes) == [f"example.com#1@{DAY}"]
    fp = sitelines.line_fingerprint(SUBSCRIBE, 200)
    assert check.writes[f"example.com#1@{DAY}"]["lines"][fp] == [aid(n)[:12]]
    assert len(check.writes[f"example.com#1@{DAY}"]["lines"]) == 11
    assert len(table[f"example.com@{DAY}"]["lines"][fp]) == 2
    # The line's articles are counted over both chunks: two in the first, one in the second.
    check = run(table, "example.com", [*unique_lines(n + 1), SUBSCRIBE], aid(n + 1))
    assert check.drop == (10,)
    # Counted, a line takes no more tags, in whichever chunk.
    assert table[f"example.com#1@{DAY}"]["lines"][fp] == [aid(n)[:12]]
    assert sitelines.expired_keys(list(table), DAY + OPTIONS.sitelines_horizon_days + 1, OPTIONS.sitelines_horizon_days) == list(table)


def test_a_day_in_chunks_keeps_to_its_cap_and_the_site_furniture():
    chunk = sitelines._CHUNK_LINES
    options = replace(OPTIONS, sitelines_max_lines_per_day=chunk + 40)
    table = Table()
    for n in range(80):
        check = run(table, "example.com", [*article(n), *unique_lines(n)], aid(n), options=options)
        assert all(len(v["lines"]) <= chunk + 12 for v in check.writes.values())
    held = [table[k]["lines"] for k in (f"example.com@{DAY}", f"example.com#1@{DAY}")]
    assert f"example.com#2@{DAY}" not in table
    assert sum(map(len, held)) == options.sitelines_max_lines_per_day
    assert sitelines.line_fingerprint(SUBSCRIBE, 200) in held[0]
    assert run(table, "example.com", [*article(99), *unique_lines(99)], aid(99), options=options).drop == (1, 3)


def test_a_day_written_whole_before_chunks_is_read_as_its_first_chunk():
    """The layout before chunks: a day's lines, any number up to the cap, under `<site>@<day>`."""
    fp = lambda line: sitelines.line_fingerprint(line, 200)  # noqa: E731
    whole = {fp(line): [aid(n)[:12]] for n in range(3, 60) for line in unique_lines(n)}
    whole[fp(SUBSCRIBE)] = [aid(n)[:12] for n in range(3)]
    whole[fp(MOST_READ)] = [aid(0)[:12]]
    assert len(whole) > sitelines._CHUNK_LINES
    table = Table({f"example.com@{DAY}": {"lines": dict(whole)}})
    check = run(table, "example.com", [*body(70), SUBSCRIBE, MOST_READ], aid(70))
    assert check.drop == (2,)
    assert list(check.writes) == [f"example.com#1@{DAY}"]
    assert set(check.writes[f"example.com#1@{DAY}"]["lines"]) == {fp(line) for line in [*body(70), MOST_READ]}
    assert table[f"example.com@{DAY}"]["lines"] == whole
    # A short day of the old layout takes the article's lines itself.
    small = Table({f"example.com@{DAY}": {"lines": {fp(SUBSCRIBE): [aid(n)[:12] for n in range(3)]}}})
    check = run(small, "example.com", [*body(70), SUBSCRIBE], aid(70))
    assert check.drop == (2,) and list(check.writes) == [f"example.com@{DAY}"]


# --- the kept lines' words, handed to the url step in the same process -----------------------

_LINE_CHARS = st.sampled_from(
    list("aZß_-.'0 9") + ["\u00a0", "\u3000", "\t", "\u2028", "\u0301", "\u0308", "\u3099", "\u0130", "\u00bd",
                          "\u2460", "\u0663", "\ufb01", "\u1100", "\u1161", "\u11a8", "\u304b", "\uff21", "\u03a3"]
) | st.characters(exclude_categories=("Cs",))


@settings(max_examples=400, deadline=None)
@given(
    lines=st.lists(st.text(_LINE_CHARS, min_size=1, max_size=30).filter(str.strip), min_size=1, max_size=6),
    drop=st.sets(st.integers(0, 5)),
)
def test_the_words_of_the_kept_lines_are_the_extracted_bodys_own(lines, drop):
    """NFKC, case folding and the runs of letters and digits of each line, joined over the kept
    lines, are what `dedup.NormalBody` finds in the body `extract` makes of them (its
    paragraphs normalised and spaced, joined by blank lines)."""
    from processors import dedup
    from processors.extraction import extract
    from schemas.models import CleanedArticle, PageHints

    check = sitelines.SiteLinesCheck(tuple(sorted(i for i in drop if i < len(lines))), {},
                                     tuple(map(sitelines.line_words, lines)))
    kept = check.kept(lines)
    if not kept:
        return
    cleaned = CleanedArticle("https://example.com/a", "2024-05-03T10:00:00Z", "text", kept, PageHints())
    assert check.kept_words() == dedup.NormalBody.of(extract(cleaned, OPTIONS).text).words


def test_the_extraction_step_hands_the_url_step_the_body_words_in_process_only():
    from processors import dedup, pipeline
    from schemas.internal import Cleaned, dumps, loads_extracted
    from schemas.models import CleanedArticle, PageHints, SourceRef
    from streams.steps import clock

    table = Table()
    source = SourceRef("raw", 0, 3, None)
    for n in range(4):
        lines = (body(n)[0], "Ｓｕｂｓｃｒｉｂｅ  to our\u00a0NEWSLETTER for daily updates", body(n)[1])
        cleaned = CleanedArticle(f"https://example.com/{n}", "2024-05-03T10:00:00Z", "text", lines, PageHints())
        message = Cleaned(source, b"{}", cleaned)
        handed = pipeline.extract_step(message, OPTIONS, clock(), table.lookup, in_process=True)
        table.update(handed.writes)
        extracted = handed.handed
        assert extracted.words == dedup.NormalBody.of(extracted.article.text).words
        assert ("subscribe" in extracted.words) is (n < 3)  # the fourth article lost the site's line
        # a worker sends the message: the words stay behind
        assert b'"words"' not in pipeline.extract_step(message, OPTIONS, clock(), None).value
        assert b'"words"' not in dumps(extracted)
        assert loads_extracted(dumps(extracted)) == extracted  # the words are no part of the message


def test_lines_learnt_under_other_key_bases_count_and_only_the_own_one_is_written():
    """Each raw partition writes its own key base (`p<partition>/<site>`); an article reads all of
    them: three articles on three partitions make the line repeated for a fourth on a fourth."""
    from processors.pipeline import site_lines_scopes

    table = Table()
    for n in range(3):
        own, others = site_lines_scopes("example.com", n, 4)
        check = sitelines.check_lines(own, article(n), aid(n), DAY, table.lookup, OPTIONS, others)
        assert check.drop == ()
        assert set(check.writes) == {f"p{n}/example.com@{DAY}"}  # never another partition's key
        table.apply(check)
    own, others = site_lines_scopes("example.com", 3, 4)
    assert own == "p3/example.com" and others == ["p0/example.com", "p1/example.com", "p2/example.com"]
    check = sitelines.check_lines(own, article(3), aid(3), DAY, table.lookup, OPTIONS, others)
    assert check.drop == (1, 3)
    assert set(check.writes) == {f"p3/example.com@{DAY}"}
    # Read alone, partition 3 has seen the lines once (the fourth article's own tag never counts).
    alone = sitelines.check_lines(own, article(4), aid(4), DAY, table.lookup, OPTIONS)
    assert alone.drop == ()
    # Older days of the other key bases count too, within the horizon.
    later = sitelines.check_lines(own, article(5), aid(5), DAY + 3, table.lookup, OPTIONS, others)
    assert later.drop == (1, 3)


def test_an_article_counts_once_across_key_bases():
    """One article id's tag under two key bases (its URL sent twice, on two partitions) is one
    article: the union is of tags, not of counts."""
    table = Table()
    for base in ("p0/example.com", "p1/example.com"):
        table.apply(sitelines.check_lines(base, article(0), aid(0), DAY, table.lookup, OPTIONS))
    table.apply(sitelines.check_lines("p0/example.com", article(1), aid(1), DAY, table.lookup, OPTIONS))
    others = ["p0/example.com", "p1/example.com"]
    assert sitelines.check_lines("p2/example.com", article(2), aid(2), DAY, table.lookup, OPTIONS, others).drop == ()


def test_one_partition_reads_its_own_lines_alone():
    from processors.pipeline import site_lines_scopes

    assert site_lines_scopes("example.com", 0, 1) == ("p0/example.com", [])
    assert site_lines_scopes("example.com", 2, 1) == ("p2/example.com", [])  # 1: each partition alone
    assert site_lines_scopes("example.com", 1, 2) == ("p1/example.com", ["p0/example.com"])


def test_the_workers_read_every_partitions_lines():
    from streams.settings import Settings

    assert Settings.from_env({"COPYDESK_PARTITIONS": "8"}).stage.sitelines_partitions == 8
