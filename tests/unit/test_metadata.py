"""Page metadata: authors from JSON-LD, meta tags and trafilatura; a headline without additions."""

from __future__ import annotations

import json
import sys
import unicodedata

import pytest
import trafilatura

from processors import metadata
from processors.metadata import (
    body_byline,
    choose_title,
    markup_authors,
    page_authors,
    read_page,
    split_author_names,
    with_lead,
    without_headline,
    without_teasers,
)

BODY = "<p>" + "The council closed the old bridge for repairs on Tuesday. " * 5 + "</p>"


def page(ld: object | list | None = None, meta: dict[str, str | list[str]] | None = None, h1: str | None = None,
         title: str | None = None):
    head = []
    for document in ld if isinstance(ld, list) else ([ld] if ld is not None else []):
        head.append(f'<script type="application/ld+json">{json.dumps(document)}</script>')
    for name, values in (meta or {}).items():
        for value in values if isinstance(values, list) else [values]:
            attribute = "property" if ":" in name else "name"
            head.append(f'<meta {attribute}="{name}" content="{value}">')
    if title:
        head.append(f"<title>{title}</title>")
    heading = f"<h1>{h1}</h1>" if h1 else ""
    return read_page(trafilatura.load_html(f"<html><head>{''.join(head)}</head><body>{heading}{BODY}</body></html>"))


def article(author: object, **more: object) -> dict:
    return {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "H", "author": author, **more}


@pytest.mark.parametrize(
    ("credit", "expected"),
    [
        ("By Jane Doe and John Smith", ("Jane Doe", "John Smith")),
        ("Jane Doe, John Smith & Ann Lee", ("Jane Doe", "John Smith", "Ann Lee")),
        ("Trine Juncher Jørgensen og Tôrtia Reimer-Johansen", ("Trine Juncher Jørgensen", "Tôrtia Reimer-Johansen")),
        ("Autor: Monika Bolliger", ("Monika Bolliger",)),
        ("Von: Bill MCCARTHY", ("Bill MCCARTHY",)),
        ("Mathias Hagen / Journalist", ("Mathias Hagen",)),
        ("신현주 기자", ("신현주",)),
        ("Elena Oberholzer (obe)", ("Elena Oberholzer",)),
        ("Jane Doe jane.doe@example.com @janedoe https://example.com/jane", ("Jane Doe",)),
        ("MTHOBISI SITHOLE", ("Mthobisi Sithole",)),
        ("chuck-ross", ("Chuck Ross",)),
        ("Capital von Jemima Kelly", ("Jemima Kelly",)),
        ("Ursula von der Leyen", ("Ursula von der Leyen",)),
        ("Di Maria", ("Di Maria",)),
        ("Miguel A. Herguedas", ("Miguel A. Herguedas",)),
        ("(Image: Getty Images/iStockphoto)", ()),
        ("Povilas Aleksandravičius, Mykolo Romerio universiteto Žmogaus ir visuomenės studijų fakulteto profesorius",
         ("Povilas Aleksandravičius",)),
        ("", ()),
    ],
)
def test_split_author_names(credit, expected):
    assert split_author_names(credit) == expected


@pytest.mark.parametrize(
    "credit, expected",
    [
        ("By " * 3000 + "John Smith", ("John Smith",)),
        ("Autor: " * 3000 + "Rossi", ("Rossi",)),
        ("By " * 3000 + "Di Maria", ("Di Maria",)),
        ("else { } " * 3000 + "von Jemima Kelly", ("Jemima Kelly",)),
        ("else { } " * 3000, ()),
    ],
)
def test_credits_of_thousands_of_words_read_as_short_ones(credit, expected):
    assert split_author_names(credit) == expected


def test_byline_prefixes_are_stepped_over_in_place():
    """`_clean_name` steps over a credit's prefixes by position instead of slicing each off, and
    reads the words after an inner "von" without copying the rest per word: a credit part of
    thousands of words (a script's text in a page's byline) costs one pass, not one per word."""
    assert metadata._PREFIX.match("x By John Smith", 2).group() == "By "


def test_json_ld_people_win_over_meta_and_trafilatura():
    meta = page(article([{"@type": "Person", "name": "Ralf Euler"}]), {"author": "Frankfurter Allgemeine Zeitung GmbH"})
    assert page_authors(meta, lambda: "Frankfurter Allgemeine Zeitung GmbH; Ralf Euler", "FAZ.NET", "faz.net") == ("Ralf Euler",)


def test_trafilaturas_author_is_not_asked_for_when_json_ld_names_a_person():
    def unasked() -> str:
        raise AssertionError("trafilatura's author was asked for")

    meta = page(article([{"@type": "Person", "name": "Ralf Euler"}]), {"author": "Frankfurter Allgemeine Zeitung GmbH"})
    assert page_authors(meta, unasked, "FAZ.NET", "faz.net") == ("Ralf Euler",)
    asked = []
    assert page_authors(page(None, {"author": "FAZ.NET"}), lambda: asked.append(1) or "Ralf Euler", "FAZ.NET", "faz.net") == (
        "Ralf Euler",
    )
    assert asked == [1]


def test_json_ld_person_references_are_resolved_through_the_graph():
    graph = {"@graph": [
        {"@type": "NewsArticle", "headline": "H", "author": {"@id": "https://x.com/#/person/1"}},
        {"@type": "Person", "@id": "https://x.com/#/person/1", "name": "Nikita Mazurov"},
    ]}
    assert page_authors(page(graph), lambda: None, None, "x.com") == ("Nikita Mazurov",)


def test_an_agency_stays_beside_the_people_and_the_publisher_goes():
    ld = article([{"@type": "Person", "name": "Paula Steiger"}, {"@type": "Organization", "name": "SDA"},
                  {"@type": "Organization", "name": "Tages-Anzeiger"}])
    meta = page(ld, {"og:site_name": "Tages-Anzeiger"})
    assert page_authors(meta, lambda: None, "Tages-Anzeiger", "tagesanzeiger.ch") == ("Paula Steiger", "SDA")


def test_nested_objects_do_not_lend_their_authors():
    ld = article([{"@type": "Person", "name": "Nina Magoley"}],
                 image={"@type": "ImageObject", "author": "WDR / picture alliance/dpa"})
    assert page_authors(page(ld), lambda: None, None, "wdr.de") == ("Nina Magoley",)


def test_meta_person_wins_over_the_publisher_and_a_url():
    meta = page(None, {"author": ["The Washington Times https://www.washingtontimes.com", "Tom Davies"],
                       "article:author": "https://www.facebook.com/x", "og:site_name": "The Washington Times"})
    assert page_authors(meta, lambda: None, "The Washington Times", "washingtontimes.com") == ("Tom Davies",)


def test_publisher_only_is_kept_as_the_author():
    ld = article({"@type": "Organization", "name": "ORF.at"})
    assert page_authors(page(ld, {"og:site_name": "news.ORF.at"}), lambda: "Red; ORF at; Agenturen", "news.ORF.at", "orf.at") == ("ORF.at",)
    assert page_authors(page(None, {"author": "Associated Press"}), lambda: None, None, "apnews.com") == ("Associated Press",)


def test_a_publisher_address_is_not_three_people():
    ld = article([{"@type": "NewsMediaOrganization", "name": "Redaktion hessenschau.de"}])
    meta = page(ld, {"author": "hessenschau.de, Frankfurt, Germany", "og:site_name": "hessenschau.de"})
    assert page_authors(meta, lambda: "Hessenschau De; Frankfurt; Germany", "hessenschau.de", "hessenschau.de") == (
        "Redaktion hessenschau.de",
    )


def test_a_credit_signed_with_the_site_address_is_the_publisher():
    meta = page(None, {"author": "Deutsche Welle (www.dw.com)"})
    assert page_authors(meta, lambda: None, None, "dw.com") == ("Deutsche Welle",)
    tree = trafilatura.load_html("<html><head><meta name='author' content='Deutsche Welle (www.dw.com)'></head><body>"
                                 f"<p><span class='author'>Roman Goncharenko</span></p>{BODY}</body></html>")
    assert markup_authors(("Deutsche Welle",), read_page(tree), tree, None, "dw.com") == ("Roman Goncharenko",)
    # A person's profile on the site is no signature.
    person = page(None, {"author": "Tom Davies https://www.dw.com/en/tom-davies/person-1"})
    assert page_authors(person, lambda: None, None, "dw.com") == ("Tom Davies",)


def test_the_site_administrator_account_is_no_author():
    # The publishing system's default user, credited in the JSON-LD and printed in the markup
    # (where trafilatura finds it): nobody is credited, so a bold byline over the text can be.
    ld = article({"@id": "https://ilanganews.co.za/author/admin/", "name": "Ilanga D"})
    meta = page(ld, {"og:site_name": "Ilanga News"})
    assert page_authors(meta, lambda: "Ilanga D", "Ilanga News", "ilanganews.co.za") == ()
    person = page(article({"@id": "https://ilanganews.co.za/author/thandi/", "name": "Thandi Dlamini"}))
    assert page_authors(person, lambda: None, "Ilanga News", "ilanganews.co.za") == ("Thandi Dlamini",)


def test_trafilatura_byline_when_nothing_else_names_a_person():
    assert page_authors(page(), lambda: "Jane Doe; John Smith", None, "example.com") == ("Jane Doe", "John Smith")
    assert page_authors(page(), lambda: None, None, "example.com") == ()


@pytest.mark.parametrize(
    ("title", "ld", "meta", "h1", "expected"),
    [
        ("Russia hits Kyiv - National", "Russia hits Kyiv", {}, None, "Russia hits Kyiv"),
        ("Vierschanzentournee | Skisprung-Zoff ums Material", None, {}, "Skisprung-Zoff ums Material",
         "Skisprung-Zoff ums Material"),
        # A search topic before a colon goes when a section follows the headline too.
        ("Infant Abandonment Cases In India: Newborns left in dustbins | Bhopal News", "Newborns left in dustbins",
         {}, None, "Newborns left in dustbins"),
        # A kicker before a colon belongs to the headline.
        ("Nationaler Veteranentag: Orden fürs Morden", "Orden fürs Morden", {}, None,
         "Nationaler Veteranentag: Orden fürs Morden"),
        # Nothing shows the addition: the title stays.
        ("Bridge closes for repairs - National", None, {"og:title": "Something else entirely"}, None,
         "Bridge closes for repairs - National"),
        (None, "Headline", {}, None, None),
    ],
)
def test_choose_title(title, ld, meta, h1, expected):
    document = {"@type": "NewsArticle", "headline": ld} if ld else None
    assert choose_title(title, page(document, meta, h1)) == expected


def test_json_ld_headline_wins_when_og_title_only_repeats_the_title():
    meta = page({"@type": "NewsArticle", "headline": "Kinder-Marathon: Eltern unerwünscht"},
                {"og:title": "Hamburg Marathon 2024: Sieger und Besuch"},
                title="Hamburg Marathon 2024: Sieger und Besuch | Hamburger Abendblatt")
    assert choose_title("Hamburg Marathon 2024: Sieger und Besuch", meta) == "Kinder-Marathon: Eltern unerwünscht"
    # The same words in other punctuation are one headline: nothing to choose.
    same = page({"@type": "NewsArticle", "headline": "R&uuml;ckbau - K&uuml;hlt&uuml;rme gesprengt"},
                {"og:title": "Rückbau: Kühltürme gesprengt"}, title="Rückbau: Kühltürme gesprengt")
    assert choose_title("Rückbau: Kühltürme gesprengt", same) == "Rückbau: Kühltürme gesprengt"


def test_json_ld_headline_wins_when_the_title_sides_with_it_and_the_h1_with_neither():
    headline = "Laos methanol poisonings: Holly Bowles becomes sixth to die as police detain hostel bosses"
    social = "Australian teenager becomes sixth to die in suspected Laos methanol poisoning"
    h1 = "Australian teenager becomes sixth to die in Laos ‘methanol poisoning’ as police detain hostel bosses"
    meta = page({"@type": "NewsArticle", "headline": headline}, {"og:title": social}, h1=h1,
                title=f"{headline} | The Independent")
    assert choose_title(social, meta) == headline
    # The <h1> siding with og:title keeps it.
    sides = page({"@type": "NewsArticle", "headline": headline}, {"og:title": social}, h1=social,
                 title=f"{headline} | The Independent")
    assert choose_title(social, sides) == social


def test_published_reads_the_json_ld_article():
    assert page(article("A", datePublished="2024-08-08T08:00Z")).published() == "2024-08-08T08:00Z"
    assert page(None).published() is None


@pytest.mark.parametrize(
    ("markup", "authors", "expected_authors", "dropped"),
    [
        # Only the publisher credited; a bold name over the text is the byline.
        ("<p><strong>Mohloai Mpesi</strong></p>", ("Lesotho Times",), ("Mohloai Mpesi",), True),
        ("<p><b>Jane Doe/John Smith</b></p>", (), ("Jane Doe", "John Smith"), True),
        # In plain type a name-like line is no byline: a section or a tag.
        ("<p>Middle East Crisis</p>", ("Lesotho Times",), ("Lesotho Times",), False),
        # The credited author printed under the text leaves the body, bold or not.
        ("<p>Jane Doe</p>", ("Jane Doe",), ("Jane Doe",), True),
        # A person already credited: a bold name is somebody quoted, not the byline.
        ("<p><strong>John Smith</strong></p>", ("Jane Doe",), ("Jane Doe",), False),
        # A sentence is not a name.
        ("<p><strong>Police said on Monday.</strong></p>", (), (), False),
    ],
)
def test_a_byline_paragraph_leaves_the_body(markup, authors, expected_authors, dropped):
    tree = trafilatura.load_html(f"<html><head><meta property='og:site_name' content='Lesotho Times'></head>"
                                 f"<body>{markup}{BODY}</body></html>")
    line = tree.find(".//p").text_content()
    text = BODY[3:-4].strip()
    paragraphs, got = body_byline((line, text), authors, read_page(tree), tree, "Lesotho Times", "lestimes.com")
    assert got == expected_authors
    assert paragraphs == ((text,) if dropped else (line, text))


LEAD = "Independent socialist Catherine Connolly is poised to become Ireland's next president."


@pytest.mark.parametrize(
    ("markup", "body", "expected"),
    [
        # Printed under the headline, outside the body's container: it opens the body.
        (f"<h1>H</h1><p class='hero__excerpt'>{LEAD}</p>", ("Body one.", "Body two."), (LEAD, "Body one.", "Body two.")),
        # Its text split by inline markup is still the description's.
        (f"<div class='lead'>Independent socialist <b>Catherine Connolly</b> is poised to become Ireland's next "
         "president.</div>", ("Body one.",), (LEAD, "Body one.")),
        # Already the body's opening: not twice.
        (f"<p>{LEAD}</p>", (LEAD, "Body one."), (LEAD, "Body one.")),
        # Only in the meta tags (a search snippet): not the article's text.
        ("<p>Something else entirely, of some length to be a paragraph.</p>", ("Body one.",), ("Body one.",)),
        # Part of a longer paragraph: not a lead of its own.
        (f"<p>{LEAD} And more words follow here.</p>", ("Body one.",), ("Body one.",)),
    ],
)
def test_a_lead_printed_apart_from_the_body_opens_it(markup, body, expected):
    tree = trafilatura.load_html(f"<html><head><meta property='og:description' content=\"{LEAD}\"></head>"
                                 f"<body>{markup}</body></html>")
    assert with_lead(body, tree, read_page(tree)) == expected


INTRO = "Europas Banken wollen beim Zahlungsverkehr unabhängiger von US-Firmen wie Paypal werden."


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        # The description is not printed, but a block under the headline is marked as the lead.
        (f"<div class='article__top'><h1>EPI</h1><div class='intro'><div class='intro__text'>{INTRO}</div></div></div>",
         (INTRO, "Body one.")),
        (f"<header><h1>EPI</h1><p class='_lead_16k26_2 bold'>{INTRO}</p></header>", (INTRO, "Body one.")),
        # Far from the headline (a paywall's "intro"), or a word that only contains "lead": no lead.
        ("<header><h1>EPI</h1></header><div><div><div><div class='identity-intro'><div><div><p class='identity-intro"
         "__description'>Subscribe now to read the latest news in your city and across Canada.</p></div></div></div>"
         f"</div></div></div>", ("Body one.",)),
        (f"<header><h1>EPI</h1><p class='leading-5'>{INTRO}</p></header>", ("Body one.",)),
    ],
)
def test_a_lead_marked_by_its_class_under_the_headline_opens_the_body(markup, expected):
    tree = trafilatura.load_html("<html><head><meta property='og:description' content='Mit EPI wollen Europas Banken "
                                 f"unabhängiger werden, sagt die Beschreibung.'></head><body>{markup}</body></html>")
    assert with_lead(("Body one.",), tree, read_page(tree)) == expected


@pytest.mark.parametrize(
    ("first", "dropped"),
    [
        ("Schlachtbetriebe Das harte Geschäft mit dem Tod", True),  # the <h1> with its kicker
        ("Das harte Geschäft mit dem Tod", True),  # a part of it, set apart
        ("Tod", False),  # too short to tell
        ("The council voted on Tuesday to close the old bridge.", False),
    ],
)
def test_a_headline_kept_in_the_body_leaves_it(first, dropped):
    meta = page(article("Jane Doe", headline="Das harte Geschäft mit dem Tod"), h1="Schlachtbetriebe Das harte Geschäft mit dem Tod")
    body = (first, "The second paragraph stays.")
    assert without_headline(body, meta, "Das harte Geschäft mit dem Tod") == (body[1:] if dropped else body)


@pytest.mark.parametrize(
    ("ld", "markup", "authors", "expected"),
    [
        # Only the publisher in the meta tags; the byline in the markup names the person.
        (None, "<div class='authorWrapper'><p class='author'>von <a href='mailto:d@mdr.de'>David Straub, "
         "MDR THÜRINGEN</a></p><p>Stand: 28. April 2023, 05:00 Uhr</p></div>", ("mdr.de",), ("David Straub",)),
        (None, "<p class='reader__meta-info'>von <a href='/autoren/name/max-kolter'>Dr. Max Kolter</a></p>",
         ("MDR",), ("Dr. Max Kolter",)),
        # The first byline names the publisher: a name further down (a teaser's) is not the article's.
        (None, "<span class='cm-author'>MDR</span><ul><li><span class='cm-author'>Anetta Mangxaba</span></li></ul>",
         ("MDR",), ("MDR",)),
        # The JSON-LD credits the publisher itself: the first byline of the markup, when it names
        # people, is more precise; when it names none, the credit stands.
        ({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "MDR"}},
         "<span class='article__author'>Von Seb Dumitru, Lille</span>", ("MDR",), ("Seb Dumitru",)),
        ({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "MDR"}},
         "<div class='article-author'>von APA</div><span class='byline'>Jane Doe</span>", ("MDR",), ("MDR",)),
        # ... but an organisation other than the publisher (an agency) is a credit of its own.
        ({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "dpa"}},
         "<span class='byline'>Jane Doe</span>", ("dpa",), ("dpa",)),
        # A person is credited already; an agency or a date is no person.
        (None, "<span class='byline'>John Smith</span>", ("Jane Doe",), ("Jane Doe",)),
        (None, "<div class='article-author'>von APA</div>", ("MDR",), ("MDR",)),
        (None, "<span class='byline'>03:07 Min.</span>", (), ()),
        # A label and the name, in a list of the article's facts.
        (None, "<ul><li><strong>Datum</strong> 28.04.2023</li><li><strong>Autorin/Autor</strong> Roman Goncharenko</li>"
         "</ul>", ("MDR",), ("Roman Goncharenko",)),
        # A byline word as a label before the people's links; a label before plain text is no byline.
        (None, "<ul><li>3 Minuten Lesezeit</li><li>Von: <span class='person-link'><a href='/bill-mccarthy'>Bill "
         " MCCARTHY</a>, </span><span class='person-link'><a href='/marisha-goldhamer'>Marisha GOLDHAMER</a></span>"
         "</li></ul>", (), ("Bill MCCARTHY", "Marisha GOLDHAMER")),
        (None, "<p>Von: Jane Doe</p>", (), ()),
        # A comment's author (a blog linking back) is not the article's.
        (None, "<ol><li><span class='comment-author-link'><a href='https://blog.example/x'>German Media Watch-Blog"
         "</a></span></li></ol>", (), ()),
        # An agency's credit, with or without a dateline, between the headline and the text.
        ({"@type": "NewsArticle", "author": {"@type": "Organization", "name": "MDR"}},
         "<h2>Manila accused Beijing</h2><ul><li><div class='name'>AFP, MANILA</div></li></ul>", ("MDR",), ("AFP",)),
        (None, "<p>Reuters / New Delhi</p>", (), ("Reuters",)),
        # "By" and the credit under the headline, people or initials; "By" opening anything else is none.
        (None, "<p class='text-sm'> By TPN, in <a href='/news/news'>News</a>, <a href='/news/portugal'>Portugal</a>"
         " &middot; <span>31 Jan 2025, 20:02</span></p>", (), ("TPN",)),
        (None, "<p>By the numbers</p><p>By 2030, half of it</p>", (), ()),
        (None, "<p>Photo: AFP</p><p>Reuters and AFP reported it first</p>", ("MDR",), ("MDR",)),
        # The editors' credit under a Chinese article; a sentence that mentions editors is none.
        (None, "<div class='edit cf'>(责编：牛镛、岳弘彬)</div>", (), ("牛镛", "岳弘彬")),
        (None, "<p>责编：这篇报道经过了三次修改才最终发表。</p>", (), ()),
    ],
)
def test_a_byline_in_the_markup_credits_the_person(ld, markup, authors, expected):
    head = f"<script type='application/ld+json'>{json.dumps(ld)}</script>" if ld else ""
    tree = trafilatura.load_html(f"<html><head>{head}<meta property='og:site_name' content='MDR'></head>"
                                 f"<body><h1>H</h1>{markup}{BODY}</body></html>")
    assert markup_authors(authors, read_page(tree), tree, "MDR", "mdr.de") == expected


TEASER = "An official said it is unclear if China would hold war games this year."


@pytest.mark.parametrize(
    ("markup", "body", "expected"),
    [
        # A teaser's summary set inside its link ("You might also like").
        (f"<div><h2>You might also like</h2><ul><li><a href='/a/1'><h3>Taiwan on alert</h3><p>{TEASER}</p></a></li>"
         "</ul></div>", ("Body one.", TEASER), ("Body one.",)),
        # Items of a list that are one link each: a related-story list; a list of facts stays.
        ("<ul><li><a href='/a/2'>Zum Artikel: Streik bei der Bahn</a></li></ul><ul><li>Fakt eins</li></ul>",
         ("Body one.", "- Zum Artikel: Streik bei der Bahn", "- Fakt eins"), ("Body one.", "- Fakt eins")),
        # A kicker before the link, a topic before two: still mostly links. An item mostly of
        # its own words stays.
        ("<ul><li><strong>KI in der Schule? </strong><a href='/a/3'>Wildberger warnt vor Verboten</a></li>"
         "<li>Dozimetr: <a href='/a/4'>Razie v Praze</a> | <a href='/a/5'>Razie v Říčanech</a></li>"
         "<li>Die Stadt sperrt die Brücke bis zum Sommer, sagt <a href='/p'>der Planer</a></li></ul>",
         ("Body one.", "- KI in der Schule? Wildberger warnt vor Verboten", "- Dozimetr: Razie v Praze | Razie v Říčanech",
          "- Die Stadt sperrt die Brücke bis zum Sommer, sagt der Planer"),
         ("Body one.", "- Die Stadt sperrt die Brücke bis zum Sommer, sagt der Planer")),
        # A caption in a figure (Kommersant's, Bild's video title) is not the running text.
        ("<figure><img src='p.jpg'><figcaption>Ожидание начала переговоров было полно напряжения</figcaption></figure>",
         ("Body one.", "Ожидание начала переговоров было полно напряжения"), ("Body one.",)),
        # A link inside a paragraph of the article does not make it a teaser.
        ("<p>The council <a href='/c'>voted</a> on Tuesday.</p>", ("The council voted on Tuesday.",),
         ("The council voted on Tuesday.",)),
        # Nothing left would mean the page is all links: the body stays as it was.
        (f"<a href='/a/1'><p>{TEASER}</p></a>", (TEASER,), (TEASER,)),
    ],
)
def test_paragraphs_set_inside_a_link_leave_the_body(markup, body, expected):
    tree = trafilatura.load_html(f"<html><body>{markup}</body></html>")
    assert without_teasers(body, tree) == expected


def test_no_combining_mark_is_a_letter_or_digit():
    # metadata._keys leaves accents out by keeping letters and digits only.
    assert not [c for c in map(chr, range(sys.maxunicode + 1)) if unicodedata.combining(c) and c.isalnum()]


def test_the_meta_headline_shows_a_section_and_site_name_joined_without_spaces():
    # Hankook Ilbo: og:title, twitter:title and <title> end with "-<section>ㅣ<site>" (a Hangul
    # letter as the bar), no JSON-LD headline, no <h1>; the head's <meta name="headline"> is the
    # headline alone.
    headline = "장동혁, 한동훈 제명했지만… &#x27;윤 어게인&#x27; 절연 ·외연 확장 부담 커졌다"
    social = f"{headline}-정치ㅣ한국일보"
    meta = page(None, {"headline": headline, "og:title": social, "twitter:title": social, "og:site_name": "한국일보"},
                title=social)
    assert choose_title(social.replace("&#x27;", "'"), meta) == "장동혁, 한동훈 제명했지만… '윤 어게인' 절연 ·외연 확장 부담 커졌다"
    # A meta headline that the title does not extend (a teaser's microdata) is not taken.
    teaser = page(None, {"headline": "Geingob laid to rest in Windhoek", "og:title": "Nam, SA pipeline flagged - The Namibian"})
    assert choose_title("Nam, SA pipeline flagged - The Namibian", teaser) == "Nam, SA pipeline flagged - The Namibian"


def test_two_kickers_before_one_headline_leave_the_headline():
    # SRF: og:title and the <h1> set different kickers before the same quote; the quote is the
    # headline.
    quote = "«Die israelische Zurückhaltung hat viel mit den USA zu tun»"
    social = f"Iranischer Angriff auf Israel: {quote}"
    meta = page(None, {"og:title": social, "twitter:title": social}, h1=f"Eskalation im Nahen Osten - {quote}",
                title=f"{social} - News - SRF")
    assert choose_title(social, meta) == quote
    # One kicker set off by a dash in one and a colon in the other is no choice: it stays.
    same = page(None, {"og:title": "Rückbau von Atomkraftwerk: Kühltürme von AKW Gundremmingen gesprengt"},
                h1="Rückbau von Atomkraftwerk - Kühltürme von AKW Gundremmingen gesprengt")
    assert choose_title("Rückbau von Atomkraftwerk: Kühltürme von AKW Gundremmingen gesprengt", same) == (
        "Rückbau von Atomkraftwerk: Kühltürme von AKW Gundremmingen gesprengt")
    # Two headlines that end with one site name share only the name.
    for site_name in ({}, {"og:site_name": "Die Neue Südtiroler Tageszeitung"}):
        site = page(None, {"og:title": "Neu: Brücke eröffnet - Die Neue Südtiroler Tageszeitung", **site_name},
                    title="Brücke: Verkehr rollt wieder - Die Neue Südtiroler Tageszeitung")
        assert choose_title("Neu: Brücke eröffnet - Die Neue Südtiroler Tageszeitung", site) == (
            "Neu: Brücke eröffnet - Die Neue Südtiroler Tageszeitung")


def test_a_tail_the_json_ld_headline_and_og_title_both_carry_stays():
    # Habertürk: JSON-LD headline, og:title, twitter:title and <title> end with "- Güncel
    # haberler", the <h1> does not; the headline is what the page declares twice.
    full = "Türkiye'de orman yangınları! Yangınlarda son durum! - Güncel haberler"
    meta = page({"@type": "NewsArticle", "headline": full}, {"og:title": full, "twitter:title": full},
                h1="Türkiye'de orman yangınları! Yangınlarda son durum!", title=full)
    assert choose_title(full, meta) == full
    # Said by og:title alone, the tail is an addition the <h1> shows.
    alone = page({"@type": "NewsArticle", "headline": "Türkiye'de orman yangınları! Yangınlarda son durum!"},
                 {"og:title": full}, h1="Türkiye'de orman yangınları! Yangınlarda son durum!", title=full)
    assert choose_title(full, alone) == "Türkiye'de orman yangınları! Yangınlarda son durum!"


def test_a_title_worded_unlike_both_leaves_the_choice_to_the_h1_and_twitter_title():
    # Rzeczpospolita: the <title> is a third wording; the <h1> and twitter:title say the JSON-LD
    # headline, og:title stands alone.
    headline = "Iran zrezygnował z drugiej rundy rozmów z USA. Powodem „wygórowane żądania Waszyngtonu”"
    social = "Koniec negocjacji USA-Iran? Teheran stawia sprawę jasno"
    third = "Iran odmawia udziału w drugiej rundzie rozmów z USA. Teheran podał powód - rp.pl"
    meta = page({"@type": "NewsArticle", "headline": headline}, {"og:title": social, "twitter:title": headline},
                h1=headline, title=third)
    assert choose_title(social, meta) == headline
    # Express: the <h1> with the JSON-LD headline, twitter:title with og:title: og:title stays.
    split = page({"@type": "NewsArticle", "headline": headline}, {"og:title": social, "twitter:title": social},
                 h1=headline, title=third)
    assert choose_title(social, split) == social


#: The byline elements as an XPath (what `_byline_elements` walks for): the reference.
_BYLINE_XPATH = (
    "//body//*[@rel='author' or @itemprop='author' or contains(@class, 'author') or contains(@class, 'Author')"
    " or contains(@class, 'byline') or contains(@class, 'Byline') or contains(@class, 'autor')"
    " or contains(@href, '/author/') or contains(@href, '/autor')"
    " or ((self::li or self::p or self::dd or self::div) and *[1][self::strong or self::b or self::span]"
    "[starts-with(normalize-space(), 'Autor') or starts-with(normalize-space(), 'Author')"
    " or starts-with(normalize-space(), 'Auteur')])"
    " or ((self::li or self::p or self::div) and .//a and ({labels}))]"
    "[not(ancestor::script or ancestor::style or ancestor::head or contains(@class, 'comment'))]"
)
_BYLINE_CASES = (
    "<div>\n\t Von: <a href='x'>A B</a></div><p> By:<a>x</a></p><li><!--c-->Di:<a/></li><li><!-- Von: -->x<a/></li>",
    "<div> Autorin <a/></div><div>Autorin:<span/><a/></div><div>Au<b>tor:</b> <a/></div><div>Von: no link</div>",
    "<script><div>Von: <a/></div></script><style><p class='author'>x</p></style><div class='comment'>Von: <a/></div>",
    "<dd><b>Autor</b> x</dd><dd>Von: <a/></dd><div><span> Author x</span><a/></div><div><i>Author</i></div>",
    "<p>Par\u00a0: <a/></p><p>\u00a0Von: <a/></p><div class='x-Byline'>y</div><a href='/autoren/z'>z</a>",
    "<span rel='author'>a</span><span itemprop='author'>b</span><span itemprop='author name'>c</span>",
    "<div><div><div>By: <a>x</a></div></div></div><p><strong></strong><b>Autor</b></p><p><?pi x?><b>Autor</b></p>",
)


@pytest.mark.parametrize(("body", "count"), list(zip(_BYLINE_CASES, (3, 2, 0, 2, 2, 2, 4))))
def test_byline_elements_are_the_xpaths(body, count):
    """Comments before a label, labels split over elements, no-break spaces (not XPath's
    whitespace), elements within <script>, first children of each kind: the walk finds what the
    expression finds, in the same order."""
    import lxml.etree

    from processors.metadata import _BYLINE_LABELS, _byline_elements

    reference = lxml.etree.XPath(
        _BYLINE_XPATH.format(labels=" or ".join(f"starts-with(normalize-space(), '{label}')" for label in _BYLINE_LABELS))
    )
    tree = trafilatura.load_html(f"<html><head><title>t</title></head><body>{body}{BODY}</body></html>")
    found = list(_byline_elements(tree))
    assert found == reference(tree)
    assert len(found) == count
