"""The article HTML that a Next.js page carries only in its React Server Components data.

A page of Next.js's app router renders in the browser from a payload that its scripts push,
`self.__next_f.push([1, "<chunk>"])`, each chunk a JSON string; joined, the chunks are the
flight payload, one row a line. A text row, `<id>:T<length>,<text>`, holds a long string whose
length is given in hexadecimal UTF-8 bytes (so it may span lines): a site whose component renders
the article's HTML in the browser (a client component) ships that HTML there and nowhere in the
page's markup, where an extractor finds no body. `article_html` returns the longest text row that
is an HTML fragment with paragraphs, for the cleaner to extract when the page itself gave it
nothing.
"""

from __future__ import annotations

import json
import re
from typing import Any

_PUSH = "self.__next_f.push("
_TEXT_ROW = re.compile(rb"(?m)^[0-9a-zA-Z]+:T([0-9a-fA-F]+),")
#: A placeholder that the site's script replaces in the browser (an advertisement's slot).
_PLACEHOLDER = re.compile(r"\$\$[A-Z0-9_]+\$\$")


def article_html(tree: Any) -> str | None:
    """The longest text row of the page's flight data (`tree`: the parsed page) that is an HTML
    fragment holding a paragraph, placeholders removed; None when the page has none."""
    fragments = [row for row in _text_rows(_payload(tree)) if row.lstrip().startswith("<") and "</p>" in row]
    return _PLACEHOLDER.sub("", max(fragments, key=len)) if fragments else None


def _payload(tree: Any) -> bytes:
    chunks = []
    for script in tree.iter("script"):
        text = (script.text or "").strip()
        if not text.startswith(_PUSH):
            continue
        try:
            item = json.loads(text[len(_PUSH) :].rstrip(";").removesuffix(")"))
        except ValueError:
            continue
        if isinstance(item, list) and len(item) == 2 and item[0] == 1 and isinstance(item[1], str):
            chunks.append(item[1])
    return "".join(chunks).encode("utf-8")


def _text_rows(payload: bytes) -> list[str]:
    rows, at = [], 0
    while (row := _TEXT_ROW.search(payload, at)) is not None:
        end = row.end() + int(row.group(1), 16)
        rows.append(payload[row.end() : end].decode("utf-8", "replace"))
        at = end
    return rows
