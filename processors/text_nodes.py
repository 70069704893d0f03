"""lxml's `strip_tags` with the text it leaves merged, for trafilatura's main extraction.

`strip_tags` moves a stripped element's text and tail into its parent as text nodes of their
own; libxml2 keeps them apart, and its XPath over a run of adjacent text nodes is quadratic (a
paragraph of thousands of words in `<span>`s, which trafilatura strips, then queried with
`//p//text()`). The lxml API reads such a run as one string and writing that string back leaves
one node, so `strip_tags` here writes back the texts and tails it may have split: the same
strings through the API, one node each in the tree. `install` puts it where trafilatura strips
tags from the subtree it extracts.
"""

from __future__ import annotations

from typing import Any

from lxml import etree


def strip_tags(tree: Any, *tags: Any) -> None:
    """`lxml.etree.strip_tags(tree, *tags)`, then each run of adjacent text nodes it made one:
    those are in the parents of the stripped elements, so only their text and children's tails
    are written back."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    # Names, or lists of them (as lxml takes them).
    names = [name for arg in tags for name in ([arg] if isinstance(arg, str) else arg)]
    if not names:
        return
    stripped = set(names)
    parents = {id(p): p for e in root.iter(*names) if (p := e.getparent()) is not None and p.tag not in stripped}
    etree.strip_tags(tree, *tags)
    for parent in parents.values():
        if parent.text is not None:
            parent.text = parent.text
        for child in parent:
            if child.tail is not None:
                child.tail = child.tail


def install() -> None:
    """Make trafilatura's main extraction (`main_extractor`, which strips `<span>`s from the
    subtree it reads before querying its text) strip tags with `strip_tags`."""
    from trafilatura import main_extractor

    main_extractor.strip_tags = strip_tags
