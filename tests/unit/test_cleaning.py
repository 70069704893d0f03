"""Cleaning: tables of raw input and the paragraphs and hints expected from it."""

from __future__ import annotations

import gzip
import re
from collections import Counter
from pathlib import Path

import pytest

from processors import cleaning, vocabulary
from processors.cleaning import clean, parse_dateline, split_authors
from processors.errors import CleaningError
from processors.options import StageOptions
from schemas.models import RawArticle

DATA = Path(__file__).resolve().parents[1] / "data"
OPTIONS = StageOptions()
SEED_URL = "https://www.rt.com/news/333587-isis-libya-recruitment/"
SEED_TITLE = "ISIS warlords on recruitment drive in Libya amid airstrike pressure"


def _text(text: str, title: str | None = None, **options: object) -> tuple:
    raw = RawArticle(url="https://example.com/a", fetched_at="2024-05-03T10:00:00Z", text=text, title=title)
    cleaned = clean(raw, StageOptions(**options))  # type: ignore[arg-type]
    return cleaned.paragraphs, cleaned.hints


# --- the seed ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed():
    raw = RawArticle(url=SEED_URL, fetched_at="2016-02-25T08:00:00Z", text=(DATA / "seed.txt").read_text())
    return clean(raw, OPTIONS)


def test_seed_headline_goes_to_hints_only(seed):
    assert seed.hints.title == SEED_TITLE
    assert SEED_TITLE not in seed.paragraphs


def test_seed_dateline_goes_to_hints(seed):
    assert seed.hints.published_at == "2016-02-24T12:18:00+00:00"
    assert "24 Feb, 2016 12:18" not in seed.paragraphs


def test_seed_keeps_every_body_paragraph_and_nothing_else(seed):
    lines = [ln.strip() for ln in (DATA / "seed.txt").read_text().splitlines() if ln.strip()]
    furniture = {lines[0], "24 Feb, 2016 12:18", SEED_TITLE, "RT", "Podcasts", "0:00", "14:40", "13:8"}
    assert lines[0].startswith("icon bookmark-bicon bookmarkicon")
    assert seed.paragraphs == tuple(ln for ln in lines if ln not in furniture)
    assert len(seed.paragraphs) == 15
    assert seed.paragraphs[0].startswith("Islamic State is shifting its focus from Iraq and Syria")
    assert seed.paragraphs[1] == (
        "The influx of foreign fighters into the jihadists’ ranks is thinning, "
        "the US-led coalition’s command believes."
    )
    assert seed.paragraphs[-1] == (
        "“ISIS, Jabhat Al-Nursa, and other terrorist organizations designated by the United Nations "
        "Security Council, are excluded from the cessation of hostilities. Strikes against them will "
        "continue,” Vladimir Putin said Monday."
    )
    for furniture in ("RT", "Podcasts", "0:00", "14:40", "13:8"):
        assert furniture not in seed.paragraphs
    assert not any("bookmarkicon" in p for p in seed.paragraphs)
    assert seed.source_format == "text"
    assert seed.url == SEED_URL


def test_seed_in_another_zone():
    raw = RawArticle(url=SEED_URL, fetched_at="2016-02-25T08:00:00Z", text=(DATA / "seed.txt").read_text())
    cleaned = clean(raw, StageOptions(assume_timezone="Europe/Moscow"))
    assert cleaned.hints.published_at == "2016-02-24T12:18:00+03:00"


# --- datelines -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("24 Feb, 2016 12:18", "2016-02-24T12:18:00+00:00"),
        ("February 24, 2016", "2016-02-24T00:00:00+00:00"),
        ("2016-02-24 12:18", "2016-02-24T12:18:00+00:00"),
        ("24.02.2016", "2016-02-24T00:00:00+00:00"),
        ("24.02.2016, 09:05 Uhr", "2016-02-24T09:05:00+00:00"),
        ("Published: 24 Feb, 2016 12:18", "2016-02-24T12:18:00+00:00"),
        ("Updated: February 24, 2016 3:45 PM", "2016-02-24T15:45:00+00:00"),
        ("Published time: 24 Feb, 2016 12:18 Edited time: 25 Feb, 2016 09:00",
         "2016-02-24T12:18:00+00:00"),
        ("Wednesday, 24 February 2016 12:18 GMT", "2016-02-24T12:18:00+00:00"),
        ("Wed 24 Feb 2016 12.18 GMT", "2016-02-24T12:18:00+00:00"),
        ("2016-02-24T12:18:00+01:00", "2016-02-24T12:18:00+01:00"),
        ("Feb. 24, 2016 at 7:05 a.m. EST", "2016-02-24T07:05:00-05:00"),
        ("24. Februar 2016", "2016-02-24T00:00:00+00:00"),
        ("24 de febrero de 2016", "2016-02-24T00:00:00+00:00"),
        ("Veröffentlicht am 3. Mai 2024, 14:30", "2024-05-03T14:30:00+00:00"),
    ],
)
def test_datelines(line, expected):
    assert parse_dateline(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "On February 24, 2016, US warplanes hit a camp.",
        "The ceasefire starts on February 27.",
        "31 Feb, 2016",
        "12:18",
        "Podcasts",
        "2016",
    ],
)
def test_not_datelines(line):
    assert parse_dateline(line) is None


def test_dateline_in_assumed_zone():
    assert parse_dateline("24 Feb, 2016 12:18", "America/New_York") == "2016-02-24T12:18:00-05:00"
    assert parse_dateline("24 Jul, 2016 12:18", "Europe/Berlin") == "2016-07-24T12:18:00+02:00"


# --- furniture against short body sentences ------------------------------------------------------

BODY_1 = "The council voted on Tuesday to close the old bridge to all traffic until repairs end."
BODY_2 = "Residents said the decision came far too late for the shops along the river."


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # short quoted sentences are body
        ([BODY_1, "“No.”", BODY_2], (BODY_1, "“No.”", BODY_2)),
        ([BODY_1, "\"We will rebuild.\"", BODY_2], (BODY_1, "\"We will rebuild.\"", BODY_2)),
        ([BODY_1, "Why now?", BODY_2], (BODY_1, "Why now?", BODY_2)),
        # lone credits and furniture go
        ([BODY_1, "RT", BODY_2], (BODY_1, BODY_2)),
        ([BODY_1, "Advertisement", BODY_2], (BODY_1, BODY_2)),
        ([BODY_1, "Read more: Bridge repairs to cost millions", BODY_2], (BODY_1, BODY_2)),
        ([BODY_1, "Share on Facebook", "Share", "Tweet", BODY_2], (BODY_1, BODY_2)),
        ([BODY_1, "Subscribe to our newsletter", BODY_2], (BODY_1, BODY_2)),
        ([BODY_1, "We use cookies to improve your experience on our website.", BODY_2], (BODY_1, BODY_2)),
        # a consent dialog's descriptions of its cookies (Reuters, Daily Maverick, Kleine Zeitung)
        ([BODY_1, "These cookies are necessary for the website to function and cannot be switched off.", BODY_2],
         (BODY_1, BODY_2)),
        ([BODY_1, "This cookie is set by Google and stored under the name dounleclick.com.", BODY_2],
         (BODY_1, BODY_2)),
        ([BODY_1, "Ihre derzeitigen Cookie-Einstellungen lassen dies nicht zu.", BODY_2], (BODY_1, BODY_2)),
        ([BODY_1, BODY_2, "Podcasts", "0:00", "14:40", "1:02:33"], (BODY_1, BODY_2)),
        (["icon shareicon closeicon mailicon fbicon twicon", BODY_1, BODY_2], (BODY_1, BODY_2)),
        # a mid-article subheading stays; tag lists after the body go
        ([BODY_1, "What happens next for the bridge", BODY_2],
         (BODY_1, "What happens next for the bridge", BODY_2)),
        ([BODY_1, BODY_2, "Bridges Traffic Council"], (BODY_1, BODY_2)),
        # a sentence about cookies is body
        ([BODY_1, "The bakery sold cookies to the workers every day.", BODY_2],
         (BODY_1, "The bakery sold cookies to the workers every day.", BODY_2)),
    ],
)
def test_furniture_and_short_body_lines(lines, expected):
    paragraphs, _ = _text("\n\n".join(lines))
    assert paragraphs == expected


def test_hard_wrapped_lines_are_joined():
    paragraphs, _ = _text(
        "The council voted on Tuesday to close the old bridge\nto all traffic until repairs end.\n\n"
        + BODY_2
    )
    assert paragraphs == (BODY_1, BODY_2)


def test_byline_goes_to_authors():
    paragraphs, hints = _text(f"Bridge to close\n\nBy Jane Doe and John Smith\n\n{BODY_1}\n\n{BODY_2}")
    assert hints.authors == ("Jane Doe", "John Smith")
    assert hints.title == "Bridge to close"
    assert paragraphs == (BODY_1, BODY_2)


def test_sentence_starting_with_by_is_body():
    line = "By the end of the year the council expects the bridge to reopen for buses."
    paragraphs, hints = _text(f"{BODY_1}\n\n{line}")
    assert paragraphs == (BODY_1, line)
    assert hints.authors == ()


def test_crawler_title_is_removed_from_body_and_kept_in_hints():
    paragraphs, hints = _text(f"Bridge closed for repairs\n\n{BODY_1}\n\n{BODY_2}", title="Bridge closed for repairs")
    assert hints.title == "Bridge closed for repairs"
    assert paragraphs == (BODY_1, BODY_2)


def test_text_starting_with_a_sentence_has_no_headline():
    paragraphs, hints = _text(f"{BODY_1}\n\n{BODY_2}")
    assert hints.title is None
    assert paragraphs == (BODY_1, BODY_2)


def test_empty_body_is_a_cleaning_error():
    with pytest.raises(CleaningError) as caught:
        _text("icon shareicon closeicon mailicon\n\nRT\n\nPodcasts\n0:00")
    assert caught.value.kind == "empty_body"
    assert caught.value.stage == "cleaning"


def test_short_body_below_minimum_is_an_error():
    with pytest.raises(CleaningError):
        _text("A short note.", min_body_chars=80)
    paragraphs, _ = _text("A short note.", min_body_chars=5)
    assert paragraphs == ("A short note.",)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ("Birgit Baumann; Anna Giulia Fink; Jan Michael Marchart",
         ("Birgit Baumann", "Anna Giulia Fink", "Jan Michael Marchart")),
        ("Jane Doe, John Smith and Ann Lee", ("Jane Doe", "John Smith", "Ann Lee")),
        ("Jane Doe; jane doe", ("Jane Doe",)),
        ("", ()),
    ],
)
def test_split_authors(names, expected):
    assert split_authors(names) == expected


# --- HTML pages (fundus test data, see tests/data/pages/README.md) -------------------------------

PAGES = DATA / "pages"


def _page(name: str, url: str, fetched_at: str) -> RawArticle:
    return RawArticle(url=url, fetched_at=fetched_at, html=gzip.decompress((PAGES / name).read_bytes()).decode())


@pytest.mark.parametrize(
    ("name", "url", "fetched_at", "title", "authors", "published_at", "language", "first", "last"),
    [
        (
            "us_APNews_2023_04_28.html.gz",
            "https://apnews.com/article/mexico-economy-growth-3cc842471fb9df42315d658d88c8403a",
            "2023-04-28T20:32:23Z",
            "Mexico's economy grew 1.1% in 1st quarter, 3.8% year on year",
            ("Associated Press",),  # credits only its publisher: kept, as annotated
            "2023-04-28T17:40:08+00:00",
            "en",
            "MEXICO CITY (AP) — Mexico’s economy grew by 1.1% in the first quarter of 2023",
            "Mexico’s central bank has raised interest rates to 11.25% and inflation remains high, at 6.85%.",
        ),
        (
            "at_ORF_2024_11_22.html.gz",
            "https://orf.at/stories/3376705/",
            "2024-11-22T09:47:48Z",
            "Nach Gaetz-Rückzug: Trump-Anwältin soll Justizministerin werden",
            ("ORF.at",),  # JSON-LD credits the site; "Red" and "Agenturen" are desks, no person
            "2024-11-22T06:57:50+00:00",  # JSON-LD datePublished, with its time
            "de",
            # The lead, printed under the headline apart from the body's container, as annotated.
            "Der designierte US-Präsident Donald Trump hat nach dem Rückzug seines Wunschkandidaten",
            "kämpft, begrüßt.",
        ),
        (
            "ls_LesothoTimes_2025_11_24.html.gz",
            "https://lestimes.com/mining-blasts-shatter-homes/",
            "2025-11-24T15:25:14Z",
            "Mining blasts shatter homes",
            # Meta and JSON-LD credit the publisher; the byline is a bold paragraph over the text.
            ("Mathatisi Sebusi", "Mohalenyane Phakela"),
            "2025-11-21T00:00:00+00:00",
            "en",
            "…as Bela Bela communities cry foul over lost livelihoods",
            "“Ask them to submit a formal complaint to the ministry”.",
        ),
        (
            "cn_People_2024_04_24.html.gz",
            "http://politics.people.com.cn/n1/2024/0424/c1001-40223222.html",
            "2024-04-24T21:48:58Z",
            "促进航天技术更好惠及人民――习近平主席向首届“中国－拉美和加勒比国家航天合作论坛”致贺信为中拉深化航天合作指明方向--时政--人民网",
            ("牛镛", "岳弘彬"),
            "2024-04-24T00:00:00+08:00",
            None,
            "新华社北京4月24日电 题：促进航天技术更好惠及人民",
            "- 关注",
        ),
        (
            # The JSON-LD credits the paper itself ("台北時報"); the credit under the headline is
            # the agency's and a dateline ("AFP, MANILA").
            "tw_TaipeiTimes_2024_10_15.html.gz",
            "https://www.taipeitimes.com/News/front/archives/2024/10/16/2003825372",
            "2024-10-15T22:35:38Z",
            "US, Manila launch war games after PRC’s Taiwan drills",
            ("AFP",),
            "2024-10-16T00:00:00+08:00",
            None,
            "Thousands of US and Filipino troops yesterday launched joint exercises",
            "owned by the bureau that was damaged in clashes with Chinese vessels this year.",
        ),
    ],
)
def test_html_pages(name, url, fetched_at, title, authors, published_at, language, first, last):
    cleaned = clean(_page(name, url, fetched_at), OPTIONS)
    assert cleaned.source_format == "html"
    assert cleaned.hints.title == title
    assert cleaned.hints.authors == authors
    assert cleaned.hints.published_at == published_at
    assert cleaned.hints.language == language
    assert cleaned.paragraphs[0].startswith(first)
    assert cleaned.paragraphs[-1].endswith(last)
    assert title not in cleaned.paragraphs
    assert not any(p.replace("/", " ").split() == " ".join(authors).split() for p in cleaned.paragraphs)


@pytest.mark.parametrize(
    ("name", "url", "fetched_at", "furniture", "kept"),
    [
        (
            "za_TheCitizen_2025_11_28.html.gz",
            "https://www.citizen.co.za/news/south-africa/severe-storms-gauteng-residents-flood-risks/",
            "2025-11-28T14:43:08Z",
            ("ALSO READ: Brace for very bad weather in Joburg and other parts of SA this weekend",),
            "He urged residents to avoid flooded areas and immediately report hazardous situations.",
        ),
        (
            "jp_ChunichiShimbun_2025_01_13.html.gz",
            "https://www.chunichi.co.jp/article/1011185",
            "2025-01-13T18:10:25Z",
            ("この記事は会員限定です。", "紙の新聞の定期購読者の方は、無料で会員登録できます。", "関連キーワード", "おすすめ情報"),
            "気象庁は調査終了を受けた記者会見で「地震はいつ起きてもおかしくない。日頃からの備えを確実に実施しておくよう"
            "お願いしたい」と呼びかけた。気象庁によると、日向灘の地震は南海トラフ巨大地震の想定震源域...",
        ),
    ],
)
def test_html_page_furniture_leaves_the_body(name, url, fetched_at, furniture, kept):
    # Pointers to other stories and paywall prompts that trafilatura keeps as paragraphs: the
    # furniture vocabulary of the page-text path judges them too.
    paragraphs = clean(_page(name, url, fetched_at), OPTIONS).paragraphs
    assert kept in paragraphs
    assert not set(furniture) & set(paragraphs)


def test_an_embedded_tweet_is_not_the_article_text():
    cleaned = clean(
        _page("mx_MexicoNewsDaily_2025_04_16.html.gz",
              "https://mexiconewsdaily.com/news/bad-idea-mexico-pushes-back-trump-universal-steel-tariffs/",
              "2025-04-16T14:10:08Z"),
        OPTIONS,
    )
    assert not [p for p in cleaned.paragraphs if "pic.twitter.com" in p or "(@WhiteHouse)" in p]
    assert cleaned.paragraphs[0].startswith("The 25% tariffs on steel and aluminum imports")
    assert cleaned.paragraphs[-1] == "With reports from Reforma and El Economista"


def test_a_body_split_into_containers_of_one_class_is_read_whole():
    # Politico Europe sets the body in five `article__content` containers between pictures.
    paragraphs = clean(
        _page("be_PoliticoEu_2025_10_23.html.gz",
              "https://www.politico.eu/article/catherine-connolly-socialist-critic-nato-eu-poised-win-ireland-presidency/",
              "2025-10-23T17:51:24Z"),
        OPTIONS,
    ).paragraphs
    assert paragraphs[1].startswith("DUBLIN — She’s slammed NATO, voted against EU treaties")
    assert any(p.startswith("Connolly faced questioning from supporters at one campaign event") for p in paragraphs)
    assert any(p.startswith("Connolly in 2018 joined Daly and Wallace in a tour") for p in paragraphs)
    assert paragraphs[-1].endswith("would have the capacity to damage Ireland’s reputation and interests.”")


def test_body_chunks_join_within_one_story_only():
    first = [f"{BODY_1[:-1]}, said the mayor in her {n} statement of the week." for n in ("first", "second", "third")]
    second = [f"{BODY_2[:-1]}, said the baker in his {n} interview of the day." for n in ("first", "second", "third")]
    other = [f"The harbour reopened on Friday after a long winter, the {n} ferry said." for n in ("first", "second")]

    def chunk(lines: list[str]) -> str:
        return "<div class='article-body'>" + "".join(f"<p>{line}</p>" for line in lines) + "</div>"

    html = (
        "<html><head><title>Bridge</title></head><body><main>"
        f"<article><h1>Bridge</h1>{chunk(first)}<figure><img src='a.jpg'></figure>{chunk(second)}</article>"
        f"<article><h2>Harbour</h2>{chunk(other)}</article>"
        "</main></body></html>"
    )
    paragraphs = clean(RawArticle(url="https://example.com/a", fetched_at="2024-05-03T10:00:00Z", html=html), OPTIONS).paragraphs
    assert paragraphs == (*first, *second)


def test_an_info_box_beside_the_story_is_not_its_text():
    paragraphs = clean(
        _page("de_Hessenschau_2024_04_27.html.gz",
              "https://www.hessenschau.de/wirtschaft/schnellere-integration-job-turbo-hilft-gefluechteten-auf-dem-"
              "arbeitsmarkt-v1,ukrainer-arbeitsmarkt-100.html",
              "2024-04-27T09:45:52Z"),
        OPTIONS,
    ).paragraphs
    assert "Ukraine-Geflüchtete in Hessen" not in paragraphs  # the box's headline, and its text below
    # The headline that trafilatura keeps inside the body's container is not its first paragraph.
    assert paragraphs[0] != 'Schnellere Integration "Job-Turbo" hilft Geflüchteten auf dem Arbeitsmarkt'
    assert not [p for p in paragraphs if p.startswith("Unter den rund 89.500 Ukraine-Geflüchteten in Hessen")]
    assert paragraphs[-1].endswith("spielsweise die Anerkennung von Abschlüssen und Qualifikationen aus dem Ausland.")


def test_html_page_hints_canonical_and_site_name():
    cleaned = clean(
        _page("us_APNews_2023_04_28.html.gz",
              "https://apnews.com/article/mexico-economy-growth-3cc842471fb9df42315d658d88c8403a?utm_source=x",
              "2023-04-28T20:32:23Z"),
        OPTIONS,
    )
    assert cleaned.hints.canonical_url == (
        "https://apnews.com/article/mexico-economy-growth-3cc842471fb9df42315d658d88c8403a"
    )
    assert cleaned.hints.site_name == "Associated Press"
    assert len(cleaned.paragraphs) == 4


def test_html_without_body_falls_back_to_text():
    raw = RawArticle(
        url="https://example.com/a",
        fetched_at="2024-05-03T10:00:00Z",
        html="<html><body><nav>Home</nav></body></html>",
        text=f"Bridge closed\n\n{BODY_1}\n\n{BODY_2}",
    )
    cleaned = clean(raw, OPTIONS)
    assert cleaned.paragraphs == (BODY_1, BODY_2)
    assert cleaned.hints.title == "Bridge closed"


def test_html_without_body_is_a_cleaning_error():
    raw = RawArticle(url="https://example.com/a", fetched_at="2024-05-03T10:00:00Z",
                     html="<html><body><nav>Home</nav><p>Menu</p></body></html>")
    with pytest.raises(CleaningError) as caught:
        clean(raw, OPTIONS)
    assert caught.value.kind == "empty_body"


def _ld_page(date_published: str) -> RawArticle:
    ld = '{"@type": "NewsArticle", "headline": "Bridge closes", "datePublished": "%s"}' % date_published
    html = (
        f'<html><head><script type="application/ld+json">{ld}</script>'
        '<meta property="article:published_time" content="2024-04-20T08:00:00+00:00"></head>'
        f"<body><h1>Bridge closes</h1><p>{BODY_1}</p><p>{BODY_2}</p></body></html>"
    )
    return RawArticle(url="https://example.com/news/bridge", fetched_at="2024-04-26T12:00:00Z", html=html)


def test_json_ld_date_published_is_the_publication_time():
    hints = clean(_ld_page("2024-04-25T19:30:04+02:00"), OPTIONS).hints
    assert hints.published_at == "2024-04-25T19:30:04+02:00"


def test_a_json_ld_date_after_the_fetch_is_not_believed():
    hints = clean(_ld_page("2031-01-01T00:00:00Z"), OPTIONS).hints
    assert hints.published_at is not None and not hints.published_at.startswith("2031")


def test_a_line_repeated_three_times_in_an_article_is_furniture():
    placeholder = "Externer Inhalt nicht verfügbar"
    paragraphs = [BODY_1, placeholder, BODY_2, placeholder, BODY_1, placeholder]
    html = "<html><body><article>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</article></body></html>"
    raw = RawArticle(url="https://example.com/news/embeds", fetched_at="2024-04-26T12:00:00Z", html=html)
    # The placeholder goes every time; a paragraph said twice is kept once.
    assert clean(raw, OPTIONS).paragraphs == (BODY_1, BODY_2)


def test_page_text_loses_a_line_repeated_three_times():
    notice = "Externer Inhalt nicht verfügbar, bitte Einstellungen prüfen."
    paragraphs, _ = _text("\n\n".join([BODY_1, notice, BODY_2, notice, notice]))
    assert paragraphs == (BODY_1, BODY_2)


@pytest.mark.parametrize("name", sorted(p.name for p in PAGES.glob("*.html.gz")))
def test_the_page_metadata_is_trafilaturas_less_categories_tags_and_licence(name):
    """cleaning runs trafilatura's `extract_metadata` step by step (without what copydesk never
    publishes); on an upgrade of trafilatura that changes the function, this says so."""
    import trafilatura
    from trafilatura.metadata import extract_metadata

    from processors.cleaning import _trafilatura_author, _trafilatura_metadata

    html = gzip.decompress((PAGES / name).read_bytes()).decode()
    params = {"original_date": True, "extensive_search": False, "outputformat": "%Y-%m-%dT%H:%M:%S%z", "max_date": "2026-01-01"}
    ours = _trafilatura_metadata(trafilatura.load_html(html), "https://example.org/a", dict(params))
    theirs = extract_metadata(trafilatura.load_html(html), "https://example.org/a", dict(params))
    fields = ("title", "url", "description", "sitename", "date", "filedate")
    assert [getattr(ours, f) for f in fields] == [getattr(theirs, f) for f in fields]
    assert ours.title and ours.date  # the pages have both: the comparison is not of two Nones
    assert ours.author is None  # the author is `_trafilatura_author`'s, on its own pass
    assert _trafilatura_author(trafilatura.load_html(html)) == theirs.author
    # Without htmldate, every other field is the same.
    undated = _trafilatura_metadata(trafilatura.load_html(html), "https://example.org/a", dict(params), dated=False)
    assert undated.date is None
    assert [getattr(undated, f) for f in fields if f != "date"] == [getattr(theirs, f) for f in fields if f != "date"]



#: Pages that take `trafilatura.load_html`'s odd paths: control characters and U+FFFE / U+FFFF
#: (dropped), an XHTML doctype with and without a line after it (cut), a self-closing <html/>,
#: a charset or an XML declaration other than UTF-8, a byte-order mark, CR line ends, fragments
#: and text that are no page (no tree), an empty page, a lone surrogate.
ODD_PAGES = [
    "<html><head><meta charset='iso-8859-1'></head><body><p>café ü 日本 \U0001F600</p></body></html>",
    "<html><head><meta http-equiv='Content-Type' content='text/html; charset=windows-1251'></head>"
    "<body><p>Привет мир</p></body></html>",
    "<?xml version='1.0' encoding='ISO-8859-1'?><html><body><p>café</p></body></html>",
    "\ufeff<!DOCTYPE html><html><body><p>bom café</p></body></html>",
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/'
    'xhtml1-transitional.dtd">\n<html><body><p>x\x00y\x07z\ufffe\uffff \x1b[31mansi\x0c</p></body></html>',
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "x/y.dtd"><html><body><p>no line after</p></body></html>',
    "<html lang='en'/>\n<body><p>self closing</p></body>",
    "<html><body><p>a\rb\r\nc\td</p></body></html>",
    "<p>fragment only</p>",
    "<div><p>a</p></div><div><p>b</p></div>",
    "plain text, no markup at all",
    "",
    "<html><body><p>lone \ud800 surrogate</p></body></html>",
]


@pytest.mark.parametrize("html", ODD_PAGES + [gzip.decompress(p.read_bytes()).decode() for p in sorted(PAGES.glob("*.html.gz"))])
def test_the_page_is_parsed_to_trafilaturas_tree(html):
    """cleaning parses a page's UTF-8 bytes after trafilatura's repairs, where trafilatura
    parses the str: the same tree, and the bytes are the repaired page's."""
    import trafilatura
    from lxml.html import tostring

    from processors.cleaning import _load_html

    theirs = trafilatura.load_html(html)
    ours, data = _load_html(html)
    assert (ours is None) == (theirs is None)
    if theirs is not None:
        assert tostring(ours, encoding="unicode") == tostring(theirs, encoding="unicode")
        assert len(ours.xpath("//*")) > 1  # trees with something in them, not two empty ones
    repaired = trafilatura.utils.repair_faulty_html(html, html[:50].lower())
    assert data == repaired.encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("char", [chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)] + ["\ufffe", "\uffff"])
def test_a_page_loses_each_character_xml_forbids(char):
    from processors.cleaning import _load_html

    tree, data = _load_html(f"<html><body><p>x{char}y</p><p>tab\tkept</p></body></html>")
    assert [p.text for p in tree.iter("p")] == ["xy", "tab\tkept"]
    assert data == b"<html><body><p>xy</p><p>tab\tkept</p></body></html>"


#: JSON-LD that does not parse (as a page's script does once trafilatura has normalised it):
#: authors under "author" and under "Person" types, names repeated, names without a space (which
#: stop the list), a "Person" whose name follows a "}" (no match), and a '"Person"' that only
#: forms once a match before it is cut out.
UNPARSED_JSON_LD = [
    '{"@type":"NewsArticle","author":[{"@type":"Person","name":"Ann Lee"},{"@type":"Person","name":"Bo Ek"},'
    '{"@type":"Person","name":"Ann Lee"}],"headline":"A title","publisher":{"name":"Daily"} "x',
    '{"a":[{"@type":"Person","name":"Ann Lee"}, {"@type":"Person","x":1}, {"@type":"person","names":"Cy Do"},'
    '"Pe"}"Person","name":"Di Fa"}, "articleSection":"World" oops',
    '"Pers{"@type":"Person","name":"Ann Lee"}on","name":"Ed Gi" "Person" "name":"Jo Ko","name":"Lu"',
    '"author":{"name":"Ann Lee"},"author":{"name":"Bo"},"author":{"names":"Cy Do"}',
    '"Pe"Person","name":"Ann Lee"rson" "name" "Bo Ek" "Person","name":"Cy"',
    '[' + ','.join(f'{{"@type":"Person","name":"Reporter {i % 7} Smith"}}' for i in range(300)) + '] "',
]


@pytest.mark.parametrize("text", UNPARSED_JSON_LD)
def test_unparsed_json_ld_reads_as_trafilatura_reads_it(text):
    from trafilatura.json_metadata import extract_json_parse_error
    from trafilatura.settings import Document

    from processors.cleaning import _json_ld_unparsed

    fields = ("author", "pagetype", "sitename", "categories", "title")
    ours, theirs = _json_ld_unparsed(text, Document()), extract_json_parse_error(text, Document())
    assert [getattr(ours, f) for f in fields] == [getattr(theirs, f) for f in fields]
    assert ours.author  # every case has authors to find


@pytest.mark.parametrize(
    "text",
    [
        '{\n  "@type": "NewsArticle",\n  "headline": "A  \\"quoted\\"\ttitle",\n  "name": "caf\\u00e9 \\ud83d\\ude00"\n}',
        '{"articleBody": "<p>One &amp; two</p><!-- c -->\\n\\r\\t three"}  "unterminated  \\\n',
        '  "a\\\nb"  \u00a0 "x" \u2028 { "y" :  1 }',
        '"\\ud800 lone \\udfff" "é" \\',
        # escapes in runs (an even count closes the string, an odd one escapes the quote), quotes
        # inside unquoted runs, a string left open after an escaped quote
        r'{"a\\": "b\\\"c", "d": x"y"z, "e\\\\\\": "f"}  "open \" to   the end',
    ],
)
def test_json_ld_scripts_are_prepared_as_trafilatura_prepares_them(text):
    from trafilatura.json_metadata import normalize_json
    from trafilatura.metadata import JSON_MINIFY

    from processors.cleaning import _normalized_json

    assert _normalized_json(text) == normalize_json(JSON_MINIFY.sub(r"\1", text))

# --- page text in every script ---------------------------------------------------------------------

#: (script, headline, body paragraphs, furniture lines around them): short pages of each kind, the
#: furniture a crawler's flattened page carries in that language (a menu, one item a line, a share
#: label, a credit).
SCRIPT_PAGES = [
    (
        "japanese",
        "宮崎県で震度5弱、高知と宮崎に津波注意報",
        (
            "13日午後9時19分ごろ、宮崎県で震度5弱の地震があった。気象庁によると、震源地は日向灘で、震源の深さは約36キロ。",
            "気象庁は記者会見で「地震はいつ起きてもおかしくない。日頃からの備えを確実に実施してほしい」と呼びかけた。",
            "宮崎県：延岡市、西都市、木城町、川南町、都農町、門川町、日南市、串間市、国富町、綾町",
        ),
        ("ホーム\nニュース\n社会", "共同通信", "シェア"),
    ),
    (
        "chinese",
        "国务院常务会议研究部署进一步促进消费",
        (
            "国务院总理主持召开国务院常务会议，研究部署进一步促进消费的政策措施，审议通过有关法规草案。",
            "会议指出，要加大对重点消费领域的支持力度，推动汽车、家电等大宗消费持续回升",
        ),
        ("首页\n要闻\n国际", "责任编辑：王磊", "分享到"),
    ),
    (
        "thai",
        "กรุงเทพฯ เตรียมรับมือฝนตกหนักสัปดาห์หน้า",
        (
            "กรมอุตุนิยมวิทยาคาดการณ์ว่าจะมีฝนตกหนักถึงหนักมากในหลายพื้นที่ของกรุงเทพมหานครและปริมณฑลตลอดสัปดาห์หน้า ประชาชนควรติดตามประกาศอย่างใกล้ชิด",
            "ผู้ว่าราชการกรุงเทพมหานครกล่าวว่าได้สั่งการให้สำนักการระบายน้ำเตรียมเครื่องสูบน้ำและเจ้าหน้าที่ไว้พร้อมตลอดยี่สิบสี่ชั่วโมง",
            "ในปีที่ผ่านมา น้ำท่วมขังบนถนนสายหลักหลายสายทำให้การจราจรติดขัดเป็นเวลานาน และสร้างความเสียหายให้แก่ร้านค้าริมถนน",
        ),
        ("หน้าแรก\nข่าว\nกีฬา", "แชร์", "อ่านต่อ"),
    ),
    (
        "hebrew",
        "הכנסת אישרה את התקציב לשנה הבאה",
        (
            "מליאת הכנסת אישרה הלילה בקריאה שנייה ושלישית את תקציב המדינה לשנה הבאה, לאחר דיון שנמשך כשלושים שעות.",
            "שר האוצר אמר כי התקציב יאפשר להגדיל את ההשקעה בתשתיות ובחינוך ולצמצם את הגירעון בהדרגה",
            "חברי האופוזיציה טענו כי התקציב אינו נותן מענה ליוקר המחיה וכי הוא פוגע במעמד הביניים.",
        ),
        ("ראשי\nחדשות\nספורט", "שתפו", "תגובות"),
    ),
    (
        "hindi",
        "समस्तीपुर में पुलिस ने दो बदमाशों को पकड़ा",
        (
            "समस्तीपुर जिले में पुलिस ने गश्ती के दौरान दो बदमाशों को हथियार के साथ गिरफ्तार किया है। दोनों से पूछताछ की जा रही है।",
            "थानाध्यक्ष ने बताया कि गुप्त सूचना के आधार पर यह कार्रवाई की गई और दोनों को न्यायिक हिरासत में भेज दिया गया।",
        ),
        ("होम\nदेश\nखेल", "शेयर करें"),
    ),
]


@pytest.mark.parametrize("layout", ["blank", "lines"])
@pytest.mark.parametrize(("script", "headline", "body", "furniture"), SCRIPT_PAGES, ids=[p[0] for p in SCRIPT_PAGES])
def test_page_text_in_every_script_keeps_its_body(script, headline, body, furniture, layout):
    menu, *rest = furniture
    lines = [menu, headline, *body, *rest]
    separator = "\n\n" if layout == "blank" else "\n"
    paragraphs, hints = _text(separator.join(lines))
    assert paragraphs == body
    assert hints.title == headline


def test_one_paragraph_a_line_without_a_blank_keeps_its_headline():
    paragraphs, hints = _text(f"Bridge closed for repairs\n{BODY_1}\n{BODY_2}")
    assert hints.title == "Bridge closed for repairs"
    assert paragraphs == (BODY_1, BODY_2)


#: Dagbladet's headline is a quote, opened by a dash as Norwegian papers print quotes.
DAGBLADET = (
    "- Angsten vil øke",
    "USAs angrep på Venezuela skaper spenning i Nord-Korea, mener ekspert, men tror et liknende angrep på "
    "Kim-regimet er usannsynlig.",
    "Søndag gikk Nord-Korea ut og fordømte USAs angrep på Venezuela, der president Nicolas Maduro og kona Cilia "
    "Flores ble tatt til fange og brakt til New York.",
)


@pytest.mark.parametrize("separator", ["\n", "\n\n"])
def test_a_headline_quoting_after_a_dash_is_the_headline(separator):
    paragraphs, hints = _text(separator.join(DAGBLADET))
    assert hints.title == "- Angsten vil øke"
    assert paragraphs == DAGBLADET[1:]


def test_hard_wrapped_text_with_blank_lines_has_no_headline_in_its_first_line():
    paragraphs, hints = _text(
        "The council voted on Tuesday to close the old bridge\nto all traffic until repairs end.\n\n" + BODY_2
    )
    assert hints.title is None
    assert paragraphs == (BODY_1, BODY_2)


# --- publication times: the site's zone, never after the fetch ------------------------------------

GERMAN_PAGE = (
    "Bahn streicht Verbindungen nach Süden\n\nAktualisiert am 12.06.2024, 14:05 Uhr\n\n"
    "Die Deutsche Bahn hat am Mittwoch mehrere Verbindungen in Richtung Süden gestrichen, weil ein "
    "Stellwerk ausgefallen ist.\n\nReisende sollen nach Angaben des Unternehmens mit Verspätungen bis "
    "in den Abend rechnen."
)


def _cleaned(text: str, url: str, fetched_at: str, **options: object):  # type: ignore[no-untyped-def]
    raw = RawArticle(url=url, fetched_at=fetched_at, text=text)
    return clean(raw, StageOptions(**options))  # type: ignore[arg-type]


def test_a_time_without_zone_is_read_in_the_sites_country_zone():
    cleaned = _cleaned(GERMAN_PAGE, "https://www.example.de/bahn", "2024-06-12T13:00:00Z")
    assert cleaned.hints.published_at == "2024-06-12T14:05:00+02:00"  # 12:05 UTC, before the fetch


#: The head of a column on netzpolitik.org (a German site under ".org"), as its page text reads:
#: the time is printed without a zone, and it is German time (08:52 CEST, annotated so).
NETZPOLITIK_PAGE = "\n".join([
    "Breakpoint: Hilfe, die Fundis kommen!",
    "Kolumne von Carla Siepmann -",
    "28.04.2024 um 08:52 Uhr",
    "Bibelverse und Babywindeln statt Doppelbelastung und Dauerstress: Der Content der „Tradwives“ weckt die "
    "Sehnsucht nach einem entspannteren Leben. Soziale Medien werden so zum Sprachrohr einer reaktionären Bewegung.",
    "Die Schürze sitzt, der Ofen ist vorgeheizt, die Kinder tollen im Garten. Oh, wie schön ist das "
    "Hausfrauen-Leben! Immer mehr Frauen zeigen sich auf Instagram, TikTok und Co. in einem für die Plattformen "
    "ungewöhnlichen Look: Sie tragen lange Kittel, kochen und putzen, filmen sich bei der Kindererziehung und "
    "sprechen dabei über christliche Familienwerte.",
])


def test_a_time_without_zone_on_a_site_of_no_country_is_read_in_its_languages_zone():
    url = "https://netzpolitik.org/2024/breakpoint-hilfe-die-fundis-kommen/"
    cleaned = _cleaned(NETZPOLITIK_PAGE, url, "2024-04-28T21:01:08Z")
    assert cleaned.hints.published_at == "2024-04-28T08:52:00+02:00"
    # The same, one hour before the fetch by German time, when UTC would have put it after it.
    cleaned = _cleaned(NETZPOLITIK_PAGE, url, "2024-04-28T07:52:00Z")
    assert cleaned.hints.published_at == "2024-04-28T08:52:00+02:00"


def _dated_html(page: str, language: str, date_published: str) -> str:
    """An HTML article of a page text's headline and body, dated by JSON-LD only."""
    headline, _, *body = page.split("\n\n")
    return (
        f'<html lang="{language}"><head><title>{headline}</title><script type="application/ld+json">'
        f'{{"@type": "NewsArticle", "headline": "{headline}", "datePublished": "{date_published}"}}'
        f"</script></head><body><article><h1>{headline}</h1>"
        + "".join(f"<p>{p}</p>" for p in body)
        + "</article></body></html>"
    )


def test_an_html_pages_language_chooses_the_zone_on_a_site_of_no_country():
    html = _dated_html(GERMAN_PAGE, "de", "2024-06-12T14:05:00")
    raw = RawArticle(url="https://www.dw.com/de/bahn/a-1", fetched_at="2024-06-12T13:00:00Z", html=html)
    assert clean(raw, OPTIONS).hints.published_at == "2024-06-12T14:05:00+02:00"


#: An English page: English is read in many zones, so the language chooses none.
ENGLISH_PAGE = (
    "Rail operator cancels services to the south\n\nUpdated 12 June 2024, 14:05\n\n"
    "The rail operator cancelled several services to the south on Wednesday after a signal box failed.\n\n"
    "Passengers should expect delays into the evening, a spokeswoman for the company said."
)


def test_a_publication_time_after_the_fetch_is_left_out_and_set_aside():
    # On a generic domain the zone is the assumed one (UTC): 14:05 UTC is after a 13:00 UTC fetch.
    cleaned = _cleaned(ENGLISH_PAGE, "https://www.example.com/rail", "2024-06-12T13:00:00Z")
    assert cleaned.hints.published_at is None
    assert cleaned.hints.published_at_after_fetch == "2024-06-12T14:05:00+00:00"
    later = _cleaned(ENGLISH_PAGE, "https://www.example.com/rail", "2024-06-12T15:00:00Z")
    assert later.hints.published_at == "2024-06-12T14:05:00+00:00"
    assert later.hints.published_at_after_fetch is None


def test_a_structured_publication_time_days_after_the_fetch_is_set_aside():
    # A page whose JSON-LD dates it two days after the crawl and that gives no other date.
    html = _dated_html(ENGLISH_PAGE, "en", "2024-06-14T09:30:00Z")
    raw = RawArticle(url="https://www.example.com/rail", fetched_at="2024-06-12T13:00:00Z", html=html)
    hints = clean(raw, OPTIONS).hints
    assert (hints.published_at, hints.published_at_after_fetch) == (None, "2024-06-14T09:30:00+00:00")
    before = RawArticle(url="https://www.example.com/rail", fetched_at="2024-06-14T10:00:00Z", html=html)
    assert clean(before, OPTIONS).hints.published_at == "2024-06-14T09:30:00+00:00"


@pytest.mark.parametrize("structured", ["2024-06-14T09:30:00Z", "2024-06-12T15:00:00Z"])
def test_a_time_after_the_fetch_in_the_markup_gives_way_to_the_page_texts(structured):
    # A crawler sent both: the markup yields no body but dates the page after the crawl (two days,
    # two hours), the page text has a dateline before it. The dateline is the publication time.
    html = (
        '<html lang="en"><head><title>Rail</title><script type="application/ld+json">'
        f'{{"@type": "NewsArticle", "headline": "Rail", "datePublished": "{structured}"}}'
        "</script></head><body><p>Subscribe</p></body></html>"
    )
    text = ENGLISH_PAGE.replace("14:05", "10:05")
    raw = RawArticle(url="https://www.example.com/rail", fetched_at="2024-06-12T13:00:00Z", html=html, text=text)
    hints = clean(raw, OPTIONS).hints
    assert (hints.published_at, hints.published_at_after_fetch) == ("2024-06-12T10:05:00+00:00", None)


def test_the_assumed_zone_holds_where_neither_domain_nor_language_names_one():
    cleaned = _cleaned(ENGLISH_PAGE, "https://www.example.com/rail", "2024-06-12T14:00:00Z",
                       assume_timezone="Europe/London")
    assert cleaned.hints.published_at == "2024-06-12T14:05:00+01:00"


# --- picture credits ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "credit",
    ["Photo: AFP", "Foto: dpa", "(Foto: Michael Kappeler/dpa)", "Bild: Keystone / Peter Klaunzer",
     "写真：共同", "Фото: Дмитрий Азаров, Коммерсантъ", "Image: eThekwini Municipality / Facebook",
     "Quelle: AFP", "(Quelle: APA/sda/dpa)", "Kilde: Helsenorge.no",
     # MDR, Reuters, Ukrainska Pravda
     "Bildrechte: MDR/David Straub", "Source: Natl Inst. for Space Research (INPE), Brazil", "Источник: Фундация DEJURE"],
)
def test_picture_credits_are_furniture(credit):
    paragraphs, _ = _text(f"{BODY_1}\n\n{credit}\n\n{BODY_2}")
    assert paragraphs == (BODY_1, BODY_2)


@pytest.mark.parametrize(
    "line",
    ["The poll was run by AP/NORC.", "The network runs 24/7 across the EU/AP region",
     "Die Agentur dpa/AFP meldete am Abend neue Zahlen aus dem Katastrophengebiet."],
)
def test_a_sentence_naming_an_agency_with_a_slash_is_body(line):
    paragraphs, _ = _text(f"{BODY_1}\n\n{line}\n\n{BODY_2}")
    assert paragraphs == (BODY_1, line, BODY_2)


def test_a_caption_opening_with_photo_is_not_a_credit():
    caption = "Photo of the week: the council members walked across the old bridge before the vote on Tuesday."
    paragraphs, _ = _text(f"{BODY_1}\n\n{caption}\n\n{BODY_2}")
    assert paragraphs == (BODY_1, caption, BODY_2)


#: Captions that end with their picture's credit, from the dev pages (National Post, WAZ via
#: Berliner Morgenpost, Luxemburger Wort, Express, AP News, Euronews, Aftonbladet).
CAPTIONS = [
    "Activists shout slogans during an anti-India protest rally in Karachi on May 7, 2025. Photo by RIZWAN "
    "TABASSUM /AFP via Getty Images",
    "Rund um den Brandort gibt es Sperrungen. © DPA Images | Christoph Soeder",
    "Luc Wirtgen hätte gerne gewonnen, freut sich aber über die Teamleistung.Foto: Alexander Daleiden",
    "Prince Harry picked up an ESPY award (Image: Getty)",
    "Vice President Kamala Harris speaks at a campaign event in Detroit, Monday, Sept. 2, 2024. "
    "(AP Photo/Jacquelyn Martin)",
    "Swedish police officer - Copyright Fredrik Persson/AP",
    "Ukrainas president Volodymyr Zelenskyj. Foto: Teresa Suarez/AP",
    "Pro Stunde werden bei Thüringer Landstolz in Schmalkalden etwa 45 Schweine geschlachtet. Bildrechte: MDR/David Straub",
    # Japanese, Korean and Chinese (Tokyo Shimbun, Yomiuri, Hankook Ilbo, MBN, People's Daily)
    "移送のため警視庁を出る岩本絹子容疑者＝13日、東京・霞ケ関で（潟沼義樹撮影）",
    "尹大統領の発言をテレビで見る国民（ソウルで、３日）＝ＡＰ",
    "정청래 더불어민주당 대표가 6월 18일 서울 여의도 국회에서 열린 의원총회에서 대화하고 있다. 뉴스1",
    "이재명 대표가 지지자들을 향해 인사하고 있다. [사진 출처 = 연합뉴스]",
    "순천 시민들에게 큰절을 올리고 있다. 고영권 기자",
    "来源：新华网",
    # a credit joining an agency and a name with a slash (Berliner Zeitung, elDiario.es, The Nation, NZZ, DW)
    "Eingefrorenes Sperma in einer Klinik.Friso Gentsch/dpa",
    "El ministro de Exteriores de Portugal, Paulo Rangel. EFE/ J.J. Guillén",
    "(Robert F. Bukaty / AP)",
    "Ammar Awad / Reuters",
    "Wladimir Putin auf einer Wahlkampfveranstaltung im Moskauer Luschniki-StadionBild: Pavel Golovkin/dpa/picture alliance",
    # an agency or a closing credit after the caption's last mark, without a label (Nine News, FAZ, Canada.com,
    # TimesLive, Mexico News Daily, El País)
    "Trump only stayed in the court for about an hour. AP",
    "Paketflut aus China: Versandlieferungen aus dem Reich der Mitte sind beliebt, können aber auch Risiken bergen.dpa",
    "The Stanley Thompson-designed golf course was meticulously restored during the property’s restoration. Supplied",
    "Finance minister Enoch Godongwana with Sars commissioner Edward Kieswetter. File image",
    "The 25% tariff will apply to Mexico’s steel and aluminum exports to the United States starting on March 12. "
    "(Unsplash)",
    "Agentes de la policía italiana en el campamento para migrantes de Gjadër (Albania), el 11 de octubre. "
    "Florion Goga (REUTERS)",
]


@pytest.mark.parametrize("caption", CAPTIONS)
def test_a_caption_ending_with_its_credit_is_furniture(caption):
    paragraphs, _ = _text(f"{BODY_1}\n\n{caption}\n\n{BODY_2}")
    assert paragraphs == (BODY_1, BODY_2)


#: Captions whose credit follows no sentence's mark, from the dev pages' text (Kleine Zeitung,
#: Hessenschau, Motorsport-Magazin, Tageblatt, Daily Star, TechRadar).
UNMARKED_CAPTIONS = [
    "Norbert Salcher, Schulleiter der Volksschule Tristach, empfing am Montag nur 14 von 75 Kindern © VS Tristach",
    "Das Wohn- und Pflegeheim in Nußdorf-Debant © Gemeinde Nußdorf-Debant",
    "Nataliiaa Romanenko im Lager der Johanniter Unfallhilfe. Bild © Roman Warschauer (hr)",
    "Kawasaki wie 2024 wird es 2025 nicht mehr geben, Foto: LAT Images",
    "Geballte Faust in den neoliberalen Wind Foto: Editpress/Fabrizio Pizzolante",
    "Disgraced paedophile financier Jeffrey Epstein(Image: Kypros)",
    "(Image credit: Google)",
]


@pytest.mark.parametrize("caption", UNMARKED_CAPTIONS)
def test_a_caption_whose_credit_follows_no_stop_is_furniture(caption):
    paragraphs, _ = _text(f"{BODY_1}\n\n{caption}\n\n{BODY_2}")
    assert paragraphs == (BODY_1, BODY_2)


@pytest.mark.parametrize(
    "line",
    ["He showed us the photo: a crowd of thousands on the square",
     "The mayor posed for a photo: it was taken by his wife on the steps of the town hall."],
)
def test_a_line_naming_a_photo_before_a_colon_is_not_a_credit(line):
    paragraphs, _ = _text(f"{BODY_1}\n\n{line}\n\n{BODY_2}")
    assert paragraphs == (BODY_1, line, BODY_2)


@pytest.mark.parametrize(
    "sentence",
    ["The court. Copyright law is complex, and the judges said so in a ruling of forty pages on Monday.",
     "He was accused of copyright infringement by the publisher of the newspaper last spring.",
     "Erstes Bild: So könnte die Duisburger Seilbahn über dem Rhein einmal aussehen, sagte der Planer.",
     # an agency named at a line's end, not after a sentence's mark
     "The pictures of the flooded village were taken by a photographer working for AP",
     "Die Bilder aus dem überfluteten Dorf an der Ahr lieferte uns am späten Abend die Agentur dpa",
     # a paragraph's source note after a symbol (Rheinische Post's box on AI, annotated body)
     "Ziel ist dabei, dass das Netz anschließend auch auf unbekannten Daten zur gewollten Schlussfolgerung "
     "kommt. ⇥(Quelle: BMWK)"],
)
def test_a_sentence_naming_a_picture_or_copyright_is_not_a_credit(sentence):
    paragraphs, _ = _text(f"{BODY_1}\n\n{sentence}\n\n{BODY_2}")
    assert paragraphs == (BODY_1, sentence, BODY_2)


def test_datelines_and_bylines_leave_an_html_body():
    lines = (BODY_1, "Stand: 22.04.2024, 06:00 Uhr", "Von Nina Magoley", BODY_2, "Freitag, 28.04.2023, 19:25",
             BODY_1.replace("bridge", "tunnel"))
    html = ("<html><head><title>Bridge</title></head><body><article><h1>Bridge</h1>"
            + "".join(f"<p>{line}</p>" for line in lines) + "</article></body></html>")
    raw = RawArticle(url="https://example.com/a", fetched_at="2024-05-03T10:00:00Z", html=html)
    assert clean(raw, OPTIONS).paragraphs == (BODY_1, BODY_2, BODY_1.replace("bridge", "tunnel"))


def test_picture_credits_leave_an_html_body():
    body = "".join(f"<p>{p}</p>" for p in (BODY_1, "Foto: dpa", BODY_2, "Photo: AFP", BODY_1.replace("bridge", "tunnel")))
    html = f"<html><head><title>Bridge</title></head><body><article><h1>Bridge</h1>{body}</article></body></html>"
    raw = RawArticle(url="https://example.com/a", fetched_at="2024-05-03T10:00:00Z", html=html)
    paragraphs = clean(raw, OPTIONS).paragraphs
    assert "Foto: dpa" not in paragraphs and "Photo: AFP" not in paragraphs
    assert BODY_1 in paragraphs and BODY_2 in paragraphs


# --- a whole page's text: the body is where its prose is densest ----------------------------------


def test_teasers_and_footer_around_the_body_are_dropped():
    teasers = [
        "More from World News",
        "Floods close schools across the north of the country",
        "Heavy rain has forced the closure of more than two hundred schools this week.",
        "Prices of train tickets rise again in the spring",
        "Rail operators said the new fares would apply from the first of April.",
        "Minister resigns after the row over the budget",
        "About us Contact Careers Advertise with us",
        "Copyright 2024 The Daily Example. All rights reserved.",
    ]
    page = "\n".join(["Home World Business Sport Culture", "Bridge closed for repairs", BODY_1,
                      "What happens next", BODY_2, *teasers])
    paragraphs, hints = _text(page)
    assert paragraphs == (BODY_1, "What happens next", BODY_2)


#: A subscription offer that National Post's page prints twice between the lead and the body.
OFFER = [
    "Enjoy the latest local, national and international news.",
    "Exclusive articles by Conrad Black, Barbara Kay and others. Plus, special edition NP Platformed and First Read newsletters and virtual events.",
    "Unlimited online access to National Post and 15 news sites with one account.",
    "National Post ePaper, an electronic replica of the print edition to view on any device, share and comment on.",
    "Daily puzzles including the New York Times Crossword.",
    "Support local journalism.",
]
#: Euronews' menu, printed at the head of the page and again at its foot, descriptions and all.
MENU = [
    "L'actu de la culture",
    "The Ring",
    "'The Ring' est l'émission de confrontation politique hebdomadaire d'Euronews, où les débats les plus animés "
    "d'Europe rencontrent les voix de ceux qui les mènent, chaque semaine sur nos antennes.",
    "The Food Detectives",
    "Les meilleurs experts en alimentation d'Europe unissent leurs forces pour lutter contre la fraude. Euronews "
    "les accompagne dans cette enquête.",
    "Widgets & Services",
]


def test_lines_the_page_prints_twice_are_not_the_body():
    page = "\n".join([*MENU, "Kamala Harris' Canadian connections", BODY_1, *OFFER, *OFFER, BODY_2,
                      BODY_1.replace("bridge", "tunnel"), *MENU])
    paragraphs, _ = _text(page)
    assert paragraphs == (BODY_1, BODY_2, BODY_1.replace("bridge", "tunnel"))


def test_lines_the_page_prints_twice_once_without_their_stops_are_not_the_body():
    """Postmedia's sign-in wall: its promises printed with their stops, then again without."""
    wall = ["Access articles from across Canada with one account.",
            "Share your thoughts and join the conversation in the comments.",
            "Get email updates from your favourite authors."]
    page = "\n".join(["Kamala Harris' Canadian connections", BODY_1, *wall, *(line[:-1] for line in wall), BODY_2,
                      BODY_1.replace("bridge", "tunnel")])
    paragraphs, _ = _text(page)
    assert paragraphs == (BODY_1, BODY_2, BODY_1.replace("bridge", "tunnel"))


def test_a_live_blogs_entry_headings_stay_though_its_summary_repeats_them():
    headings = ["Plymouth protests erupt in violence as rioters throw stones",
                "Muslim graves desecrated in Burnley",
                "Manchester mayor says the city must not let rioters prevail"]
    entries = [BODY_1, BODY_2, BODY_1.replace("bridge", "tunnel")]
    page = "\n".join(["Riots across the country: live", *headings, "Tim Hanlon, News Reporter",
                      *[line for pair in zip(headings, entries) for line in pair]])
    paragraphs, hints = _text(page)
    assert hints.title == "Riots across the country: live"
    assert paragraphs == tuple(line for pair in zip(headings, entries) for line in pair)


def test_a_long_lead_printed_twice_is_kept_once():
    lead = " ".join([BODY_1, BODY_2, BODY_1.replace("bridge", "tunnel"), BODY_2.replace("shops", "cafés"),
                     BODY_1.replace("bridge", "ferry")])
    assert len(lead) >= 400
    paragraphs, _ = _text("\n".join([lead, "Share this article", lead, BODY_2.replace("vote", "count")]))
    assert paragraphs == (lead, BODY_2.replace("vote", "count"))


#: TechCrunch's article body (shortened).
STRAVA = [
    "Strava on Thursday announced a slew of new features and updates at its annual Camp Strava event, as the "
    "San Francisco-headquartered company continues to find ways to grow its business.",
    "One of the perennial complaints emanating from the Strava community is that users sometimes cheat to attain "
    "lofty leaderboard positions, for example by recording a bike ride as a run.",
    "Now Strava says it will start using more sophisticated machine learning to detect questionable activities "
    "when they are uploaded, and it will move them off the leaderboards.",
]
#: Headlines of other stories under it (The Express's shape): running text without a final stop,
#: a dozen words or more, each shorter than a paragraph.
TEASERS = [
    "More stories from the same section of the site",
    "Meghan Markle turned and hissed at a staffer leaving her in tears at the palace",
    "Royal expert tears into Meghan Markle after she said she had a rotten time in the UK",
    "Unusual way Donald Trump saved Prince Harry from a huge kick in the teeth last year",
    "Prince Harry and Meghan celebrate as the godfather of their daughter receives an award",
]


def test_teaser_headlines_after_the_body_are_dropped():
    paragraphs, _ = _text("\n".join(["Strava taps AI to weed out leaderboard cheats", *STRAVA, *TEASERS]))
    assert paragraphs == tuple(STRAVA)


#: The Daily Star's list of other stories under an article: a headline, a sentence of summary.
TEASER_LIST = [
    "Ben Shephard in tears on ITV's Tipping Point over 'biggest jackpot in show's history'",
    "Ben Shephard was left in tears on Tipping Point after a contestant won the biggest-ever jackpot in the "
    "show's history on Tuesday.",
    "Corrie icon Daniel Brocklebank unrecognisable in Emmerdale as he ditches cobbles",
    "Coronation Street hunk Daniel Brocklebank has revealed that he is currently starring on two rival ITV "
    "soaps at the same time.",
    "Tennis star wins luxury £162,000 Porsche – but can't drive it",
    "One WTA superstar walked away from the Porsche Tennis Grand Prix with a £100,000 grand prize and the keys "
    "to a new car.",
    "Foreign Office warns people travelling to Australia about 'strict' rule",
    "The UK Foreign Office has issued an important warning to holidaymakers hoping to travel to Australia "
    "this summer.",
]


def test_a_list_of_headlines_with_a_summary_each_is_not_the_body():
    story = [
        *STRAVA,
        "Strava already has some mechanisms in place to let users manually flag dubious leaderboard activity, and "
        "last year the company introduced a new automated system to spot the most blatant cases, which it says "
        "removed millions of activities from its leaderboards.",
        "On a similar note, Strava on Thursday announced the private beta of a feature it is calling athlete "
        "intelligence, which uses generative AI to turn the data of a workout into a summary that anyone can read "
        "in a few seconds after the run.",
    ]
    paragraphs, _ = _text("\n".join(["Strava taps AI to weed out leaderboard cheats", *story, *TEASER_LIST]))
    assert paragraphs == tuple(story)


def test_a_short_story_in_sections_of_one_paragraph_stays_whole():
    subheads = ["How the leaderboards work", "A plan for the whole family", "Dark mode comes at last"]
    sections = [line for pair in zip(subheads, STRAVA) for line in pair]
    paragraphs, _ = _text("\n".join(["Strava taps AI to weed out leaderboard cheats", *sections]))
    assert paragraphs == tuple(sections[1:])  # the first subhead, before any prose, is the span's edge


def test_teasers_with_a_byline_each_after_the_body_are_dropped():
    """elDiario.es's list of the most read: a rank, a headline (some of prose's length), its
    author's name; the ranks and names are dropped lines, and runs of them cost the span's end."""
    teasers = [
        "Now on the front page", "1",
        "The judge charges the regional president's partner with tax fraud and forged documents",
        "Pedro Águeda", "2",
        "A blackout leaves the south-east of France without power for hours and the authorities report sabotage",
        "Marina Velasco", "3",
        "The opposition says the charges show how the health contracts were handed out in the region",
        "Irene Castro", "4",
        "India accuses Pakistan of breaking the ceasefire agreement three hours after it was announced by both sides",
        "Andrés Gil",
    ]
    story = [*STRAVA, "Alberto Órfão", BODY_1]  # a lone byline inside the story costs nothing
    paragraphs, _ = _text("\n".join(["Strava taps AI to weed out leaderboard cheats", *story, *teasers]))
    assert paragraphs == (*STRAVA, BODY_1)


def test_comments_under_the_body_are_not_the_body():
    """Daily Maverick's comments: a heading, then names, dates and the comments' own sentences."""
    comments = [
        "Comments", "All Comments 4", "kanu sukha says:", "5 May 2025 at 00:46",
        "When the most civilised state in the world defends, as it has done since 1967, a rogue state, "
        "the rest of the world has to ask why the court is the only place left to say so.",
        "Log in to Reply", "Ed Rybicki says:", "6 May 2025 at 11:17", "Very well said!!", "Log in to Reply",
    ]
    paragraphs, _ = _text("\n".join(["Strava taps AI to weed out leaderboard cheats", *STRAVA, *comments]))
    assert paragraphs == tuple(STRAVA)


@pytest.mark.parametrize("heading", ["I commenti dei lettori", "Meest gelezen", "Komentáře", "コメント"])
def test_what_follows_a_heading_of_comments_or_most_read_is_not_the_body(heading):
    """La Repubblica: the readers' comments' heading, then other stories' headlines (and the same
    with the headings of Nieuwsblad's most read, and of comments in Czech and Japanese)."""
    after = [heading,
             "Il calciatore Omeonga portato giù dall’aereo e picchiato da polizia. Era nella black list di Israele",
             "Incidente mortale a Pontinia: perdono la vita un ragazzo e una donna, e altri due sono gravemente feriti."]
    paragraphs, _ = _text("\n".join(["Strava taps AI to weed out leaderboard cheats", *STRAVA, *after]))
    assert paragraphs == tuple(STRAVA)


def test_a_label_closing_the_page_after_the_body_is_not_the_body():
    """WDR: the sources under a story, after a one-word label."""
    after = ["Quellen:", "Landtag NRW, Stellungnahmen zur Anhörung", "Meldung Gewerkschaft Verdi"]
    paragraphs, _ = _text("\n".join(["Strava taps AI to weed out leaderboard cheats", *STRAVA, *after]))
    assert paragraphs == tuple(STRAVA)


def test_comments_under_a_heading_with_their_count_are_not_the_body():
    """taz: "3 Kommentare", then readers' comments whose prose outweighs a heading without a count."""
    comments = [
        "Der Entwurf atmet leider in weiten Teilen den Geist organisierter Ausgrenzung, erkennbar an den Ausnahmen, "
        "die er für Saunen und Umkleiden vorsieht, als ob dort je jemand Papiere geprüft hätte.",
        "Welche gesetzliche Regelung würden Sie denn begrüßen? Was wünschen Sie sich neben Schutzräumen, die ich "
        "ebenfalls befürworte, für die Menschen, um die es in diesem Gesetz eigentlich geht?",
    ]
    after = ["3 Kommentare", "Neueste", "Älteste", comments[0], "29.04.2023, 11:14 Uhr", comments[1]]
    paragraphs, _ = _text("\n".join(["Strava taps AI to weed out leaderboard cheats", *STRAVA, *after]))
    assert paragraphs == tuple(STRAVA)


def test_a_heading_stands_though_the_line_under_it_is_printed_twice():
    """The Express: "Most read", then a headline the page also prints at its top (a line printed
    twice weighs nothing in the span), then other stories' summaries."""
    echoed = "Ten things to know about the new leaderboards"
    after = ["Most read", echoed,
             "The club said the new rules would apply from the start of next season, and that appeals would be heard.",
             "Riders who lost their records last year may ask for them back, the company said on Friday."]
    page = "\n".join(["Strava taps AI to weed out leaderboard cheats", echoed, "Cycling and running news from our desk",
                      *STRAVA, *after])
    paragraphs, _ = _text(page)
    assert paragraphs == tuple(STRAVA)


def test_comments_under_heads_that_say_who_says_are_not_the_body():
    """netzpolitik.org's comments: "<name> sagt:", then the comment's own sentences."""
    comments = [
        "Modern Wife sagt:", "Die Beobachtungen sind richtig, aber was steckt da hinter? Das sind nicht bloß "
        "reaktionäre Fantasien, sondern eine organisierte Kampagne mit viel Geld dahinter.",
        "Philipp sagt:", "Kommt wie der Kulturkampf aus den USA, ja. Verbreitet sich scheinbar aber auch in "
        "Rekordtempo in Europa, und Untersuchungen dazu gibt es wenige.",
        "Anonymous sagt:", "Ich weiß nicht. Es liegt vielleicht auch daran, dass heute kaum einer noch Zeit für "
        "die Kinder hat, weil Mama und Papa arbeiten.",
    ]
    paragraphs, _ = _text("\n".join(["Strava taps AI to weed out leaderboard cheats", *STRAVA, *comments]))
    assert paragraphs == tuple(STRAVA)


def test_one_line_of_who_says_stays_in_the_story():
    line = "The mayor says:"
    paragraphs, _ = _text("\n".join(["Strava taps AI to weed out leaderboard cheats", STRAVA[0], line, *STRAVA[1:]]))
    assert paragraphs == (STRAVA[0], line, *STRAVA[1:])


#: The rest of TechCrunch's article.
MORE_STRAVA = [
    "Strava already has some mechanisms in place to let users manually flag dubious leaderboard activity, and "
    "last year the company introduced a new automated system to spot the most blatant cases.",
    "On a similar note, Strava on Thursday announced the private beta of a feature it is calling athlete "
    "intelligence, which uses generative AI to turn the data of a workout into a summary anyone can read.",
]


def test_a_menu_of_capitalised_links_run_together_is_not_prose():
    """Euronews' mega-menu, each section's links run together on one line: long enough, with
    stopwords enough, to pass for running text, but nearly every word opens with a capital."""
    menu = ["My Europe Monde Business Politique de l'UE Green Next Santé Voyage Culture Vidéo Next Santé Voyage "
            "Culture Vidéo",
            "Voyage Adventures Az Diary Travel Explore Golf Travel Tales Notes From The Usa Soul Of The South Taste "
            "Green Az Diary Green Climate Now",
            "Culture Az Diary Culture Cinema Crossing Cultures Cult Dans La Tête Des Hommes Inspire Saudi La Surprise "
            "Du Chef Meet The Locals"]
    paragraphs, _ = _text("\n".join([*menu, "Strava taps AI to weed out leaderboard cheats", *STRAVA]))
    assert paragraphs == tuple(STRAVA)


def test_title_case_teasers_cut_short_are_not_sentences():
    """The Japan News' "Latest Articles": headlines cut at a fixed length and closed by "...",
    which made them sentences, and their run prose."""
    teasers = ["CDPJ’s Noda Stresses His Pragmatism at Debate, Says Diplomacy as ...",
               "Japan’s Prime Minister Ishiba Considering Meeting with U.S. Presi...",
               "Rahm Emanuel Praises Hibakusha Group for Nobel Peace Prize, Globa...",
               "Ishiba Attends East Asia Summit In Laos; Regional Tensions Said T..."]
    paragraphs, _ = _text("\n".join(["Strava taps AI to weed out leaderboard cheats", *STRAVA, *teasers]))
    assert paragraphs == tuple(STRAVA)


@pytest.mark.parametrize(
    "box",
    [
        # Rolling Stone's "Trending", in sentence case: headlines of eight words or more
        ["Team Trump is ready to lose the Supreme Court immunity case",
         "Taylor Swift and Jack Antonoff have reached the limit of their partnership",
         "Kanye West announces a new album amid reports of a falling out",
         "What the leaderboards will look like after the change"],
        # WAZ: four shorter ones, of four words or more
        ["ADHS bei Erwachsenen: Betroffene erklärt, was wirklich hilft",
         "Demenz: Ab wann Gedächtnislücken besorgniserregend sind",
         "Hormone: Wechseljahre mit 27: Die ersten Anzeichen der Menopause",
         "Schlafstörungen: Häufig hilft nur noch diese Methode"],
    ],
)
def test_a_box_of_other_stories_headlines_inside_a_story_goes(box):
    """A box between two paragraphs: three headlines or more of eight words or more, or four of
    four words or more, in a row, with no sentence between them; the last stays (it may head the
    next paragraph)."""
    page = "\n".join(["Strava taps AI to weed out leaderboard cheats", *STRAVA[:2], *box, STRAVA[2], *MORE_STRAVA])
    paragraphs, _ = _text(page)
    assert paragraphs == (*STRAVA[:2], box[-1], STRAVA[2], *MORE_STRAVA)


def test_a_polls_answers_inside_a_story_go_and_its_question_stays():
    """20 Minuten: a poll between two paragraphs, its question then its answers, one a line."""
    question = "Sollten Plattformen wie Tiktok strenger reguliert werden, um ausländische Einmischung zu verhindern?"
    answers = ["Ja, unbedingt.", "Nein, das wäre Zensur.", "Nur wenn es konkrete Beweise gibt.", "Ich bin mir nicht sicher."]
    page = "\n".join(["Strava taps AI to weed out leaderboard cheats", *STRAVA[:2], question, *answers, STRAVA[2],
                      *MORE_STRAVA])
    paragraphs, _ = _text(page)
    assert paragraphs == (*STRAVA[:2], question, STRAVA[2], *MORE_STRAVA)


def test_two_short_answers_to_a_question_in_a_story_stay():
    lines = ["What changes for tenants?", "Rents stay frozen.", "Deposits fall by half."]
    page = "\n".join(["Strava taps AI to weed out leaderboard cheats", *STRAVA[:2], *lines, STRAVA[2], *MORE_STRAVA])
    paragraphs, _ = _text(page)
    assert paragraphs == (*STRAVA[:2], *lines, STRAVA[2], *MORE_STRAVA)


def test_two_subheads_in_a_row_stay():
    subheads = ["A plan for the whole family and for teams of friends",
                "What the leaderboards will look like after the change"]
    page = "\n".join(["Strava taps AI to weed out leaderboard cheats", *STRAVA[:2], *subheads, STRAVA[2]])
    paragraphs, _ = _text(page)
    assert paragraphs == (*STRAVA[:2], *subheads, STRAVA[2])


def test_a_most_read_box_inside_a_story_leaves_the_story_whole():
    box = ["Most read", "Canadian airlines pivot to Europe and the sun as summer schedules take shape"]
    page = "\n".join(["Strava taps AI to weed out leaderboard cheats", STRAVA[0], *box, *STRAVA[1:]])
    paragraphs, _ = _text(page)
    assert paragraphs == tuple(STRAVA)


def test_a_standfirst_set_apart_from_the_body_by_a_byline_and_share_buttons_stays():
    standfirst = "Hollywood legend escorted off stage after protesters climb up holding a sign in the theatre"
    page = "\n".join(["Two arrested after protest at West End play", standfirst, "By Jacqui Housden",
                      "January 28, 2025 11:30 am", "Share bookmark Save", "Share on Facebook", *STRAVA])
    paragraphs, _ = _text(page)
    assert paragraphs == (standfirst, *STRAVA)


@pytest.mark.parametrize(
    "cue",
    ["Story continues below", "Create an account or sign in to continue with your reading experience.",
     "Mehr zum Thema", "Das könnte Sie auch interessieren", "À lire aussi : le budget en débat",
     "Читайте также: новости дня", "関連記事", "यह भी पढ़ें",
     # from the dev pages (Nettavisen, Eyethu News, Business Insider DE, Junge Welt, ZDF, Chunichi)
     "Les også: Tone Damli røper detaljer om frieriet: – Ble helt forfjamset",
     "FUNDA OLUNYE UDABA LAPHA | Kuboshwe abahlanu besolwa ngokugwaza umfundi",
     "STR/AFP via Getty Images", "2 Wochen kostenlos testen", "Ein Klick für den Datenschutz",
     "この記事は会員限定です。", "READ NEXT: Cape Town heads into a weekend of shifting skies, says weather service",
     # sign-in and newsletter prompts (Postmedia, The Express, 20 Minuten, Braunschweiger Zeitung, SRF,
     # Le Monde, El País)
     "REGISTER / SIGN IN TO UNLOCK MORE ARTICLES", "THIS CONTENT IS RESERVED FOR SUBSCRIBERS ONLY",
     "A welcome email is on its way. If you don't see it, please check your junk folder.",
     "You can save this article by registering for free here. Or sign-in if you have an account.",
     "Mit meiner Anmeldung zum Newsletter stimme ich der Werbevereinbarung zu.", "Mehr lesen über",
     "Empfohlener redaktioneller Inhalt", "Sie befinden sich hier:", "Copier le lien", "Ver más artículos",
     # caption and reading-time labels (SRF, Der Spiegel), a topic list (Die Zeit)
     "Legende: Biden traf sich am Samstagabend im Weissen Haus mit seinen wichtigsten Sicherheitsberatern.",
     "Lesezeit: 3 Min.", "Themen: US-Wahl 2024 Israel Krieg in der Ukraine Olympische Spiele 2024 in Paris",
     # links, sign-up, consent and browser prompts (Reuters, Golem, The Guardian, Postmedia, Business Insider,
     # Die Presse, Free Presse, Le Monde, El País, Nieuwsblad)
     "Careers, opens new tab", "Seminare und Workshops (öffnet im neuen Fenster)", "skip past newsletter promotion",
     "Interested in more newsletters? Browse here.", "We encountered an issue signing you up. Please try again",
     "This story is available exclusively to Business Insider subscribers. Become an Insider and start reading now.",
     "Bitte wechseln Sie zu einem unterstützten Browser wie Chrome, Firefox, Safari oder Edge.",
     "Ich akzeptiere die AGB und nehme den Datenschutzhinweis zur Kenntnis.",
     "Il vous reste 57.09% de cet article à lire. La suite est réservée aux abonnés.",
     "¿Quieres añadir otro usuario a tu suscripción?", "Nog geen abonnee? Ontdek nu gratis onze plusartikels.",
     # credits, translations, first publication, comment forms, clipboard and embed notices (National Post,
     # Die Presse, Stern, a WordPress site's comment form, Berliner Zeitung, GameStar, NZZ, LRT, Lesotho Times)
     "With reporting by Associated Press writer Sheikh Saaliq", "Aus dem Englischen von Jan Doolan",
     'Dieser Artikel ist zuerst bei "Capital" erschienen.',
     "Save my name, email, and website in this browser for the next time I comment.",
     "Die Artikel-URL wurde erfolgreich in Ihrer Zwischenablage gespeichert.",
     "An dieser Stelle findest du einen externen Inhalt von YouTube, der den Artikel ergänzt.",
     "Mit Agenturmaterial.", "Taip pat skaitykite", "Post on X",
     # a link's arrow, a kicker's headline on a line of its own (Die Presse, Nieuwsblad, Lesotho Times,
     # Süddeutsche Zeitung)
     ">>> Mehr Gastkommentare", "Proef nu ›", "← LHDA blasts NGOs Justice denied for the poor →",
     ":Er läuft mit leichterem Herzen",
     # an agency's closing credits, longer than other cues' lines (Reuters)
     "Reporting by Gopal Sharma, additional reporting by Lisa Barrington, writing by Shilpa Jamkhandikar, Editing by "
     "Alex Richardson and Ed Osmond in London and Bengaluru, with further work by the desk",
     # sharing in French (Le Monde)
     "Partager sur Facebook", "Envoyer par e-mail",
     # prompts longer than other cues' lines, up to 200 characters (LTO, Nature)
     "Ja, ich bin damit einverstanden, dass mich die Wolters Kluwer Deutschland GmbH per E-Mail oder Telefon über "
     "Produkte und Leistungen aus dem Bereich Legal Tribune Online (LTO) informiert.",
     "Thank you for visiting nature.com. You are using a browser version with limited support for CSS. To obtain "
     "the best experience, we recommend you use a more up to date browser.",
     # a cookie policy's paragraph, longer than a consent banner's line (Reuters)
     "When you visit our website, we store cookies on your browser to collect information. The information collected "
     "might relate to you, your preferences or your device, and is mostly used to make the site work as you expect it "
     "to and to provide a more personalized web experience. However, you can choose not to allow certain types of "
     "cookies, which may impact your experience of the site and the services we are able to offer.",
     # a site's widgets and notes on its own article: read-aloud copies, gifts, machine translations, a second
     # device, citations, embeds (Der Spiegel, Expressen, Jyllands-Posten, Krautreporter, Der Freitag, Business
     # Insider, Le Monde, El País, LTO, FAZ, GameStar, WDR, TechCrunch, Reuters, TimesLive)
     "Artikel zum Hören•3 Min", "Lyssna på artikel", "Ljuduppspelningen är AI-genererad. Felaktigheter kan förekomma.",
     "Öppna bild i helskärm", "Gem på læseliste", "Ein Krautreporter-Mitglied schenkt dir diesen Artikel.",
     "Mit Ihrem Abo können Sie pro Monat fünf Artikel verschenken. Die Texte sind für die Beschenkten kostenlos.",
     "Dies ist eine maschinelle Übersetzung eines Artikels unserer US-Kollegen von Business Insider.",
     "Lest den Originalartikel auf Englisch hier.", "Vous pouvez lire Le Monde sur un seul appareil à la fois",
     "Si continúas leyendo en este dispositivo, no se podrá leer en el otro.", "Infos zum Zitiervorschlag",
     "Hier können Sie die Rechte an diesem Artikel erwerben.", "Link zum YouTube-Inhalt",
     "Audio starten, abbrechen mit Escape", "02:57 Min.. Verfügbar bis 06.05.2024.", "Image Credits: UiPath",
     "Explore all newsletters", "Purchase Licensing Rights", "Would you like to comment on this article?",
     # a subscription's offer (Postmedia's sites, The Gateway Pundit)
     "If you are a Home delivery print subscriber, online access is included in your subscription. Activate your "
     "Online Access Now", "Unlimited digital access to the Ottawa Citizen.", "Ottawa Citizen ePaper.",
     "Get a dash of perspective along with the trending news of the day in a very readable format.",
     "You can email Cristina Laila here, and read more of Cristina Laila's articles here."],
)
def test_furniture_cues_in_many_languages(cue):
    paragraphs, _ = _text(f"{BODY_1}\n\n{cue}\n\n{BODY_2}")
    assert paragraphs == (BODY_1, BODY_2)


@pytest.mark.parametrize(
    "age",
    ["vor 3 Stunden", "Vor 1 Std.", "vor einem Tag", "22 hours ago", "an hour ago", "Heute, 12:34 Uhr",
     "il y a 2 jours", "hace 3 horas", "for 2 timer siden", "2 saat önce", "3 часа назад", "3時間前", "5分钟前",
     "2시간 전", "Malaysia / 5 h ago", "GuterMensch vor 3 Stunden",
     # under a two-word label (Postmedia's Financial Post and Ottawa Citizen)
     "Last updated 15 hours ago", "Zuletzt aktualisiert vor 2 Stunden",
     # a row of dates, an age and a reading time (Postmedia's National Post and The Province)
     "Published Aug 28, 2024 • Last updated 1 hour ago • 4 minute read", "12.07.2026 | Aktualisiert vor 2 Stunden",
     # reading times (FAZ, Freie Presse, Salzburger Nachrichten, t-online, Postmedia)
     "3 Min.", "4 minute read", "Lesedauer: 4 Minuten", "15.04.2026 - 15:48 UhrLesedauer: 2 Min.",
     # a date or a time that parse_dateline does not read (Seznam Zprávy, Salzburger Nachrichten, GameStar,
     # Euronews, Le Figaro, Berliner Zeitung)
     "23. 12. 2024 13:31", "06. 01. 2026, 14:59 Uhr", "28.04.2024 | 09:36 Uhr", "06/01/2026 - 14:16 UTC+1",
     "22/11/2024 à 09:47", "0:00 / 0:00",
     # a date or a time with its labels, a place or a name (elDiario.es, Le Monde, VG, Il Giornale, The Japan
     # News, Anadolu Ajansı, Börsen-Zeitung)
     "Actualizado el 25/05/2025 21:57 h", "mandag 5. august kl. 14:47", "4 Febbraio 2025 - 14:41",
     "17:41 JST, October 13, 2024", "Frankfurt, October 23, 2024, 3:48: Uhr",
     # a teaser closed by its link (Tagesschau, WDR)
     "Bereits als Landesministerin war Spiegel durchaus umstritten - zuletzt hieß es oft, sie sei überfordert. mehr",
     "Rund 400 Feuerwehrleute protestieren gegen späteren Ruhestand | mehr",
     "Löschen, Retten, Rente: Feuerwehr-Ruhestand mit 60? | audio"],
)
def test_a_teasers_age_time_or_link_or_a_reading_time_alone_on_a_line_is_furniture(age):
    paragraphs, _ = _text(f"{BODY_1}\n\n{age}\n\n{BODY_2}")
    assert paragraphs == (BODY_1, BODY_2)


def test_a_date_line_goes_but_costs_the_span_what_it_did_kept():
    """n-tv's teaser blocks: kicker and date, headline, summary. The date lines go, as does Le Monde's
    inside the story, but each still costs the span its length: without that the teasers' summaries
    would outweigh their headlines and join the body."""
    body = [
        "Die Bundesregierung hat am Mittwoch ihren Haushaltsentwurf für das kommende Jahr vorgelegt, mit "
        "Einsparungen von mehreren Milliarden Euro in den Ministerien und höheren Abgaben.",
        "Publié le 30 août 2023 à 14h52, modifié le 30 août 2023 à 15h54",
        "Die Gewerkschaften kritisierten den Entwurf umgehend als Sparprogramm und riefen für den kommenden "
        "Monat zu einem bundesweiten Aktionstag auf, dem dritten in diesem Jahr.",
    ]
    teasers = [
        "Politik 28.04.2023 01:48 min", "Scholz verteidigt den Haushalt gegen die Kritik der Opposition",
        "Der Kanzler sagt im Bundestag, die Schuldenbremse gelte auch im kommenden Jahr, und verspricht Entlastungen.",
        "Wirtschaft 28.04.2023", "Die Inflation sinkt im April auf sieben Prozent",
        "Die Preise für Energie sind gefallen, Lebensmittel bleiben teuer, melden die Statistiker aus Wiesbaden.",
        "Sport 27.04.2023 02:32 min", "Bayern verliert das Spitzenspiel in Dortmund",
        "Die Münchner liegen nach der Niederlage zwei Punkte hinter dem BVB, der auf die Meisterschaft hoffen darf.",
    ]
    paragraphs, _ = _text("\n\n".join([*body, *teasers]))
    assert paragraphs == (body[0], body[2])


@pytest.mark.parametrize(
    "line",
    # a video's or an interview's teaser, a list of stories, share links (TimesLive, RBB24, The Gateway Pundit)
    ["WATCH | Enoch Godongwana delivers budget speech",
     'Interview | "Hotel Lunik" in Eisenhüttenstadt - "Hier sind sich Leute begegnet, die nicht zusammen sein durften"',
     "Follow him on X | Truth Social | Gettr"],
)
def test_a_line_a_bar_divides_is_furniture(line):
    body = [
        "Die Bundesregierung hat am Mittwoch ihren Haushaltsentwurf für das kommende Jahr vorgelegt, mit "
        "Einsparungen von mehreren Milliarden Euro in den Ministerien und höheren Abgaben für Unternehmen.",
        "Die Gewerkschaften kritisierten den Entwurf umgehend als Sparprogramm und riefen für den kommenden "
        "Monat zu einem bundesweiten Aktionstag auf, dem dritten in diesem Jahr, wie ihre Sprecherin sagte.",
    ]
    paragraphs, _ = _text("\n\n".join([body[0], line, body[1]]), title="Haushalt")
    assert paragraphs == tuple(body)


def test_a_line_a_bar_divides_costs_the_span_what_it_did_kept():
    """Teasers under a story, each a kicker the bar divides, a headline and a summary: the kickers
    go, but each still costs the span its length, else the summaries outweigh their headlines and
    join the body."""
    body = [
        "Die Bundesregierung hat am Mittwoch ihren Haushaltsentwurf für das kommende Jahr vorgelegt, mit "
        "Einsparungen von mehreren Milliarden Euro in den Ministerien und höheren Abgaben.",
        "Die Gewerkschaften kritisierten den Entwurf umgehend als Sparprogramm und riefen für den kommenden "
        "Monat zu einem bundesweiten Aktionstag auf, dem dritten in diesem Jahr.",
    ]
    teasers = [
        "Politik | Haushaltsstreit in der Koalition", "Scholz verteidigt den Haushalt gegen die Kritik der Opposition",
        "Der Kanzler sagt im Bundestag, die Schuldenbremse gelte auch im kommenden Jahr, und verspricht Entlastungen.",
        "Wirtschaft | Preise im Einzelhandel", "Die Inflation sinkt im April auf sieben Prozent",
        "Die Preise für Energie sind gefallen, Lebensmittel bleiben teuer, melden die Statistiker aus Wiesbaden.",
        "Sport | Fußball-Bundesliga, 31. Spieltag", "Bayern verliert das Spitzenspiel in Dortmund",
        "Die Münchner liegen nach der Niederlage zwei Punkte hinter dem BVB, der auf die Meisterschaft hoffen darf.",
    ]
    paragraphs, _ = _text("\n\n".join([*body, *teasers]), title="Haushalt")
    assert paragraphs == tuple(body)


def test_a_headline_a_bar_divides_stays_the_title():
    paragraphs, hints = _text(f"Budget 2024 | Politics\n\n{BODY_1}\n\n{BODY_2}")
    assert hints.title == "Budget 2024 | Politics" and paragraphs == (BODY_1, BODY_2)


def test_a_dateline_a_bar_divides_still_gives_the_date_and_a_sentence_with_a_bar_stays():
    sentence = "The vote was 12 | 3 in favour, and the council said the bridge would reopen in May."
    paragraphs, hints = _text(f"{BODY_1}\n\n24 Feb, 2016 12:18 | Updated 25 Feb, 2016 09:00\n\n{sentence}\n\n{BODY_2}")
    assert paragraphs == (BODY_1, sentence, BODY_2)
    assert hints.published_at == "2016-02-24T12:18:00+00:00"


def test_a_headline_alone_among_dropped_lines_goes_and_a_subhead_stays():
    """Berliner Zeitung: teasers inside the story, a headline (or a kicker and a headline) between
    the teaser's age and its reading time and share buttons; a subhead has its paragraph right
    under it."""
    body = [
        "Die Geburtenrate in Berlin ist im vergangenen Jahr auf den niedrigsten Stand seit der Wiedervereinigung "
        "gefallen, wie das Statistische Landesamt am Montag mitteilte.",
        "Besonders stark sank die Zahl der Geburten in den Innenstadtbezirken, während sie in den Außenbezirken "
        "nahezu unverändert blieb, heißt es in dem Bericht der Behörde.",
        "Warum die Zahlen so stark sinken",
        "Fachleute nennen die hohen Mieten, unsichere Arbeitsverträge und die Sorge um die Zukunft als Gründe, "
        "warum sich junge Paare gegen Kinder entscheiden oder ihren Wunsch aufschieben.",
        "Der Senat will im Herbst ein Programm vorstellen, das Familien bei der Wohnungssuche helfen soll, "
        "kündigte die zuständige Senatorin in einer ersten Reaktion an.",
    ]
    teasers = [
        "vor 3 Stunden", "Angriff auf das Heteropatriarchat", "Lesezeit: 3 Min.", "Teilen",
        "vor 5 Stunden", "Landtagswahl in Thüringen", "Voigt, Höcke und der Vorwurf einer Lüge", "3 Min.", "Teilen",
    ]
    page = [body[0], *teasers[:4], body[1], *teasers[4:], "Foto: dpa", *body[2:]]
    paragraphs, _ = _text("\n\n".join(page), title="Berliner Geburtenrate auf Rekordtief")
    assert paragraphs == tuple(body)


def test_a_list_of_long_headlines_after_the_story_goes():
    """Business Insider Deutschland: under the story, other stories' headlines, each long enough to
    weigh as prose but ending on no stop; the story's own paragraphs (quotes in German marks
    included) end on theirs."""
    body = [
        "Ein Gericht in Hongkong hat am Montag die Auflösung des chinesischen Immobilienkonzerns Evergrande "
        "angeordnet, nachdem die Gespräche mit den Gläubigern über eine Umschuldung gescheitert waren.",
        "„Es ist an der Zeit, dass das Gericht sagt: genug ist genug“, sagte die Richterin. „Die Gläubiger "
        "haben lange genug gewartet.“",
        "Der Konzern hat Schulden von mehr als 300 Milliarden Dollar, so viel wie kein anderes Unternehmen "
        "auf der Welt, und seine Aktien wurden nach dem Urteil vom Handel ausgesetzt.",
        "„Wir werden alles tun, um den Betrieb aufrechtzuerhalten“, sagte der Vorstandschef. „Die Wohnungen "
        "werden fertig gebaut.“",
    ]
    headlines = [
        "Ich habe 2800 Euro im Monat mit Airbnb verdient: Darum vermiete ich meine Immobilie jetzt trotzdem "
        "wieder langfristig",
        "Die USA müssen schnell neue Kriegsschiffe bauen, um nicht von China abgehängt zu werden, sagt ein "
        "Ex-Nato-Kommandant",
        "China will laut einem Bericht, dass inländische Investoren aufhören, so viele ausländische Aktien zu "
        "kaufen und zu halten",
        "Verdi ruft zu Warnstreiks im Nahverkehr auf: Welche Transportmittel still stehen und ab wann die "
        "Streiks beginnen",
    ]
    paragraphs, _ = _text("\n\n".join([*body, *headlines]), title="Evergrande wird aufgelöst")
    assert paragraphs == tuple(body)


def test_a_bulleted_list_closing_the_story_stays():
    """Four long items ending on no stop, as a list of other stories' headlines is printed, but
    each opening with its bullet: the story's own list."""
    body = [
        "The council voted on Tuesday to close the old bridge to all traffic until repairs end, after engineers "
        "found cracks in two of its piers.",
        "The mayor promised a footbridge by the summer and said the town would ask the state for money to pay "
        "for it. The plan has four parts:",
        "- A temporary footbridge for pedestrians and cyclists, to be built by the army within six weeks of the closure",
        "- A shuttle bus every ten minutes between the two banks, free of charge for residents and paid for by the state",
        "- Compensation of up to 20,000 euros for each shop that can show it lost more than a third of its trade",
        "- A new bridge, for which the council will ask for designs in the autumn and hopes to start building in 2026",
    ]
    paragraphs, _ = _text("\n\n".join(body), title="Bridge closed")
    assert paragraphs == tuple(body)


def test_headlines_each_under_dropped_lines_keep_only_the_last():
    """Two teasers' headlines inside a story, the second under the first's age and byline: the
    first goes; the last stays, as it may be the subhead of the paragraph under it."""
    body = [
        "Die Bundesregierung hat am Mittwoch ihren Haushaltsentwurf für das kommende Jahr vorgelegt, mit "
        "Einsparungen von mehreren Milliarden Euro in den Ministerien und höheren Abgaben für Unternehmen.",
        "Die Gewerkschaften kritisierten den Entwurf umgehend als Sparprogramm und riefen für den kommenden "
        "Monat zu einem bundesweiten Aktionstag auf, dem dritten in diesem Jahr, wie ihre Sprecherin sagte.",
    ]
    first, last = "Thüringer CDU wirft Höcke Instrumentalisierung vor", "Viele Erstwähler haben Angst vor den Grünen"
    page = [body[0], first, "vor 2 Stunden", "Von Anna Schmidt", last, body[1]]
    paragraphs, _ = _text("\n\n".join(page), title="Haushalt 2025")
    assert paragraphs == (body[0], last, body[1])


def test_a_sentence_closed_by_a_german_quote_mark_is_a_sentence():
    """Krautreporter: a one-word answer in German quotes, „Nein.“, is a sentence, not a lone label."""
    paragraphs, _ = _text(f"{BODY_1}\n\n„Nein.“\n\n{BODY_2}")
    assert paragraphs == (BODY_1, "„Nein.“", BODY_2)


def test_a_box_heading_goes_and_walls_off_the_stories_under_it():
    """MDR: the story, then "Mehr zu Fleischkonsum" over teasers (a kicker and headline, a summary):
    without the heading's wall their summaries outweigh the headlines and join the body."""
    body = [
        "Beim Fleischkonsum gehört Thüringen zu den Spitzenreitern, doch geschlachtet werden im Freistaat immer "
        "weniger Tiere, weil kleine Betriebe schließen und große Schlachthöfe woanders stehen.",
        "Ein Großteil der Produkte, die in Thüringen verkauft werden, ist aus Fleisch, das nicht hier erzeugt wurde, "
        "sagt der Geschäftsführer eines Betriebs in Schmalkalden.",
    ]
    box = [
        "Mehr zu Fleischkonsum",
        "WWF-Studie Halber Fleischkonsum reduziert Treibhausgase drastisch",
        "Dass Fleisch nicht so gut fürs Klima ist, wissen wir bereits. Aber vielleicht macht es die Menüwahl künftig "
        "einfacher, zu wissen, wie viel.",
        "Handwerk Immer weniger Fleischereien in Mitteldeutschland",
        "Die Zahl der Fleischereibetriebe ist in den vergangenen Jahren drastisch gesunken. Manche befürchten ein "
        "Aussterben des Handwerks.",
    ]
    paragraphs, _ = _text("\n\n".join([*body, *box]))
    assert paragraphs == tuple(body)


#: Author's notes under a story (Rest of World, The Gateway Pundit, The New Yorker, ZDF).
AUTHOR_NOTES = [
    "Laura Jedeed is a freelance journalist based in New York City.",
    "Paul Serran is a Brazilian writer and musician, a contributor to The Gateway Pundit since 2023.",
    "Rachel Riederer is a member of The New Yorker’s editorial staff.",
    "Manuela Conrad ist ZDF-Reporterin für das Berichtsgebiet Russland, Kaukasus und Zentralasien.",
]


@pytest.mark.parametrize("note", AUTHOR_NOTES)
def test_an_authors_note_at_the_foot_goes_with_what_follows(note):
    after = "You can email Paul Serran here, and read more of Paul Serran's articles here."
    paragraphs, _ = _text("\n\n".join([BODY_1, BODY_2, BODY_1.replace("bridge", "tunnel"), note, after]))
    assert paragraphs == (BODY_1, BODY_2, BODY_1.replace("bridge", "tunnel"))


def test_a_past_tense_line_about_a_person_at_the_foot_is_body():
    """An obituary's or a profile's last lines say what someone was: the story, not its author's
    note, and the lines after it stay too."""
    lines = [BODY_1, BODY_2, BODY_1.replace("bridge", "tunnel"),
             "Margaret Hale was a professor of history at the university for thirty years, her family said.",
             BODY_2.replace("shops", "cafés")]
    paragraphs, _ = _text("\n\n".join(lines))
    assert paragraphs == tuple(lines)


def test_an_authors_note_inside_the_story_or_without_a_name_is_body():
    lines = [BODY_1, "The mayor is a former journalist who ran the town's weekly paper for twenty years.",
             BODY_2, AUTHOR_NOTES[0], BODY_1.replace("bridge", "tunnel"), BODY_2.replace("shops", "cafés"),
             BODY_1.replace("bridge", "ferry"), BODY_2.replace("shops", "hotels")]
    paragraphs, _ = _text("\n\n".join(lines))
    assert paragraphs == tuple(lines)


@pytest.mark.parametrize(
    "line",
    ["Two hours ago the council closed the bridge.",
     "The council said repairs would cost far more than the town had expected, and more.",
     "Turnout: 61.4% (2019: 58.2%)",
     # a sentence opening as a box's heading does
     "More from the same family were expected to arrive.",
     # a date in a line that says more than its labels, or in a sentence
     "Ab 1. Mai 2025 gilt die neue Regel für alle Mieter in Berlin und Brandenburg",
     "Sept. 6, 1946: The Rams play a night game against the Washington Redskins at the Coliseum.",
     # a timeline's or a programme's entry: a date or a time, a colon or a dash, then what happened
     "11. März 2020: WHO erklärt Pandemie", "14:30 Uhr – Eröffnung durch den Bürgermeister",
     "10:30 a.m. - Opening remarks by the mayor",
     # a score, not a time of day
     "THW Kiel siegt 31:28 in Flensburg", "Alba Berlin gewinnt 98:87 gegen Bayern",
     # a story about cookies, longer than a banner's line (400 characters), in no site's own voice
     "The regulator said that websites which set advertising cookies before a visitor consents break the law, and "
     "that the fines it can impose reach four percent of a company's turnover. Publishers have until March to change "
     "their banners, after which inspectors will test a sample of the most visited sites in the country. Two "
     "newspapers and a retailer have already been warned, and a third publisher said it would appeal the ruling.",
     # a story's sentence with a cue other than a prompt's, longer than a cue's line
     "The app was the most read news source in the country last year, the regulator said, ahead of two "
     "broadcasters and a tabloid that had led the ranking for a decade.",
     # a service line telling readers how to reach an office, in no site's own voice
     "Residents who want to object have until Friday: you can email the planning office or write to the town hall.",
     # a quote in guillemets (Jyllands-Posten)
     "»Det er en ret for franskmænd – ikke for jer.«"],
)
def test_a_sentence_about_hours_ago_or_more_or_with_figures_is_body(line):
    paragraphs, _ = _text(f"{BODY_1}\n\n{line}\n\n{BODY_2}")
    assert paragraphs == (BODY_1, line, BODY_2)


def test_an_embedded_posts_last_line_and_credit_are_furniture():
    """The Mirror's live blog: a post embedded between paragraphs, as the page's text prints it."""
    post = ["Buses to Marsh Mills / Plymstock board at Exeter Street. pic.twitter.com/7IJYBkhgep",
            "— Plymouth Citybus (@plymouthbus) August 5, 2024"]
    paragraphs, _ = _text("\n\n".join([BODY_1, *post, BODY_2]))
    assert paragraphs == (BODY_1, BODY_2)


def test_a_story_may_say_sign_in_and_password():
    line = "Users could not sign in to their accounts or change a password for hours on Monday."
    paragraphs, _ = _text(f"{BODY_1}\n\n{line}\n\n{BODY_2}")
    assert paragraphs == (BODY_1, line, BODY_2)


def test_a_video_teaser_closed_by_its_running_time_leaves_an_html_body():
    # ZDF sets its videos' teasers in the body: a summary, the date and the running time.
    teaser = ("Neben Raketen und Drohnen des Iran ist die größte Bedrohung für Israel das Atomprogramm. "
              "Wie groß ist die Gefahr einer nuklearen Eskalation? 21.04.2024 | 3:18 min")
    race = "She ran the last lap in 1:02 min, a record for the course that had stood since the spring."
    body = "".join(f"<p>{p}</p>" for p in (BODY_1, teaser, BODY_2, race))
    html = f"<html><head><title>Bridge</title></head><body><article><h1>Bridge</h1>{body}</article></body></html>"
    raw = RawArticle(url="https://example.com/a", fetched_at="2024-05-03T10:00:00Z", html=html)
    assert clean(raw, OPTIONS).paragraphs == (BODY_1, BODY_2, race)



def test_a_headline_after_a_menu_is_no_standfirst_and_a_dek_under_the_headline_is():
    """Running text with two or more dropped lines above it (a menu's) is another story's headline;
    right under the page's headline it is the dek."""
    body = [
        "Die Bundesregierung hat am Mittwoch ihren Haushaltsentwurf für das kommende Jahr vorgelegt, mit "
        "Einsparungen von mehreren Milliarden Euro in den Ministerien und höheren Abgaben für Unternehmen.",
        "Die Gewerkschaften kritisierten den Entwurf umgehend als Sparprogramm und riefen für den kommenden "
        "Monat zu einem bundesweiten Aktionstag auf, dem dritten in diesem Jahr, wie ihre Sprecherin sagte.",
    ]
    teaser = "Mehr Geld für Schulen und Kitas: was der Haushalt für die Familien in der Stadt bedeutet"
    dek = "Weniger Geld für die Ministerien und mehr für die Schulen: was der Entwurf für 2025 vorsieht"
    byline = ["Von Anna Schmidt", "12.03.2024, 10:15 Uhr"]
    after_menu, _ = _text("\n\n".join(["Startseite", "Politik", teaser, *byline, *body]), title="Haushalt 2025")
    under_headline, _ = _text("\n\n".join(["Haushalt 2025", dek, *byline, *body]), title="Haushalt 2025")
    assert after_menu == tuple(body)
    assert under_headline == (dek, *body)


def test_a_standfirst_is_no_line_with_a_furniture_cue():
    """SRF: an app's prompt, longer than the cue check reaches, stood above the standfirst."""
    prompt = ("News-App bei Google Play herunterladen (Wird in einem neuen Fenster geöffnet.) Laden Diese Seite in "
              "der News-App öffnen Öffnen")
    standfirst = ("Angehörige der drusischen Minderheit in Syrien haben beim Sturz von Assad mitgeholfen. Nun fordern "
                  "sie Gleichberechtigung.")
    page = "\n".join(["SRF News App", prompt, "Diesen Banner schliessen", "News", "International", "Nahost",
                      "Minderheit in Syrien - Drusen fordern Teilhabe statt Schutzgarantien von neuer Regierung",
                      standfirst, "Autor: Monika Bolliger und Anna Trechsel, Sweidah", "05.01.2025, 15:23",
                      "Klicken, um die Teilen-Funktion zu öffnen. Teilen", "Zu den Kommentaren springen.", *STRAVA])
    paragraphs, _ = _text(page)
    assert paragraphs == (standfirst, *STRAVA)


def test_a_trie_alternation_matches_its_words_and_nothing_else():
    words = ["sign in", "sign up", "sign", "signal", "sign in or create", "a.b"]
    pattern = re.compile(cleaning._trie_alternation(words))
    assert all(pattern.fullmatch(word) for word in words)
    assert not any(pattern.fullmatch(other) for other in ["sig", "signs", "sign i", "sign in or", "axb", ""])


def test_a_page_opening_on_a_skip_link_and_a_menu_takes_its_title_from_over_the_body():
    """ORF.at's page text: a skip link, then the site's menu, then the headline over the story; the
    page's first title-like line is the skip link, and the headline is the title-like line right
    before the body."""
    menu = ["Zum Inhalt [AK+1] / Zur ORF.at-Navigation [AK+3]", "Fernsehen", "ORF ON", "KIDS", "Sound", "Topos",
            "Debatte", "Österreich", "Wetter", "Sport", "News", "ORF.at im Überblick", "news", "Navigation",
            "Alle ORF Angebote", "APA/AFP/Mandel Ngan", "Nach Gaetz-Rückzug"]
    body = [
        "Der designierte US-Präsident Donald Trump hat nach dem Rückzug seines Wunschkandidaten Matt Gaetz seine "
        "ehemalige Anwältin Pam Bondi als Justizministerin nominiert.",
        "Trump hatte ursprünglich den umstrittenen Kongressabgeordneten Gaetz für den Posten vorgesehen. Der gab "
        "jedoch am Donnerstag auf, da sich selbst im künftig republikanisch dominierten Senat Widerstand regte.",
        "Im Fall von Gaetz war zudem kritisiert worden, dass er keine juristische Expertise und nicht genug "
        "Erfahrung für das Amt mitbringe. Bondi dagegen sei rund 20 Jahre lang Staatsanwältin gewesen.",
    ]
    headline = "Trump-Anwältin soll Justizministerin werden"
    paragraphs, hints = _text("\n".join([*menu, headline, *body, "Zurück zur Startseite", "News", "Sport"]))
    assert hints.title == headline
    assert paragraphs == tuple(body)
    # a headline with its byline and date under it stays the title
    _, hints = _text("\n".join([headline, "Von Anna Schmidt", "22.11.2024 07.57", *body]))
    assert hints.title == headline


def test_a_headline_followed_by_its_share_buttons_stays_the_title():
    """ABC's page text: the headline, then its share buttons one a line (furniture, not a menu's
    labels), then a section's label over the body. The headline stays the title."""
    headline = "Detenido un policía por abusar y torturar sexualmente a sus cuatro hijos durante casi una década"
    share = ["Compartir", "Copiar enlace", "Facebook", "X", "Whatsapp", "Email"]
    body = [
        "La Policía Nacional ha detenido a un agente destinado en la comisaría de la ciudad por abusar de sus "
        "cuatro hijos durante casi una década, según han informado fuentes de la investigación a este diario.",
        "Los hechos se conocieron cuando uno de los menores, ya mayor de edad, lo denunció ante un juzgado, que "
        "ordenó la detención del agente y su ingreso en prisión provisional sin fianza a la espera del juicio.",
    ]
    _, hints = _text("\n".join([headline, *share, "Sociedad y sucesos de hoy", *body]))
    assert hints.title == headline


def test_a_whole_page_takes_its_title_from_over_the_body_not_from_its_menu_bar():
    """Luxemburger Wort's rendered page: its first title-like line is the site's menu bar glued into
    one line, then a label and a section the cleaner drops, then the headline over the standfirst
    and the story. The title-like line over the body is the headline; a title with only its byline
    and date between it and a longer standfirst stays the title."""
    top = ["Menü", "E-PaperNewsletterRätsel", "Abonnement", "Login",
           "LuxemburgPolitikSportWort+Wort am SonntagFußball-WM 2026", "Abonnement", "Fußball"]
    headline = "Neue Regel bestraft Breel Embolo und die Schweiz für den Fehler des Schiedsrichters"
    standfirst = ("Der Stürmer sieht im WM-Viertelfinale gegen Argentinien wegen einer Schwalbe die Gelb-Rote "
                  "Karte. Sein Trainer kann es nicht fassen.")
    under = ["Nach einem Zweikampf mit dem Argentinier Leandro Paredes (r.) ging der Schweizer Breel Embolo zu "
             "Boden. Weil der Schiedsrichter eine Schwalbe erkannte, sah er dafür die Gelb-Rote Karte.Foto: dpa",
             "SID", "Nachrichtenagentur", "16:30", "Anhören", "Teilen"]
    body = [
        "In Tränen aufgelöst und völlig fassungslos taumelte Breel Embolo vom Platz, sein Trainer Murat Yakin "
        "verstand die Fußballwelt nicht mehr. Die Gelb-Rot-Premiere nach Videobeweis riss die Schweizer jäh aus "
        "allen Träumen von einer Sensation gegen den Weltmeister Argentinien – und warf die Frage auf: War es "
        "die Dummheit eines Schwalbenkönigs oder eine schreiende Ungerechtigkeit?",
        "Yakin entschied sich schnell für die zweite Variante. „Das ist eine Regel, die für mich mit Fußball "
        "nichts zu tun hat. Dass sie eingeführt wurde, ist absolut unnötig“, ereiferte sich der Coach der "
        "„Nati“ nach dem 1:3 nach Verlängerung gegen Lionel Messi und Co. und behauptete: „Wir sind für einen "
        "Fehler des Schiedsrichters bestraft worden.“",
    ]
    paragraphs, hints = _text("\n".join([*top, headline, standfirst, *under, *body]))
    assert hints.title == headline
    assert paragraphs[-2:] == tuple(body)
    short = "Embolo sieht Gelb-Rot"
    dek = "Der Stürmer sieht im WM-Viertelfinale gegen Argentinien wegen einer Schwalbe die Gelb-Rote Karte"
    _, hints = _text("\n".join([short, "Von Anna Schmidt", "12.07.2026 16:30", dek, *body]))
    assert hints.title == short


def test_a_paragraph_closed_by_its_agency_or_editor_code_is_body():
    """Media Indonesia ends its story "... IGI School of Economics Jakarta. (E-2)", Freie Presse
    "... Der Eintritt zum Hutfestival ist frei. (kas)": the code in brackets of the agency or the
    editor closes a sentence. With an agency's name there ("(dpa)") the paragraph is no caption
    closed by a credit when it holds two sentences or more."""
    body = [
        "INTERNATIONAL Golden Institute (IGI School of Economics Jakarta) kembali menegaskan komitmennya dalam "
        "membangun pendidikan yang berkarakter dan inklusif melalui penyelenggaraan Wisuda Magister Manajemen "
        "ke-XV serta Sarjana Manajemen dan Akuntansi ke-XI.",
        "Nilai-nilai tersebut kembali ditekankan dalam wisuda tahun ini. Para lulusan didorong untuk menjunjung "
        "tinggi integritas, inovasi, kolaborasi, serta semangat pembelajaran sepanjang hayat.",
        "Menutup sambutannya, Almaraja Limbong mengajak para wisudawan untuk kembali ke masyarakat dengan "
        "semangat pengabdian dan menjadikan ilmu sebagai cahaya dalam setiap langkah kehidupan, sebagaimana "
        "nilai yang diwariskan John Waller Limbong, sejak awal berdirinya IGI School of Economics Jakarta. (E-2)",
    ]
    furniture = ["Cek berita dan artikel yg lain di Google News dan dan ikuti WhatsApp channel mediaindonesia.com",
                 "Editor : Heryadi", "SHARE", "Tags:", "Berita Lainnya", "LOAD MORE"]
    paragraphs, _ = _text("\n".join([*body, *furniture]), title="Wisuda IGI School of Economics Jakarta 2025")
    assert paragraphs == tuple(body)
    report = ("Am 25. und 26. Mai ist jeweils 12 Uhr Start auf dem Theaterplatz. Der Eintritt zum Hutfestival "
              "ist frei, teilte die Stadt am Dienstag mit. (dpa)")
    caption = "Besucher des Hutfestivals auf dem Theaterplatz in Chemnitz. (dpa)"
    paragraphs, _ = _text("\n\n".join([BODY_1, caption, BODY_2, report]), title="Hutfestival")
    assert paragraphs == (BODY_1, BODY_2, report)


TAGESSPIEGEL = [
    "Insgesamt fiel in Europa rund sieben Prozent mehr Niederschlag als im Mittel. Ein Drittel der europäischen "
    "Flüsse überschritt 2023 die Hochwassermarke „hoch“. In großen Flusseinzugsgebieten, einschließlich der Loire, "
    "des Rheins und der Donau, wurden Rekord- oder fast Rekordhochwasserstände beobachtet.",
    "Gibt es also einen Zusammenhang zwischen wärmerem Meerwasser und Wetterextremen? Eine einfache Antwort darauf "
    "ist nicht möglich. Fragt man Klimaforschende und Meteorologen, ergibt sich ein facettenreiches Bild.",
    "„Sommerliche Hitzeperioden hingegen werden durch einen warmen Atlantik bei uns kaum wärmer, man kann nicht "
    "sagen, dass sie in diesem Sommer wahrscheinlicher werden“, sagte er weiter.",
    "Der Klimaforscher Andreas Fink vom Karlsruher Institut für Technologie (KIT) erwartet, dass höhere "
    "Meerestemperaturen zu höheren Windgeschwindigkeiten führen können.",
]


@pytest.mark.parametrize("subhead", ["Verstärkte Wolkenbildung", "Höhere Windgeschwindigkeiten", "Mehr zu tun"])
def test_a_short_subhead_between_two_paragraphs_stays(subhead):
    """Tagesspiegel's subheads of two words ("Verstärkte Wolkenbildung") stand alone between two
    paragraphs; so does one opening like a box of more stories but ending on a verb ("Mehr zu
    tun"). A picture agency's name there is a credit, and a box heading after the story goes."""
    page = [TAGESSPIEGEL[0], subhead, *TAGESSPIEGEL[1:3], "Getty Images", TAGESSPIEGEL[3]]
    paragraphs, _ = _text("\n".join(page), title="Eskalation im Nordatlantik")
    assert paragraphs == (TAGESSPIEGEL[0], subhead, *TAGESSPIEGEL[1:])
    paragraphs, _ = _text("\n".join([*TAGESSPIEGEL, "Mehr von CORRECTIV", *TAGESSPIEGEL[:1]]), title="Eskalation")
    assert "Mehr von CORRECTIV" not in paragraphs


@pytest.mark.parametrize("label", ["Photo Gallery", "Latest Videos", "Listen Here", "Top Picks", "Nos partenaires"])
def test_a_widget_s_lone_label_between_two_paragraphs_is_no_subhead(label):
    """An embedded gallery, player or box of links prints only its label in the rendered text,
    shaped as a subhead between two long paragraphs: it stays out."""
    page = [TAGESSPIEGEL[0], label, *TAGESSPIEGEL[1:]]
    paragraphs, _ = _text("\n".join(page), title="Eskalation im Nordatlantik")
    assert paragraphs == tuple(TAGESSPIEGEL)


def test_a_person_introduced_near_the_story_s_end_is_no_author_s_note():
    """Der Freitag introduces the author it reviews ("Patricia Evangelista ist Journalistin, ...")
    and goes on about her; among the body's last three lines, that line and the paragraphs after
    it stay. An author's note, followed by a short line at most, still goes."""
    body = [
        "Patricia Evangelista bringt vielleicht das wichtigste Buch zur Messe. Auf jeden Fall aber eines, das einen "
        "rabenschwarzen Schatten wirft, aus dem sich viele Romane kaum hervorarbeiten können.",
        "Dagegen erscheinen dann der frühe Betrieb in einer schwer nach Fleisch und Verwesung riechenden Markthalle, "
        "die friedlichen Seitenstraßen des Wohnviertels und der entspannte Weg zum Rizal-Park maximal verstörend.",
        "Patricia Evangelista ist Journalistin, Reporterin, hält sich für eine „höchst pragmatische Zynikerin“. Das "
        "scheint keine Koketterie zu sein, sie hat Traumata zum Gegenstand ihrer Reportagen gemacht.",
        "Evangelista hat über sechs Jahre die Morde untersucht, die 2016 bis 2022 im Namen des Präsidenten der "
        "ältesten Demokratie Südostasiens begangen wurden, und sie hat mit Tätern und Angehörigen gesprochen.",
        "Some People Need Killing ist ein Sachbuch und Memoir, ein Report, sprachlich zumeist heruntergedimmt auf das "
        "notwendige Maß. Man versteht seinen Stil schnell, wartet auf die bitteren Pointen.",
    ]
    paragraphs, _ = _text("\n\n".join(body), title="Ehrengast der Frankfurter Buchmesse")
    assert paragraphs == tuple(body)
    note = "Laura Jedeed is a freelance journalist based in New York City."
    paragraphs, _ = _text("\n\n".join([BODY_1, BODY_2, note, "First published in The Conversation."]), title="Bridge")
    assert paragraphs == (BODY_1, BODY_2)
    # followed by a long appeal that does not name her: still an author's note, and the appeal goes
    appeal = ("Our newsroom relies on readers like you to fund independent reporting on the issues that matter "
              "most to the region; every contribution, however small, helps us keep our journalism free to read.")
    paragraphs, _ = _text("\n\n".join([BODY_1, BODY_2, note, appeal]), title="Bridge")
    assert paragraphs == (BODY_1, BODY_2)


def test_a_short_list_in_mid_story_keeps_itself_and_the_paragraphs_after_it():
    """Daily Maverick's list under its lead-in, printed without the items' semicolons: short lines
    that are neither prose nor sentences cost the span more than the two paragraphs after them
    brought, and the body ended on the lead-in. A shop's list of products and prices is no
    story's list."""
    lead = [
        "The greatest responsibility rests with the City to transform informal trading management. But the policy "
        "also makes it clear that informal traders themselves have important responsibilities.",
        "Once allocated trading sites, traders are expected to:",
    ]
    items = ["Operate only within designated areas", "Avoid restricted or prohibited spaces",
             "Help to maintain order", "Keep their trading spaces clean"]
    after = [
        "The plan also envisages the establishment of an independent informal trade forum. Urgent action is needed.",
        "There are key next steps that need to be taken, the City said.",
    ]
    for separator in ("\n\n", "\n"):
        paragraphs, _ = _text(separator.join([*lead, *items, *after]), title="Informal trading")
        assert paragraphs == (*lead, *items, *after)
    prices = ["Lego 75346 / Snubfighter der Piraten: 34,99 Euro", "Lego 40623 / Helden der Schlacht von Endor: 39,99 Euro",
              "Lego 75361 / Spinnenpanzer: 52,99 Euro", "Lego 75356 / Supersternzerstörer Executor: 69,99 Euro"]
    paragraphs, _ = _text("\n".join([*lead, *prices, *after]), title="Informal trading")
    assert not set(prices) & set(paragraphs)


def test_a_teasers_headline_of_prose_length_ending_no_sentence_still_heads_a_teaser():
    """Freie Presse's "Das könnte Sie auch interessieren": time, reading time, headline, summary,
    author. The middle headline runs past 100 characters without a stop (prose's length); its
    summary ends on one, so the pair is a teaser's like the others, the three make a teaser list,
    and their summaries no longer weigh as prose (before, the long headline split the list)."""
    body = [
        "In einem Statement sagte der 48-Jährige: „Ich habe unwissentlich falsch über ein internes Dokument "
        "informiert.“ Das sei nicht seine Absicht gewesen - denn er habe keine Kenntnis von dem Papier gehabt. Als "
        "Generalsekretär übernehme er die politische Verantwortung, „um Schaden von meiner Glaubwürdigkeit und der "
        "der FDP abzuwenden“. Es war nicht der einzige Rücktritt bei den Liberalen am Freitag. Kurz nach Djir-Sarai "
        "nahm FDP-Bundesgeschäftsführer Carsten Reymann seinen Hut.",
        "Vom ehemaligen Koalitionspartner SPD gab es warme Worte. Generalsekretär Matthias Miersch warf der Spitze "
        "der Liberalen vor, die Öffentlichkeit wiederholt getäuscht zu haben, forderte eine Entschuldigung von "
        "Parteichef Lindner. Gegenüber dem Redaktionsnetzwerk Deutschland bezeichnete es Miersch als „zynisch“, "
        "dass die FDP in dem Papier für den Zeitpunkt des Ampel-Bruchs in ihrem Papier das Wort „D-Day“ benutzt "
        "und den nachfolgenden Wahlkampf als „offene Feldschlacht“ bezeichnet.",
        "Im Netz sorgte insbesondere die Ablaufpyramide der Liberalen für jede Menge Spott und Hohn. Die Tatsache, "
        "dass eine Pyramide von unten nach oben aufgebaut ist, die Liberalen aber ihre Phasen von oben nach unten "
        "geplant hatten, nahm dieser User auf X aufs Korn. „Ägypten, wenn der Pharao FDP-Mitglied gewesen wäre“, "
        "notierte er zum Bild einer auf dem Kopf stehenden Pyramide.",
        "Ex-Grünen-Chefin Ricarda Lang störte sich derweil am militärischen Tonfall. „Wer Politik nur noch als "
        "Schlachtfeld begreift und als einziges verbleibendes Ziel Destruktion zum eigenen Nutzen hat, sollte keine "
        "politische Verantwortung tragen“, kommentierte sie.",
        "Ein anderer Nutzer notierte trocken in Anlehnung an CDU-Mann Wolfgang Schäuble: „Kommunikativer "
        "Totalschaden. Isch over.“(phy)",
    ]
    teasers = [
        "Das könnte Sie auch interessieren", "12:28 Uhr", "3 min.",
        "Mallorca-Prozess: Zeuge beschreibt, wie Mensch aus Auto fiel",
        "Zwei Spanier stehen auf Mallorca wegen des Todes eines deutschen Urlaubers vor Gericht. Ein "
        "entscheidender Zeuge, der die Ermittler auf die Spur der beiden geführt hatte, sagte nun aus.",
        "28.11.2024", "4 min.",
        "Plauener Unternehmer verärgert über geplatzten Kredit: „Sparkasse hätte uns über die Klinge springen "
        "lassen“",
        "Der Umbau einer Anlage zur Biodiesel-Erzeugung in eine Ölmühle ist abgeschlossen. Unterwegs hat die "
        "Firma ihre Hausbank verloren. Der Geschäftsführer erhebt nun Vorwürfe gegen das kommunale Geldhaus.",
        "Swen Uhlig", "12:30 Uhr", "1 min.",
        "Umfrage: Viele Produzenten erwarten schwieriges Jahr 2025",
        "Steigende Kosten, sinkende Budgets: Eine Umfrage unter Produktionsfirmen zeigt schlechte Aussichten für "
        "die Filmwelt im kommenden Jahr.",
        "28.11.2024", "3 min.",
    ]
    paragraphs, _ = _text("\n".join([*body, *teasers]))
    assert paragraphs == tuple(body)


@pytest.mark.parametrize(
    "note",
    [
        # a site's notes to its readers: errors, comments, contacts (taz, Lesotho Times)
        "Sollten Ihnen Fehler aufgefallen sein, schicken Sie uns gerne eine E-Mail an fehlerhinweis@taz.de!",
        "Haben Sie Probleme beim Kommentieren oder Registrieren? Dann mailen Sie uns bitte an kommune@taz.de.",
        "Lesotho's widely read newspaper, published every Thursday and distributed throughout the country and in "
        "some parts of South Africa. Contact us today: News: editor@lestimes.co.ls Advertising: "
        "marketing@lestimes.co.ls Telephone: +266 2231 5356",
        # a picture's credit with the photographer's address (Canada.com)
        "Fairmont Jasper Park Lodge is now open after undergoing a major restoration project. Fairmont Jasper Park "
        "Lodge: Jacob Sjöman, jacob@sjomanart.com",
    ],
)
def test_a_line_with_an_email_address_is_the_sites_note_not_the_story(note):
    paragraphs, _ = _text(f"{BODY_1}\n\n{note}\n\n{BODY_2}")
    assert paragraphs == (BODY_1, BODY_2)


def test_a_long_paragraph_with_an_email_address_stays():
    paragraph = (
        "The letter, sent from an address at the ministry and signed by its press office, asked the paper to "
        "correct two figures; readers who wanted the full exchange could write to the ombudsman at "
        "ombudsman@example.org, the paper said, and it would publish every reply it received in the coming "
        "weeks alongside the ministry's own account of what had happened during the negotiations, which ran "
        "for most of the spring."
    )
    paragraphs, _ = _text(f"{BODY_1}\n\n{paragraph}\n\n{BODY_2}")
    assert paragraphs == (BODY_1, paragraph, BODY_2)


@pytest.mark.parametrize(
    "line",
    ["", " ", "a b", " a b", "a b ", "a  b", "a\u00a0b", "a\tb", "a\u2003b\u3000c", "a\x1cb", "\u0085a\u2028b\u2029",
     "a\u200bb", "Ein Satz.", "x \u00ad y", "  lead  and  trail  "],
)
def test_a_line_is_spaced_as_split_and_join_space_it(line):
    assert cleaning._spaced(line) == " ".join(line.split())


def test_only_the_space_is_printable_whitespace():
    # `_spaced` keeps a printable line with single inner spaces as it is: no other whitespace
    # character may be printable, or such a line could keep one.
    assert [c for c in map(chr, range(0x110000)) if c.isspace() and c.isprintable()] == [" "]


def _icon_run_by_tokens(lowered: str) -> bool:
    tokens = lowered.split()
    marked = sum(1 for t in tokens if any(m in t for m in vocabulary.ICON_MARKERS))
    return len(tokens) >= 4 and marked >= 3 and marked * 10 >= len(tokens) * 3


@pytest.mark.parametrize(
    "lowered",
    ["facebook-icon twitter-icon mail-icon print-icon", "iconiconicon a b c d e f g h i j k",
     "icon icon icon a b c d e f g h i j", "icon icon icon a b c d e f g h i j k", "an icon of the iconic icons",
     "icon icon icon", "share icon-facebook icon-x icon-mail icon-link copy", "iconic", ""],
)
def test_icon_runs_are_counted_by_token(lowered):
    assert cleaning._is_icon_run(lowered) == _icon_run_by_tokens(lowered)


def test_icon_markers_hold_no_whitespace():
    # `_is_icon_run` bounds the marked tokens by the line's matches, which needs this.
    assert not any(any(c.isspace() for c in marker) for marker in vocabulary.ICON_MARKERS)


@pytest.mark.parametrize(
    ("byline", "authors"),
    [
        ("Kommentar von Nicole Opitz", ("Nicole Opitz",)),  # taz
        ("Kolumne von Lars Brunckhorst", ("Lars Brunckhorst",)),  # Süddeutsche Zeitung
        ("Eine Analyse von Jane Doe", ("Jane Doe",)),
        ("A column by Jane Doe", ("Jane Doe",)),
    ],
)
def test_a_byline_naming_the_genre_first_goes_to_authors(byline, authors):
    paragraphs, hints = _text(f"Bridge to close\n\n{byline}\n\n{BODY_1}\n\n{BODY_2}")
    assert hints.authors == authors
    assert paragraphs == (BODY_1, BODY_2)


def test_a_subhead_naming_a_genre_is_no_byline():
    subhead = "Kommentar von oben"
    paragraphs, hints = _text(f"{BODY_1}\n\n{subhead}\n\n{BODY_2}")
    assert hints.authors == ()


@pytest.mark.parametrize(
    "state",
    ["Sie sind eingeloggt.", "Sie sind angemeldet als:", "You are logged in as Jane Doe. Log out?"],  # taz, WAZ
)
def test_the_visitors_sign_in_state_is_furniture(state):
    paragraphs, _ = _text(f"{BODY_1}\n\n{state}\n\n{BODY_2}")
    assert paragraphs == (BODY_1, BODY_2)


def test_a_pulled_quotes_attribution_before_a_subhead_goes():
    """Tageblatt's pulled quotes: the quote, then the speaker's name and role on a line of their
    own, then the next section's subhead: the attribution goes, the rest stays."""
    quote = (
        "Die Regierung muss sich jetzt endlich bewegen. Wir wollen das Sozialmodell, das Luxemburg zu einer "
        "Success-Story gemacht hat, wieder hochhalten."
    )
    lines = [BODY_1, quote, "Nora Back, OGBL-Präsidentin", "Eine offene Frage", BODY_2]
    paragraphs, _ = _text("\n\n".join(lines))
    assert paragraphs == (BODY_1, quote, "Eine offene Frage", BODY_2)


def test_a_pulled_quotes_attribution_before_running_text_stays():
    """ZDF's pulled quotes: the quote, then the speaker's name and institution on a line of their
    own, then the story runs on. From the lines alone it is a section's subhead naming a person and
    a party ("Friedrich Merz, CDU"), which is the story's: both stay."""
    lines = [
        "Die Bedeutung des Handelspartners Iran für Deutschland ist vor dem Hintergrund dieser Zahlen überschaubar. "
        "Sascha Lohmann, Sanktionsexperte der Stiftung Wissenschaft und Politik, sagt gegenüber ZDFheute:",
        "Für die deutsche Außenhandelsbilanz spielt der iranische Absatzmarkt keine bedeutende Rolle.",
        "Sascha Lohmann, Stiftung Wissenschaft und Politik",
        "Umgekehrt seien deutsche Ausfuhren aber teilweise von großer Bedeutung für die iranische Wirtschaft und "
        "Gesellschaft, erklärt Lohmann. \"Insbesondere bei der medizinischen Versorgung im Bereich zur Diagnostik "
        "und Behandlung bestimmter Krankheiten.\"",
    ]
    paragraphs, _ = _text("\n".join(lines))
    assert paragraphs == tuple(lines)


@pytest.mark.parametrize(
    "line",
    ["Neue Regeln, alte Probleme", "Angela Merkel, die Kanzlerin, sagte am Montag in Berlin, sie werde bleiben",
     "Berlin, Hamburg, München"],
)
def test_a_subhead_or_sentence_with_a_comma_is_no_attribution(line):
    assert not cleaning._is_attribution(line)


@pytest.mark.parametrize(
    "paragraph",
    [
        # a phishing story names the sender's address
        "The e-mails, which appear to come from service@paypal-sicherheit.net, ask recipients to confirm their "
        "card details within 24 hours or lose access to their accounts.",
        # a police appeal for witnesses, as German local news prints it
        "Zeugen werden gebeten, sich unter der Telefonnummer 0621 174-4444 oder per E-Mail an "
        "hinweise@polizei.bwl.de zu melden.",
        # a quoted appeal speaks as "us": the speaker's voice, not the site's
        '"If you saw anything that night, please contact us on 101 or email appeals@northumbria.police.uk," '
        "Detective Inspector Jane Hall said.",
        "Fans can leave messages of condolence at condolences@leedsunited.com, the club said in a statement on Sunday.",
        # an address after a colon that ends a sentence's words, not a label's
        "He said he had written twice to the address the company gives on its website: "
        "info@solar-panels-direct.com, but never heard back.",
    ],
)
def test_a_story_paragraph_naming_an_email_address_stays(paragraph):
    paragraphs, _ = _text(f"{BODY_1}\n\n{paragraph}\n\n{BODY_2}")
    assert paragraphs == (BODY_1, paragraph, BODY_2)


@pytest.mark.parametrize(
    "subheads",
    [
        # an election piece heads each candidate's section with the name and the party
        ("Friedrich Merz, CDU", "Olaf Scholz, SPD"),
        # a title-case subhead with a comma
        ("Rising Prices, Falling Wages", "Higher Rates, Slower Growth"),
    ],
)
def test_a_subhead_naming_a_person_and_a_party_after_prose_stays(subheads):
    intro = (
        "Voters will choose a new parliament on Sunday, and three candidates have a real chance of leading "
        "the next government."
    )
    first = "He has led the party since 2022 and promises lower taxes for companies and a tougher line on migration."
    second = "She wants to raise the minimum wage and to keep the debt brake, at least for the next two years."
    body = (intro, subheads[0], first, subheads[1], second)
    paragraphs, _ = _text("\n\n".join(body))
    assert paragraphs == body


@pytest.mark.parametrize(
    "paragraph",
    [
        "The attackers logged in as an administrator and copied the records of 40,000 customers.",
        "Angemeldet als Mahnwache mit 50 Teilnehmern, kamen am Samstag mehr als 3.000 Menschen auf den Marktplatz.",
        "If you are signed in to your Google account, the app shares your location with the company by default.",
        "Se sei connesso a una rete pubblica, evita di fare acquisti online con la carta di credito.",
    ],
)
def test_a_story_line_that_speaks_of_signing_in_stays(paragraph):
    paragraphs, _ = _text(f"{BODY_1}\n\n{paragraph}\n\n{BODY_2}")
    assert paragraphs == (BODY_1, paragraph, BODY_2)


@pytest.mark.parametrize("layout", ["\n\n", "\n"])
def test_a_quotes_lead_in_without_a_colon_stays(layout):
    """A lead-in that ends on no mark ("..., she replied") above a quoted paragraph is the story's
    sentence: near the story's head it cost as a headline, the body's span began under it, and it
    was lost while the first paragraph came back as the lead."""
    lines = [
        "The finance minister has defended her budget in an interview with our paper.",
        "Asked whether the cuts went too far, she replied",
        '"No. We had to act."',
        '"The deficit was growing every month."',
        "She added that the measures would be reviewed next year.",
        "Critics said the plans would hit the poorest hardest.",
        "The budget will be debated in parliament next week.",
    ]
    paragraphs, hints = _text(layout.join(["Minister defends budget plans", *lines]))
    assert hints.title == "Minister defends budget plans"
    assert paragraphs == tuple(lines)


def _teasers_page(teasers: int) -> str:
    """A short title-like line, then dated teasers, a dropped label and the story's own headline
    over its body."""
    lines = ["Short Title Here Now", ""]
    for i in range(teasers):
        lines += ["May 3, 2024", "", f"Teaser headline about thing {i}", ""]
    lines += ["Advertisement", "", "A much longer headline over the body of this story", ""]
    words = "the council approved budget schools roads hospitals north debate members plan said".split()
    for p in range(6):
        lines += [" ".join(words[(p + i) % len(words)] for i in range(40)).capitalize() + ".", ""]
    return "\n".join(lines)


def test_the_headline_over_the_body_is_found_below_many_dated_teasers():
    paragraphs, hints, _ = cleaning._clean_text(_teasers_page(300), None, "UTC")
    assert hints.title == "A much longer headline over the body of this story"
    assert len(paragraphs) == 6


def test_lines_dropped_as_dates_are_counted_per_line_not_searched_for():
    """`_heads_body_below` reads how many bylines and dates stood before each line from a count
    per line, so that a page of thousands of dated teasers costs one pass, not one search of them
    all per line."""
    heading = "A much longer headline over the body"
    shown = [("Short Title Here Now", 0), ("Teaser headline about one thing", 1), (heading, 2)]
    kept = [cleaning._line(text, True, text.casefold(), False, None, gap=gap) for text, gap in shown]
    assert cleaning._heads_body_below(kept, 0, heading, Counter({1: 1, 2: 1})) is True
    assert cleaning._heads_body_below(kept, 0, heading, Counter({1: 1, 2: 2})) is False


def test_hard_wrapped_lines_are_joined_and_classified_once(monkeypatch):
    """Thousands of continuation lines make one paragraph, classified once it is whole: joining
    and classifying line by line would read the paragraph again per line."""
    wrapped = ["The council said on Tuesday that"] + ["the budget for schools and roads was late and"] * 3000
    text = "\n".join(["Budget talks run late in the council", "", *wrapped, "that it would pass.", ""])
    classified: list[int] = []
    line = cleaning._line
    monkeypatch.setattr(cleaning, "_line", lambda text, *a, **k: classified.append(len(text)) or line(text, *a, **k))
    paragraphs, _, _ = cleaning._clean_text(text, None, "UTC")
    assert paragraphs == (" ".join([*wrapped, "that it would pass."]),)
    assert sum(classified) < 3 * len(text)


_NAV_STORY = [
    "The city council approved a budget on Monday that funds three new schools and repairs to roads in the north of the city.",
    "The plan, which passed by nine votes to four, sets aside money for teachers and buildings over the next five years, the council said.",
    "Opponents said the plan would raise local taxes and asked for a review of the costs before any building starts next spring.",
]


@pytest.mark.parametrize("layout", ["\n\n", "\n"])
@pytest.mark.parametrize(
    "bar",
    [
        "Menu Home News Sport Weather Sign in",
        "Home | News | Sport | Business | Culture | Subscribe",
        "Startseite Politik Wirtschaft Sport Suche Anmelden",
        "Skip to main content Home News Sport Weather",  # a label of four words
    ],
)
def test_a_navigation_bar_on_one_line_is_no_headline(layout, bar):
    paragraphs, hints = _text(layout.join([bar, "Council approves budget for new schools", *_NAV_STORY]))
    assert hints.title == "Council approves budget for new schools"
    assert paragraphs == tuple(_NAV_STORY)


@pytest.mark.parametrize(
    "headline",
    [
        "Home secretary to sign in new rules on search warrants",  # goes on in lower case
        "Home News Of The Week",  # one label
        "Search Goes On For Missing Climbers",  # one label
        "Home Search Ends In Tragedy",  # Title Case, two labels: ends on another word
        "Search For Home Of Missing Boy Ends",
        "Menu Prices Rise As Home Costs Soar",
        "Register Now For Home Loans",
        "Search For Missing Boy Ends At Home",  # opens and ends with a label, joined by function words
    ],
)
def test_a_headline_opening_with_a_navigation_word_stays_the_headline(headline):
    paragraphs, hints = _text("\n\n".join([headline, *_NAV_STORY]))
    assert hints.title == headline
    assert paragraphs == tuple(_NAV_STORY)
