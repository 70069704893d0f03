"""Entities: merging a recogniser's mentions (with a fake recogniser), the stage's wiring, and
the real spaCy model on the seed article."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from processors.cleaning import clean
from processors.entities import find_entities, merge_mentions, model_input, strip_title
from processors.enrichment import enrich
from processors.extraction import extract
from processors.options import StageOptions
from schemas.models import CleanedArticle, Entities, PageHints, Quote, RawArticle
from streams.entities_model import SpacyRecogniser, recogniser
from streams.settings import Settings, SettingsError

DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass
class FakeRecogniser:
    """Answers the same mentions for any text, and remembers the texts it was given."""

    mentions: list[tuple[str, str]]
    languages: frozenset[str] = frozenset({"en"})
    seen: list[str] = field(default_factory=list)

    def recognise(self, text: str) -> list[tuple[str, str]]:
        self.seen.append(text)
        return self.mentions

    def recognise_many(self, texts: list[str]) -> list[list[tuple[str, str]]]:
        return [self.recognise(text) for text in texts]


# --- merging -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mentions", "expected"),
    [
        # a title and a surname are the fullest form's person
        ([("person", "Steve Warren"), ("person", "Colonel Warren"), ("person", "Warren")],
         Entities(people=("Steve Warren",))),
        # the short form may come first; the fullest form is kept all the same
        ([("person", "Warren"), ("person", "Steve Warren")], Entities(people=("Steve Warren",))),
        # a lone given name is the one person who has it; a surname put first too
        ([("person", "Tessa"), ("person", "Tessa Bishop"), ("person", "Abby Dunn")],
         Entities(people=("Tessa Bishop", "Abby Dunn"))),
        ([("person", "Lin Jian"), ("person", "Lin")], Entities(people=("Lin Jian",))),
        # a title that is not the name, and a span that stopped inside a parenthesis
        ([("person", "Adv Mokitimi Tšosane"), ("person", "Datuk Seri Anwar Ibrahim")],
         Entities(people=("Mokitimi Tšosane", "Anwar Ibrahim"))),
        ([("person", "Datuk Seri"), ("person", "the President")], Entities()),
        ([("organization", "National University of Lesotho (NUL")],
         Entities(organizations=("National University of Lesotho",))),
        # a surname shared by two people is neither's
        ([("person", "Steve Warren"), ("person", "Elizabeth Warren"), ("person", "Warren")],
         Entities(people=("Steve Warren", "Elizabeth Warren", "Warren"))),
        # an organisation named like a person's surname is that person
        ([("person", "Brett McGurk"), ("organization", "McGurk")], Entities(people=("Brett McGurk",))),
        # "the", possessives and case variants are one name; most mentioned first
        ([("organization", "Reuters"), ("organization", "Islamic State’s"), ("organization", "the Islamic State"),
          ("organization", "ISLAMIC STATE")],
         Entities(organizations=("Islamic State", "Reuters"))),
        # a lone last word of one longer organisation name is that organisation
        ([("organization", "Islamic State"), ("organization", "State")], Entities(organizations=("Islamic State",))),
        # initials, dotted or not, are the longer name of the same kind
        ([("place", "US"), ("place", "The United States"), ("place", "U.S."), ("place", "Libya")],
         Entities(places=("United States", "Libya"))),
        ([("organization", "UN"), ("organization", "United Nations")], Entities(organizations=("United Nations",))),
        # "A/B" is two names
        ([("organization", "ISIS/ISIL")], Entities(organizations=("ISIS", "ISIL"))),
        # an organisation "in" a place gives both
        ([("organization", "the Bardo Museum in Tunis")],
         Entities(organizations=("Bardo Museum",), places=("Tunis",))),
        # a name labelled two ways gets the label it got most
        ([("place", "Washington"), ("person", "Washington"), ("place", "Washington")], Entities(places=("Washington",))),
        # page furniture the model took for a name, and empty spans, are dropped
        ([("organization", "chevron"), ("place", "“”"), ("person", "  ")], Entities()),
        # names keep the abbreviation's dot, and are read in Unicode
        ([("organization", "Acme Corp."), ("person", "Zoë  Ångström")],
         Entities(people=("Zoë Ångström",), organizations=("Acme Corp.",))),
        # a person named like a company or a product is an organisation, an organisation named
        # like a river a place, unless its last word names an organisation
        ([("person", "Chunghwa Telecom"), ("person", "Uber Eats"), ("person", "Lin Chia-lung")],
         Entities(people=("Lin Chia-lung",), organizations=("Chunghwa Telecom", "Uber Eats"))),
        # ... as the model names them on the dev pages (Mirror, Telegraph, Euronews, Daily Maverick,
        # The Nation): a company, a club, a paper, a product with its model number, a union's local
        ([("person", "Wren Kitchens"), ("person", "Manchester United"), ("person", "Dagens Nyheter"),
          ("person", "Daily Maverick"), ("person", "John Lewis 3-Tier Heated Indoor Clothes Airer"),
          ("person", "Local 90"), ("person", "Radek Babicek")],
         Entities(people=("Radek Babicek",), organizations=(
             "Wren Kitchens", "Manchester United", "Dagens Nyheter", "Daily Maverick",
             "John Lewis 3-Tier Heated Indoor Clothes Airer", "Local 90"))),
        # one-word companies and products the model calls people on the dev pages (Malay Mail,
        # TechCrunch, TechRadar, Reuters, Nature): a known name, one written as no name is, one
        # the article also names with its legal form; a given name and surnames stay people
        ([("person", "Petronas"), ("person", "Flydubai"), ("person", "OpenAI"), ("person", "DonNU"),
          ("person", "eSIM"),
          ("person", "Kortex"), ("organization", "Kortex Inc."), ("person", "DeSantis"), ("person", "McGurk"),
          ("person", "Ronnie"), ("person", "McCAIN"), ("person", "MacDONALD"), ("person", "DeWINE"),
          ("person", "FitzGERALD"), ("person", "VanDYKE"), ("person", "deVOS")],
         Entities(people=("DeSantis", "McGurk", "Ronnie", "McCAIN", "MacDONALD", "DeWINE", "FitzGERALD", "VanDYKE",
                          "deVOS"),
                  organizations=("Petronas", "Flydubai", "OpenAI", "DonNU", "eSIM", "Kortex", "Kortex Inc."))),
        # ... but not a person's surname, whose company the article names too
        ([("person", "Michael Dell"), ("person", "Dell"), ("organization", "Dell Inc")],
         Entities(people=("Michael Dell",), organizations=("Dell Inc",))),
        # ... nor a person of two words named like their company
        ([("person", "Ralph Lauren"), ("organization", "Ralph Lauren Corp"), ("person", "Lauren")],
         Entities(people=("Ralph Lauren",), organizations=("Ralph Lauren Corp",))),
        ([("organization", "the Yangtze River"), ("organization", "Mekong River Commission"),
          ("organization", "Lake Constance")],
         Entities(organizations=("Mekong River Commission",), places=("Yangtze River", "Lake Constance"))),
        ([], Entities()),
    ],
)
def test_merge_mentions(mentions, expected):
    assert merge_mentions(mentions) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Colonel Warren", "Warren"), ("special envoy Brett McGurk", "Brett McGurk"), ("Dr. Jane Roe", "Jane Roe"),
     ("President", "President"), ("Vladimir Putin", "Vladimir Putin")],
)
def test_strip_title(name, expected):
    assert strip_title(name) == expected


# --- what the model sees -----------------------------------------------------------------------


def test_model_input_is_title_and_paragraphs_up_to_the_cap():
    paragraphs = ("alpha beta gamma", "delta epsilon zeta eta", "theta")
    assert model_input("Title", paragraphs, 1000) == "Title\n\nalpha beta gamma\n\ndelta epsilon zeta eta\n\ntheta"
    capped = model_input("Title", paragraphs, 30)
    assert capped == "Title\n\nalpha beta gamma\n\ndelta"
    assert len(capped) <= 30
    assert model_input(None, ("a" * 50,), 10) == "a" * 10
    assert model_input(None, (), 10) == ""


def test_find_entities_feeds_the_capped_text_once():
    fake = FakeRecogniser([("person", "Jane Roe")])
    paragraphs = tuple(f"Paragraph number {i} says something about Jane Roe." for i in range(100))
    assert find_entities("Headline", paragraphs, "en", fake, 200) == Entities(people=("Jane Roe",))
    assert len(fake.seen) == 1 and len(fake.seen[0]) <= 200 and fake.seen[0].startswith("Headline\n\n")


@pytest.mark.parametrize("language", ["de", "fr", None])
def test_no_entities_for_other_languages(language):
    fake = FakeRecogniser([("person", "Jane Roe")])
    assert find_entities("Titel", ("Ein Absatz.",), language, fake, 1000) == Entities()
    assert fake.seen == []


def test_no_entities_without_a_recogniser():
    assert find_entities("Title", ("Jane Roe said so.",), "en", None, 1000) == Entities()


# --- the stage ---------------------------------------------------------------------------------


def cleaned(paragraphs: tuple[str, ...], language: str | None = "en") -> CleanedArticle:
    return CleanedArticle(
        url="https://example.com/a", fetched_at="2024-05-03T10:00:00Z", source_format="text",
        paragraphs=paragraphs, hints=PageHints(title="Coalition says fighters move to Libya", language=language),
    )


def test_enrich_fills_entities_and_quotes_from_the_options_recogniser():
    fake = FakeRecogniser([("person", "Steve Warren"), ("person", "Warren"), ("place", "Libya")])
    options = StageOptions(entities=fake)
    article = enrich(extract(cleaned((
        "Steve Warren, the spokesman, spoke about Libya and the fighters who move there every week.",
        "“We believe this failure is due to several factors,” Colonel Warren said.",
    )), options), options)
    assert article.entities == Entities(people=("Steve Warren",), places=("Libya",))
    assert article.quotes == (Quote("We believe this failure is due to several factors", "Steve Warren"),)
    assert fake.seen[0].startswith("Coalition says fighters move to Libya\n\nSteve Warren")
    record = article.to_dict()
    assert record["quotes"] == [{"text": "We believe this failure is due to several factors", "speaker": "Steve Warren"}]
    assert type(article).from_dict(record) == article


# --- the shell's switch ------------------------------------------------------------------------


def test_entities_setting():
    assert isinstance(Settings.from_env({}).stage.entities, SpacyRecogniser)
    assert isinstance(Settings.from_env({"COPYDESK_ENTITIES": "on"}).stage.entities, SpacyRecogniser)
    assert Settings.from_env({"COPYDESK_ENTITIES": "off"}).stage.entities is None
    assert recogniser("false") is None
    with pytest.raises(SettingsError, match="COPYDESK_ENTITIES"):
        Settings.from_env({"COPYDESK_ENTITIES": "maybe"})


# --- the real model ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def spacy_recogniser() -> SpacyRecogniser:
    return SpacyRecogniser().load()


@pytest.fixture(scope="module")
def seed_article(spacy_recogniser):
    raw = RawArticle(url="https://www.rt.com/news/333587-isis-libya-recruitment/", fetched_at="2016-02-25T08:00:00Z",
                     text=(DATA / "seed.txt").read_text())
    options = StageOptions(entities=spacy_recogniser)
    return enrich(extract(clean(raw, options), options), options)


def test_spacy_finds_the_seed_entities(seed_article):
    entities = seed_article.entities
    assert {"Steve Warren", "Brett McGurk", "Vladimir Putin"} <= set(entities.people)
    assert {"Islamic State", "Reuters"} <= set(entities.organizations)
    assert {"Libya", "Syria", "Iraq", "Sabratha", "Tunis"} <= set(entities.places)
    # merged, not repeated under a shorter form
    assert not {"Warren", "Colonel Warren", "McGurk"} & set(entities.people)
    assert "State" not in entities.organizations
    for names in (entities.people, entities.organizations, entities.places):
        assert len({n.casefold() for n in names}) == len(names)


def test_spacy_seed_quotes_have_their_speakers(seed_article):
    speakers = [q.speaker for q in seed_article.quotes]
    assert speakers == [None, "Steve Warren", "Vladimir Putin"]
    assert seed_article.quotes[2].text.startswith("ISIS, Jabhat Al-Nursa, and other terrorist organizations")


def test_spacy_loads_only_ner(spacy_recogniser):
    from streams.entities_model import _pipeline

    assert _pipeline(spacy_recogniser.package).pipe_names == ["ner"]


def test_spacy_vocabulary_does_not_grow_with_new_words(spacy_recogniser):
    from streams.entities_model import _pipeline

    strings = _pipeline(spacy_recogniser.package).vocab.strings
    spacy_recogniser.recognise("Warmup text about Libya.")
    before = len(strings)
    mentions = spacy_recogniser.recognise("Qwzxlorp Vrandtikus met Zyxwobble Frampington in Kvortleby yesterday.")
    assert mentions  # the model did read the text
    assert len(strings) == before


def test_spacy_companies_and_products_are_not_people(spacy_recogniser):
    # A Taipei Times business story: the model tags "Chunghwa Telecom" and "Uber Eats" as people.
    paragraphs = (
        "Uber Eats said on Monday that it would stop deliveries in Taipei, after Chunghwa Telecom cut the "
        "prices of its mobile plans. Foodpanda and Uber Eats together hold most of the market, said Lin "
        "Chia-lung, the minister.",
    )
    entities = find_entities(None, paragraphs, "en", spacy_recogniser, 10_000)
    assert {"Chunghwa Telecom", "Uber Eats"} <= set(entities.organizations)
    assert not {"Chunghwa Telecom", "Uber Eats"} & set(entities.people)
    assert "Lin Chia-lung" in entities.people


def test_spacy_one_word_companies_are_not_people(spacy_recogniser):
    # Malay Mail, TechCrunch, TechRadar: the model tags Petronas, Strava and OpenAI as people
    paragraphs = (
        "The minister invited companies such as Petronas, Proton and others to take part. Strava on Thursday "
        "announced new features. OpenAI said it would open an office in Tokyo, said Anwar Ibrahim.",
    )
    entities = find_entities(None, paragraphs, "en", spacy_recogniser, 10_000)
    assert {"Petronas", "Strava", "OpenAI"} <= set(entities.organizations)
    assert entities.people == ("Anwar Ibrahim",)


def test_a_mention_with_nothing_left_once_cleaned_is_dropped():
    # an organisation whose span is only punctuation (seen on an HTML page sent as page text)
    assert merge_mentions([("organization", "“ ”"), ("organization", "Reuters")]) == Entities(organizations=("Reuters",))


@pytest.mark.parametrize(
    ("package", "says"),
    [
        ("no_such_model", "no spaCy pipeline package 'no_such_model' is installed"),
        ("no_such_package.model", "no spaCy pipeline package 'no_such_package.model' is installed"),
        ("spacy", "'spacy' is a Python module but no spaCy pipeline package"),
        ("json", "'json' is a Python module but no spaCy pipeline package"),
    ],
)
def test_a_model_setting_that_names_no_pipeline_is_a_settings_error(package, says):
    from streams.settings import SettingsError

    with pytest.raises(SettingsError, match=re.escape(says)):
        SpacyRecogniser(package).load()
