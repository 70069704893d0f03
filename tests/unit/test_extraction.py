"""Extraction: tables of cleaned input and the record fields expected from it."""

from __future__ import annotations

import gzip
import re
import unicodedata
from pathlib import Path

import pytest

from processors import extraction
from processors.cleaning import clean
from processors.extraction import (
    article_id,
    canonical_url,
    clean_title,
    count_words,
    detect_language,
    extract,
    make_lead,
    normalize_url,
    site_of,
)
from processors.enrichment import enrich, extract_keywords
from processors.options import StageOptions
from schemas.models import CleanedArticle, Entities, PageHints, RawArticle

DATA = Path(__file__).resolve().parents[1] / "data"
OPTIONS = StageOptions()


# --- URLs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.rt.com/news/333587-isis-libya-recruitment/?utm_source=rss&utm_medium=rss",
         "https://www.rt.com/news/333587-isis-libya-recruitment"),
        ("HTTPS://WWW.Example.COM:443/a/b/?b=2&a=1#comments", "https://www.example.com/a/b?a=1&b=2"),
        ("http://example.com:80/x?fbclid=abc&id=7&gclid=z", "http://example.com/x?id=7"),
        ("https://example.com/x?mc_cid=1&mc_eid=2&ref=tw&ref_src=twsrc&cmpid=3&ocid=4&page=2",
         "https://example.com/x?page=2"),
        ("https://example.com/x?utm_campaign=a&UTM_Content=b", "https://example.com/x"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/", "https://example.com/"),
        ("https://example.com:8080/x/", "https://example.com:8080/x"),
    ],
)
def test_normalize_url(url, expected):
    assert normalize_url(url) == expected


@pytest.mark.parametrize(
    ("url", "hint", "expected"),
    [
        ("https://m.example.com/a?utm_source=x", "https://www.example.com/news/a",
         "https://www.example.com/news/a"),
        ("https://example.com/news/a", None, "https://example.com/news/a"),
        ("https://example.com/news/a", "/news/a", "https://example.com/news/a"),
        ("https://example.com/news/a", "ftp://example.com/news/a", "https://example.com/news/a"),
        ("https://example.com/news/a", "http://localhost/news/a", "https://example.com/news/a"),
        ("https://example.com/news/a", "https://10.0.0.1/news/a", "https://example.com/news/a"),
        # a canonical link to the home page on an article is a CMS bug, not the article's URL
        ("https://example.com/news/a", "https://example.com/", "https://example.com/news/a"),
        ("https://example.com/", "https://example.com/", "https://example.com/"),
    ],
)
def test_canonical_url(url, hint, expected):
    assert canonical_url(url, hint) == expected


def test_article_id_is_stable_and_from_the_canonical_url_only():
    first = article_id(canonical_url("https://www.rt.com/news/a/?utm_source=x#top"))
    second = article_id(canonical_url("https://WWW.RT.COM/news/a?fbclid=1"))
    assert first == second == article_id("https://www.rt.com/news/a")
    assert len(first) == 32 and int(first, 16) >= 0
    assert article_id("https://www.rt.com/news/b") != first


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.rt.com/news/x", "rt.com"),
        ("https://edition.cnn.com/2024/x", "cnn.com"),
        ("https://www.bbc.co.uk/news/x", "bbc.co.uk"),
        ("http://politics.people.com.cn/n1/x.html", "people.com.cn"),
    ],
)
def test_site_of(url, expected):
    assert site_of(url) == expected


# --- titles --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "site_name", "site", "expected"),
    [
        ("ISIS warlords on recruitment drive in Libya — RT World News", None, "rt.com",
         "ISIS warlords on recruitment drive in Libya"),
        ("Bridge closes | The Guardian", None, "theguardian.com", "Bridge closes"),
        ("Bridge closes - Daily News", "Daily News", "dailynews.com", "Bridge closes"),
        ("Bridge closes – example.com", None, "example.com", "Bridge closes"),
        ("DER STANDARD: Bridge closes", None, "derstandard.at", "Bridge closes"),
        ("Example: Bridge closes", "Example", "example.com", "Bridge closes"),
        ("  Bridge\n closes  ", None, "example.com", "Bridge closes"),
        ("Trump - Biden debate: what to watch", None, "example.com",
         "Trump - Biden debate: what to watch"),
        ("Nach Gaetz-Rückzug: Trump-Anwältin soll Justizministerin werden", "news.ORF.at", "orf.at",
         "Nach Gaetz-Rückzug: Trump-Anwältin soll Justizministerin werden"),
        ("RT", "RT", "rt.com", "RT"),
        (None, None, "rt.com", None),
        ("   ", None, "rt.com", None),
        # a date and a name after the headline; the name spelt with an umlaut or diacritics
        ("Ukrainische Gegenoffensive: Ziele | DW | 28.04.2023", None, "dw.com", "Ukrainische Gegenoffensive: Ziele"),
        ("Post-Vac-Syndrom: Was wissen wir? – DW – 13.06.2023", None, "dw.com", "Post-Vac-Syndrom: Was wissen wir?"),
        ("Steigende US-Zinsen setzen Dax zu | Börsen-Zeitung", None, "boersen-zeitung.de", "Steigende US-Zinsen setzen Dax zu"),
        ("Fialova vláda podá demisi - Seznam Zprávy", None, "seznamzpravy.cz", "Fialova vláda podá demisi"),
        ("„Unermüdlicher Einsatz“ - Die Neue Südtiroler Tageszeitung", None, "tageszeitung.it", "„Unermüdlicher Einsatz“"),
        ("Bennett: „Ich bin nicht“ - Israel Nachrichten - Chadashoth Israel - חדשות ישראל", None,
         "israel-nachrichten.org", "Bennett: „Ich bin nicht“"),
        ("Nach Gaetz-Rückzug: Trump-Anwältin - news.ORF.at", None, "orf.at", "Nach Gaetz-Rückzug: Trump-Anwältin"),
        ("南海トラフ、一時調査 巨大地震、基準達せず：中日新聞Web", "中日新聞Web", "chunichi.co.jp", "南海トラフ、一時調査 巨大地震、基準達せず"),
        # short trailing segments that do not name the site stay
        ("Russia hits Kyiv with ballistic missile - National", "Global News", "globalnews.ca",
         "Russia hits Kyiv with ballistic missile - National"),
        ("Ceasefire talks - what we know - live", None, "example.com", "Ceasefire talks - what we know - live"),
    ],
)
def test_clean_title(title, site_name, site, expected):
    assert clean_title(title, site_name, site) == expected


# --- language, lead, words, keywords -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ("The council voted on Tuesday to close the old bridge to all traffic.", None, "en"),
        ("Der Gemeinderat hat am Dienstag beschlossen, die alte Brücke zu sperren.", "en", "de"),
        ("Le conseil municipal a voté mardi la fermeture du vieux pont.", None, "fr"),
        ("Short.", "de-AT", "de"),
        ("Short.", None, None),
        ("", "en_US", "en"),
        # py3langid also names languages without an ISO 639-1 code ("bcl", "zxx"): the page's
        # declaration then, else None, never a three-letter code the contract refuses.
        ("An mga tawo digdi sa banwaan nin Naga nagtaram sa Bikol", None, None),
        ("xxxxxx yyyyyy zzzzzz qqqqqq", "en", "en"),
        # CLD2 answers long samples; its old code for Hebrew ("iw") is given as ISO 639-1's "he".
        ("ראש הממשלה נפגש היום עם שרי הממשלה כדי לדון בתקציב המדינה לשנה הבאה ובתוכניות "
         "החדשות לשיפור מערכת החינוך והבריאות בכל רחבי הארץ, כך נמסר מלשכתו בהודעה רשמית. "
         "השרים הציגו את עמדותיהם בדיון ארוך ומפורט מאוד", None, "he"),
        # Text CLD2 refuses (a C1 control character) is py3langid's to answer.
        ("The council voted on Tuesday to close the old bridge to all traffic \x85 after engineers "
         "found deep cracks in two of its piers, and the mayor said repairs would take a year.", None, "en"),
    ],
)
def test_detect_language(text, hint, expected):
    assert detect_language(text, hint) == expected


@pytest.mark.parametrize(
    ("paragraph", "max_chars", "expected"),
    [
        ("One sentence. Two sentence.", 400, "One sentence. Two sentence."),
        ("First sentence here. Second sentence is longer than the limit allows.", 40,
         "First sentence here."),
        ("“Quoted first.” Then more words follow here.", 20, "“Quoted first.”"),
        ("a very long paragraph without any sentence end at all", 20, "a very long…"),
        ("Nothing", 3, "No…"),
    ],
)
def test_make_lead(paragraph, max_chars, expected):
    lead = make_lead(paragraph, max_chars)
    assert lead == expected
    assert len(lead) <= max_chars


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The council voted on Tuesday.", 5),
        ("one\n\ntwo  three", 3),
        ("促进航天技术", 6),
        ("新华社北京4月24日电。", 10),  # 8 Han characters, "4", "24"; the full stop is no word
        ("Tokyo 東京 2024", 4),
        ("", 0),
    ],
)
def test_count_words(text, expected):
    assert count_words(text) == expected


def test_keywords_weight_title_lead_and_phrases():
    keywords = extract_keywords(
        "Bridge closed in Springfield",
        (
            "The Springfield City Council closed the old bridge on Tuesday.",
            "Engineers found cracks in the bridge. The City Council will meet again.",
            "Springfield residents were angry about the bridge.",
        ),
        "en",
        5,
    )
    # "closed" scores 3 (title) + 2 (lead); the phrase 2 x 1.5; "city" and "council" are stopwords
    # in jusText's English list, so they count only inside the phrase.
    assert keywords == ("bridge", "Springfield", "closed", "Springfield City Council", "Tuesday")


def test_keywords_are_bounded_and_deterministic():
    paragraphs = ("Alpha beta gamma delta epsilon zeta eta theta.",)
    # a word seen only at a sentence start keeps the casing it had there
    assert extract_keywords(None, paragraphs, "en", 3) == ("Alpha", "beta", "delta")
    assert extract_keywords(None, paragraphs, "en", 0) == ()
    assert extract_keywords(None, ("促进航天技术更好惠及人民",), "zh", 5) == ()


@pytest.mark.parametrize(
    ("title", "paragraphs", "language", "expected"),
    [
        # a possessive is dropped; a sentence-initial "Police" yields to "police"; connectors
        # inside a phrase; a paragraph's end ends a phrase
        ("Trump's rally in Ohio",
         ("Police said Trump's rally drew crowds. The police counted them.",
          "Students of the Universidad de la Rioja marched.", "Rioja Wine Festival opened."),
         "en", ("rally", "Trump", "police", "Ohio", "counted", "crowds", "drew", "Rioja", "Rioja Wine Festival",
                "Universidad de la Rioja", "marched")),
        # a lower-case form that case folding changes still wins over a sentence-initial capital
        (None, ("Die große Koalition berät. Die große Mehrheit ist dagegen.", "Große Worte fielen."),
         "de", ("große", "berät", "dagegen", "Koalition")),
        ("Bank of Canada holds rates",
         ("The Bank of Canada held its rate.", "Bank of Canada officials said Canada is fine."),
         "en", ("Bank of Canada", "holds", "rates", "rate", "fine")),
    ],
)
def test_keyword_words_phrases_and_forms(title, paragraphs, language, expected):
    assert extract_keywords(title, paragraphs, language, len(expected)) == expected


# --- the stage -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed():
    raw = RawArticle(
        url="https://www.rt.com/news/333587-isis-libya-recruitment/?utm_source=rss#comments",
        fetched_at="2016-02-25T08:00:00Z",
        text=(DATA / "seed.txt").read_text(),
    )
    return enrich(extract(clean(raw, OPTIONS), OPTIONS), OPTIONS)


def test_extract_leaves_enrichment_to_enrich():
    raw = RawArticle(url="https://www.rt.com/news/333587-isis-libya-recruitment/", fetched_at="2016-02-25T08:00:00Z",
                     text=(DATA / "seed.txt").read_text())
    extracted = extract(clean(raw, OPTIONS), OPTIONS)
    assert extracted.keywords == () and extracted.quotes == () and extracted.entities == Entities()
    enriched = enrich(extracted, OPTIONS)
    assert enriched.keywords[:2] == ("Islamic State", "Libya")
    assert enriched.quotes and enriched.text == extracted.text and enriched.id == extracted.id


def test_seed_record(seed):
    assert seed.url == "https://www.rt.com/news/333587-isis-libya-recruitment/?utm_source=rss#comments"
    assert seed.canonical_url == "https://www.rt.com/news/333587-isis-libya-recruitment"
    assert seed.id == article_id("https://www.rt.com/news/333587-isis-libya-recruitment")
    assert seed.site == "rt.com"
    assert seed.title == "ISIS warlords on recruitment drive in Libya amid airstrike pressure"
    assert seed.published_at == "2016-02-24T12:18:00+00:00"
    assert seed.language == "en"
    assert seed.authors == ()
    assert seed.entities == Entities()
    assert seed.fetched_at == "2016-02-25T08:00:00Z"
    assert seed.lead == (
        "Islamic State is shifting its focus from Iraq and Syria, where it is losing territory, and "
        "is preparing to recruit new fighters in Libya, a spokesman for the US-led coalition has said."
    )
    assert seed.text.count("\n\n") == 14
    assert seed.text.endswith("Strikes against them will continue,” Vladimir Putin said Monday.")
    assert seed.word_count == len(seed.text.split()) == 463
    assert seed.keywords == (
        "Islamic State", "Libya", "coalition", "ISIS", "US-led", "Colonel Warren", "airstrike", "fighters",
    )


def _cleaned(paragraphs, hints=PageHints(), crawler_title=None, url="https://www.example.com/a"):
    return CleanedArticle(url=url, fetched_at="2024-05-03T10:00:00Z", source_format="html",
                          paragraphs=tuple(paragraphs), hints=hints, crawler_title=crawler_title)


def test_text_is_nfc_with_collapsed_whitespace_and_one_blank_line():
    record = extract(_cleaned(["Cafe\u0301  opens\n today.", "  ", "Second\tparagraph here."]), OPTIONS)
    assert record.text == "Café opens today.\n\nSecond paragraph here."
    assert record.lead == "Café opens today."
    assert record.word_count == 6


def test_hints_drive_title_site_and_authors():
    hints = PageHints(
        title="Bridge closes | Example News",
        authors=("Jane Doe", "jane doe", "John Smith"),
        published_at="2024-05-03T09:00:00+02:00",
        canonical_url="https://www.example.com/news/bridge?utm_source=x",
        site_name="Example News",
        language="de",
    )
    record = extract(_cleaned(["The council voted on Tuesday to close the old bridge."], hints,
                              crawler_title="ignored"), OPTIONS)
    assert record.canonical_url == "https://www.example.com/news/bridge"
    assert record.site == "example.com"
    assert record.title == "Bridge closes"
    assert record.authors == ("Jane Doe", "John Smith")
    assert record.published_at == "2024-05-03T09:00:00+02:00"
    assert record.language == "en"


def test_crawler_title_when_page_has_none():
    record = enrich(extract(_cleaned(["Ok."], PageHints(language="fr"), crawler_title="Le pont - Example"), OPTIONS), OPTIONS)
    assert record.title == "Le pont"
    assert record.language == "fr"
    assert record.keywords == ("pont",)


@pytest.mark.parametrize(
    ("name", "url", "canonical", "site", "title", "language"),
    [
        ("us_APNews_2023_04_28.html.gz",
         "https://apnews.com/article/mexico-economy-growth-3cc842471fb9df42315d658d88c8403a",
         "https://apnews.com/article/mexico-economy-growth-3cc842471fb9df42315d658d88c8403a",
         "apnews.com", "Mexico's economy grew 1.1% in 1st quarter, 3.8% year on year", "en"),
        ("at_ORF_2024_11_22.html.gz", "https://orf.at/stories/3376705/?ref=rss",
         "https://orf.at/stories/3376705", "orf.at",
         "Nach Gaetz-Rückzug: Trump-Anwältin soll Justizministerin werden", "de"),
        ("cn_People_2024_04_24.html.gz", "http://politics.people.com.cn/n1/2024/0424/c1001-40223222.html",
         "http://politics.people.com.cn/n1/2024/0424/c1001-40223222.html", "people.com.cn",
         "促进航天技术更好惠及人民――习近平主席向首届“中国－拉美和加勒比国家航天合作论坛”致贺信为中拉深化航天合作指明方向--时政--人民网",
         "zh"),
    ],
)
def test_html_pages(name, url, canonical, site, title, language):
    html = gzip.decompress((DATA / "pages" / name).read_bytes()).decode()
    record = extract(clean(RawArticle(url=url, fetched_at="2024-11-22T10:00:00Z", html=html), OPTIONS), OPTIONS)
    assert record.canonical_url == canonical
    assert record.id == article_id(canonical)
    assert record.site == site
    assert record.title == title
    assert record.language == language
    assert record.text.split("\n\n")[0] == record.lead or record.text.startswith(record.lead.rstrip("…"))
    assert len(record.lead) <= OPTIONS.lead_max_chars


@pytest.mark.parametrize("paragraph", [" a\u00a0b\u2003c\x1cd\u200be\u3000f \t\n g ", "\u0085x\u2028y\u2029", "Cafe\u0301  bar"])
def test_paragraphs_are_spaced_as_the_whitespace_pattern_spaces_them(paragraph):
    expected = re.sub(r"\s+", " ", unicodedata.normalize("NFC", paragraph)).strip()
    assert extraction._normal_paragraph(paragraph) == expected
