"""Quotes: tables of paragraphs, the article's people, and the quotes expected from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from processors.quotes import find_quotes, speaker_of
from schemas.models import Quote

DATA = Path(__file__).resolve().parents[1] / "data"
WARREN = ("Steve Warren", "Brett McGurk", "Vladimir Putin")


@pytest.mark.parametrize(
    ("paragraph", "people", "expected"),
    [
        # "X said" after the quote; a title and a surname resolve to the full name
        ("“We believe this failure is due to several factors,” Colonel Warren said.", WARREN,
         [Quote("We believe this failure is due to several factors", "Steve Warren")]),
        # "said X", with the attribution going on after the name
        ('"It will go on for years," said Steve Warren, the spokesman.', WARREN,
         [Quote("It will go on for years", "Steve Warren")]),
        # "X told ...", a title between the verb and nothing: the name before the verb
        ("“Washington will not hesitate to step in,” special envoy Brett McGurk told reporters.", WARREN,
         [Quote("Washington will not hesitate to step in", "Brett McGurk")]),
        # the speaker before the quote, German quote marks
        ("McGurk sagte nichts, aber McGurk said: „Das ist ein langer Satz hier.“", WARREN,
         [Quote("Das ist ein langer Satz hier.", "Brett McGurk")]),
        # "according to X", a source that is not one of the people
        ("According to Reuters, “the number is in the low thousands.”", WARREN,
         [Quote("the number is in the low thousands.", "Reuters")]),
        # a named speaker the entities missed keeps the name the text gives, without title
        ("“Strikes against them will continue,” President Vladimir Putin said Monday.", (),
         [Quote("Strikes against them will continue", "Vladimir Putin")]),
        ("“The talks will resume in March,” Minister Lavrov said.", (),
         [Quote("The talks will resume in March", "Lavrov")]),
        # a pronoun, an unnamed source, no attribution: no speaker
        ("“We are ready for this,” he said.", WARREN, [Quote("We are ready for this", None)]),
        ("“It is less than 5,000,” Reuters cited a US government source as saying.", WARREN,
         [Quote("It is less than 5,000", None)]),
        ("The ceasefire starts on Saturday. “Nobody knows how long it lasts.”", WARREN,
         [Quote("Nobody knows how long it lasts.", None)]),
        # the attribution of the next sentence is not this quote's
        ("“This is the first sentence here.” Then Putin said something else.", WARREN,
         [Quote("This is the first sentence here.", None)]),
        # the one asked is not the speaker
        ("During the session, Putin was asked, “Do you feel any guilt?”", WARREN,
         [Quote("Do you feel any guilt?", None)]),
        ("“Do you feel any guilt?” Putin asked.", WARREN, [Quote("Do you feel any guilt?", "Vladimir Putin")]),
        # a given name the attribution uses alone is the one person who has it
        ("“Always book on a Tuesday, it is cheaper,” Tessa said.", ("Tessa Bishop", "Abby Dunn"),
         [Quote("Always book on a Tuesday, it is cheaper", "Tessa Bishop")]),
        # a surname two people share names neither of them
        ("“Both of us said it,” Warren said.", ("Steve Warren", "Elizabeth Warren"),
         [Quote("Both of us said it", "Warren")]),
        # scare quotes and short phrases are not statements; an unclosed quote is not a quote
        ("The US is ready for all kinds of “contingencies” during the “attempted armistice”.", WARREN, []),
        ("“This quote never ends and goes on", WARREN, []),
        # French and German marks; the verbs are English, so no speaker
        ("« Nous allons gagner cette guerre », a dit Macron.", (), [Quote("Nous allons gagner cette guerre", None)]),
        ("»Wir schaffen das schon«, sagte Merkel.", (), [Quote("Wir schaffen das schon", None)]),
        # two quotes in one paragraph, each with its own attribution
        ("“First one is here,” Putin said. “Second one is there,” McGurk added.", WARREN,
         [Quote("First one is here", "Vladimir Putin"), Quote("Second one is there", "Brett McGurk")]),
        # a quote with no attribution right after a speaker's goes on in that speaker's words
        ("“We will not give up,” Colonel Warren said. “The fight goes on in Libya and Syria.”", WARREN,
         [Quote("We will not give up", "Steve Warren"), Quote("The fight goes on in Libya and Syria.", "Steve Warren")]),
        # ... but not one with an attribution of its own, even an unnamed one
        ("“We will not give up,” Colonel Warren said. “That is not true at all,” a diplomat said.", WARREN,
         [Quote("We will not give up", "Steve Warren"), Quote("That is not true at all", None)]),
        # ... nor one far from it
        ("“We will not give up,” Colonel Warren said on Monday in a long briefing that covered the "
         "coalition's plans for the coming months in detail. “Nobody knows how long it lasts.”", WARREN,
         [Quote("We will not give up", "Steve Warren"), Quote("Nobody knows how long it lasts.", None)]),
        # fragments: a phrase quoted inside a sentence, a title in Title Case
        ("Warren called the plan “a slap in the face” for the fighters in the north.", WARREN, []),
        ("Swift called “The Tortured Poets Department” her best album.", (), []),
    ],
)
def test_find_quotes(paragraph, people, expected):
    assert list(find_quotes((paragraph,), people)) == expected


def test_a_paragraph_opening_with_a_quote_goes_on_in_the_last_speakers_words():
    paragraphs = (
        "“The talks were hard, but we reached a deal,” McGurk told reporters.",
        "“Both sides will now have to keep their word.”",
        "The deal was signed on Tuesday. “It is a good day,” a diplomat said.",
        "“Nobody expected this outcome at all.”",
    )
    assert [q.speaker for q in find_quotes(paragraphs, WARREN)] == ["Brett McGurk", "Brett McGurk", None, None]


def test_quotes_do_not_span_paragraphs():
    assert find_quotes(("“An opening mark in one paragraph", "and a closing one in the next,” Putin said."), WARREN) == ()


@pytest.mark.parametrize(
    ("clause", "expected"),
    [(", Colonel Warren said", "Steve Warren"), (" said the spokesman", None), (", he told reporters", None),
     ("Putin has said", "Vladimir Putin"), (" Monday, the Kremlin", None)],
)
def test_speaker_of(clause, expected):
    assert speaker_of(clause, WARREN) == expected


def test_seed_quotes():
    paragraphs = [p.strip() for p in (DATA / "seed.txt").read_text().split("\n") if p.strip()]
    quotes = find_quotes(paragraphs, WARREN)
    assert [q.speaker for q in quotes] == [None, "Steve Warren", "Vladimir Putin"]
    assert quotes[0].text.startswith("The United States estimates that the number of militants")
    assert quotes[0].text.endswith("or less than 5,000")


def test_quotes_per_article_are_capped():
    from processors.quotes import MAX_QUOTES

    paragraphs = [f"“Statement number {i} is here,” Putin said." for i in range(MAX_QUOTES + 50)]
    quotes = find_quotes(paragraphs, WARREN)
    assert len(quotes) == MAX_QUOTES
    assert quotes[-1] == Quote(f"Statement number {MAX_QUOTES - 1} is here", "Vladimir Putin")


# --- from the dev pages (Financial Post, The Intercept, CBC, Associated Press) ---------------------


def test_a_quote_a_pronoun_attributes_is_the_words_of_the_person_the_story_was_about():
    # Financial Post: "he said" after a paragraph about Watt, three paragraphs after Bernard's quote
    paragraphs = (
        "“The employment situation showed a nice rebound in May, reversing a weak start to the year,” said Bernard.",
        "David Watt of Rosenberg Research & Associates Inc. said that beyond the optimistic headlines, the economy is "
        "barely scraping by.",
        "Watt doesn’t think those challenges are gone, and, given the saw-tooth pattern of data from the May report, "
        "expects the June jobs numbers might tell a different story.",
        "“This is not the backdrop for a central bank to even consider raising rates,” he said. “Instead, it suggests "
        "keeping open the option that they might need to ease.”",
    )
    quotes = find_quotes(paragraphs, ("Brendon Bernard", "David Watt", "May"))
    assert [q.speaker for q in quotes] == ["Brendon Bernard", "David Watt", "David Watt"]


def test_a_pronouns_person_is_the_one_the_sentence_before_has_speak():
    # The Intercept: the sentence names Zephyr first, and has Medrano speak
    paragraphs = (
        "Among Zephyr’s constituents, a combination of frustration, fear, and outrage had been building from the "
        "moment the legislative session began, Medrano said; the protest was a form of release.",
        "“I think that all sort of came out,” he said.",
    )
    assert find_quotes(paragraphs, ("Zooey Zephyr", "Keegan Medrano")) == (
        Quote("I think that all sort of came out", "Keegan Medrano"),
    )


def test_no_person_named_before_a_pronoun_leaves_its_quote_without_speaker():
    paragraphs = ("The minister left the room without a word.", "“We will not comment on this,” she said.")
    assert find_quotes(paragraphs, ("Steve Warren",)) == (Quote("We will not comment on this", None),)


def test_the_speaker_is_the_name_next_to_the_verb_not_the_one_told():
    # CBC: "Abu Anas Al Saud told El Saife"
    paragraph = ("\"Choosing him from the stance of Palestine is a good choice,\" Abu Anas Al Saud told El Saife. "
                 "\"We need someone to defend the land that was stolen.\"")
    quotes = find_quotes((paragraph,), ("Mohamed El Saife", "Abu Anas Al Saud", "Yahya Sinwar"))
    assert [q.speaker for q in quotes] == ["Abu Anas Al Saud", "Abu Anas Al Saud"]


@pytest.mark.parametrize(
    "paragraph",
    [
        # CBC, Taipei Times, Business Insider: a phrase quoted inside a sentence, its stop or comma
        # inside the closing mark
        "Jamil Al Saadouni, 58, told CBC freelance videographer Mohamed El Saife in Khan Younis that Sinwar's "
        "appointment was \"an internal decision.\"",
        "Sinwar \"is someone who grew up within the brigade and the militant terrorist wing of Hamas,\" said Levitt.",
        "Colonel Stuart Glenn said the drills were aimed at helping the US and its allies respond to “any crisis or "
        "contingencies.”",
    ],
)
def test_a_phrase_quoted_inside_a_sentence_is_no_quote(paragraph):
    assert find_quotes((paragraph,), ("Matthew Levitt", "Stuart Glenn")) == ()


def test_a_clause_quoted_after_that_is_a_quote():
    # The Telegraph
    paragraph = ("The letter also said that “there must be a full investigation into this scandal, given that this is "
                 "not the first instance of the Prime Minister failing to declare donations.”")
    assert len(find_quotes((paragraph,))) == 1


def test_the_name_after_the_verb_of_a_clause_leading_into_a_quote_is_the_one_spoken_of():
    # National Post: "He said Britain ... “...”" is Lammy's, not Britain's
    paragraphs = (
        "“The U.K. government is urging India and Pakistan to show restraint and engage in direct dialogue to find "
        "a swift, diplomatic path forward,” Foreign Secretary David Lammy said.",
        "He said Britain — which has millions of citizens of Indian or Pakistani heritage — “has close and unique "
        "relationships with both countries. I have made clear to my counterparts in India and Pakistan that if this "
        "escalates further, nobody wins.”",
    )
    assert [q.speaker for q in find_quotes(paragraphs, ("David Lammy", "Keir Starmer"))] == ["David Lammy", "David Lammy"]
    # ... but a verb opening the clause has its speaker after it
    assert find_quotes(("Said McGurk: “The talks will go on for years.”",), ()) == (
        Quote("The talks will go on for years.", "McGurk"),
    )


def test_a_pronouns_person_is_found_in_paragraphs_given_as_a_list():
    """`find_quotes` takes any sequence of paragraphs: a list as well as a tuple."""
    paragraphs = ["Steve Warren spoke to the council on Monday about the plan.", "“We will build it this year,” he said."]
    assert find_quotes(paragraphs, ("Steve Warren",)) == find_quotes(tuple(paragraphs), ("Steve Warren",)) == (
        Quote("We will build it this year", "Steve Warren"),
    )


# --- a pronoun's sex (Politico Europe, Rolling Stone, The Mirror, Daily Star) ---------------------


def test_she_said_is_not_given_to_a_man_named_after_her():
    # Politico Europe: the sentence before names Connolly, then Trump; "she" can only mean her
    paragraphs = (
        "At the final televised presidential debate Tuesday night, Connolly was asked how she would treat a visiting "
        "U.S. President Donald Trump.",
        "“Genocide was enabled and resourced by American money,” Connolly began, before being asked again if she would "
        "say this to Trump, who has a golf resort in Ireland.",
        "“If it’s just a meet and greet, then I will meet and greet. If the discussion is genocide, then that’s a "
        "completely different thing,” she said.",
    )
    assert find_quotes(paragraphs, ("Donald Trump", "Catherine Connolly"))[-1].speaker == "Catherine Connolly"


def test_she_added_is_the_words_of_the_woman_not_of_her_son():
    # Rolling Stone: "Travis Kelce's mom confirmed" names the son last, the mother is Donna Kelce
    paragraphs = (
        "Donna Kelce has praised the new album. Speaking at a summit in Las Vegas, Travis Kelce’s mom confirmed, "
        "“I listened to the whole album, and I listened to it all morning long when it was released.”",
        "She added, “I was just very impressed. She is a very talented woman, and I think it is her best work.”",
    )
    quotes = find_quotes(paragraphs, ("Travis Kelce", "Donna Kelce"))
    assert quotes[-1] == Quote("I was just very impressed. She is a very talented woman, and I think it is her best "
                               "work.", "Donna Kelce")


@pytest.mark.parametrize("pronoun, expected", [("she", "Casey Brown"), ("he", "Robin Fischer")])
def test_a_title_tells_whom_a_pronoun_can_mean(pronoun, expected):
    # The Nation: given names that tell nothing; "Mr Fischer" does
    paragraphs = (
        "Casey Brown, a driver, joined the union in March with Robin Fischer.",
        "Mr Fischer has driven for the depot since 2019.",
        f"“I was working three jobs at the time,” {pronoun} said.",
    )
    assert find_quotes(paragraphs, ("Robin Fischer", "Casey Brown"))[-1].speaker == expected


@pytest.mark.parametrize("lead, expected", [
    ("The role was written for an actress.", "Robin Hale"),  # the word ends a sentence: no title
    ("The role went to Ms. Hale.", "Casey Reid"),  # an abbreviated title
])
def test_only_an_abbreviated_title_may_end_in_a_dot(lead, expected):
    paragraphs = (f"{lead} Robin Hale directed the film with Casey Reid.", "“We shot it in nine days,” he said.")
    assert find_quotes(paragraphs, ("Robin Hale", "Casey Reid"))[-1].speaker == expected


@pytest.mark.parametrize("lead, expected", [
    ("Fans will miss Robin Hale, who left the club with Casey Reid.", "Robin Hale"),  # a verb
    ("Miss Hale left the club. Robin Hale trained with Casey Reid.", "Casey Reid"),  # a title
])
def test_miss_is_a_title_only_when_capitalised(lead, expected):
    assert find_quotes((lead, "“It was time to go,” he said."), ("Robin Hale", "Casey Reid"))[-1].speaker == expected


def test_an_earlier_pronoun_tells_whom_a_pronoun_can_mean():
    paragraphs = (
        "“We had no choice,” said Robin Fischer. “The rent doubled,” she said.",
        "Robin Fischer and Casey Brown met the union in March.",
        "“I was working three jobs at the time,” he said.",
    )
    quotes = find_quotes(paragraphs, ("Robin Fischer", "Casey Brown"))
    assert [q.speaker for q in quotes] == ["Robin Fischer", "Robin Fischer", "Casey Brown"]


def test_a_pronoun_no_named_person_can_mean_leaves_the_quote_without_speaker():
    # The Mirror: "She said:" after a paragraph about Gary Heidnik, his victim unnamed
    paragraphs = (
        "Heidnik’s reign of terror began in November 1986 when Gary Heidnik kidnapped his first known victim.",
        "He then took her down to his basement. She said: “I saw this big hole in the floor, and plastic bags full "
        "of dirt were stacked in the corner.”",
    )
    assert find_quotes(paragraphs, ("Gary Heidnik",))[-1].speaker is None


def test_the_pronoun_next_to_the_quote_is_the_one_that_speaks():
    # Daily Star: "She said he then announced: “...”" is his
    paragraphs = (
        "Lacerda said Jeffrey Epstein told her they would have a special day.",
        "She said he then announced: “My friend will be joining us today,” and alleges another adult entered.",
    )
    assert find_quotes(paragraphs, ("Jeffrey Epstein",))[-1].speaker == "Jeffrey Epstein"
