"""Tag stripping for trafilatura: the same text through lxml's API, one text node per run."""

from __future__ import annotations

from lxml import etree, html
from trafilatura import main_extractor

from processors import text_nodes
from processors.cleaning import clean
from processors.options import StageOptions
from schemas.models import RawArticle

SPANNED = "<html><body><article><p>" + "".join(f"<span>word{i}</span> " for i in range(3000)) + "</p></article></body></html>"


def test_stripped_tags_leave_the_same_text_in_one_node_per_run():
    ours, theirs = html.fromstring(SPANNED), html.fromstring(SPANNED)
    text_nodes.strip_tags(ours, "span")
    etree.strip_tags(theirs, "span")
    assert etree.tostring(ours) == etree.tostring(theirs)
    # what XPath walks: 6,000 text nodes after lxml's own strip_tags, one after ours
    assert len(theirs.xpath("//p/text()")) == 6000
    assert ours.xpath("//p/text()") == [" ".join(f"word{i}" for i in range(3000)) + " "]


def test_text_and_tails_around_comments_and_nested_tags_are_kept():
    source = "<div>a<b>b<i>c</i>d</b>e<!-- note -->f<b>g</b>h<p>i<b>j</b>k</p>l</div>"
    ours, theirs = html.fromstring(source), html.fromstring(source)
    text_nodes.strip_tags(ours, "b")
    etree.strip_tags(theirs, "b")
    assert etree.tostring(ours) == etree.tostring(theirs) == b"<div>ab<i>c</i>de<!-- note -->fgh<p>ijk</p>l</div>"
    assert [len(e.xpath("text()")) for e in ours.iter("div", "i", "p")] == [4, 1, 1]  # "ab", "de", "fgh", "l"


def test_trafilatura_strips_tags_with_it_and_a_spanned_paragraph_is_read_whole():
    assert main_extractor.strip_tags is text_nodes.strip_tags
    raw = RawArticle(url="https://news.example.com/a", fetched_at="2024-05-03T10:00:00Z", html=SPANNED)
    article = clean(raw, StageOptions())
    assert " ".join(article.paragraphs).split() == [f"word{i}" for i in range(3000)]
