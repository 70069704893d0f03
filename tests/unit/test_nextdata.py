"""A Next.js page whose article HTML is only in its flight data (`self.__next_f.push` scripts):
the text row is found across chunks and lines, by its length in UTF-8 bytes, and the cleaner
takes the body from it when the page's markup holds none."""

from __future__ import annotations

import json

import lxml.html

from processors import nextdata
from processors.cleaning import clean
from processors.options import StageOptions
from schemas.models import RawArticle

PARAGRAPHS = [
    "장동혁 대표가 당권을 위협하던 전 대표를 제명했지만, 어깨는 한층 무거워졌다. 넉 달가량 남은 지방선거가 시험대다.",
    "국민의힘은 조만간 인재영입위원회를 발족하는 등 당을 지방선거 체제로 조속히 전환할 방침이다.",
    "A paragraph in another script, so that the row's length counts bytes of both: 1, 2, 3.",
]
FRAGMENT = (
    f'<p class="editor-p">{PARAGRAPHS[0]}</p>$$ARTICLEAD$$\n<p class="editor-p">{PARAGRAPHS[1]}</p>'
    f"<p>{PARAGRAPHS[2]}</p>"
)


def page(fragment: str = FRAGMENT) -> str:
    encoded = fragment.encode("utf-8")
    payload = f'1:I[123,[],"Layout"]\n2:T{len(encoded):x},{fragment}3:["$","div",null,{{"children":"$2"}}]\n'
    cut = len(payload) // 2  # the row spans two pushes
    scripts = "".join(
        f"<script>self.__next_f.push({json.dumps([1, chunk], ensure_ascii=False)})</script>"
        for chunk in (payload[:cut], payload[cut:])
    )
    return (
        "<html><head><title>장동혁, 한동훈 제명했지만 - 한국일보</title></head>"
        f'<body><div id="root"><nav><a href="/">Home</a></nav></div>{scripts}</body></html>'
    )


def test_the_longest_html_text_row_is_the_article_placeholders_removed():
    html = nextdata.article_html(lxml.html.fromstring(page()))
    assert html == FRAGMENT.replace("$$ARTICLEAD$$", "")
    assert nextdata.article_html(lxml.html.fromstring("<html><body><p>No flight data.</p></body></html>")) is None


def test_a_page_with_its_body_only_in_the_flight_data_is_cleaned_from_it():
    article = clean(RawArticle(url="https://news.example.kr/article/1", fetched_at="2024-05-03T08:00:00Z",
                               html=page()), StageOptions())
    assert [p for p in article.paragraphs if p in PARAGRAPHS] == PARAGRAPHS
    assert not any("ARTICLEAD" in p for p in article.paragraphs)
