"""jusText's context-sensitive paragraph classification in linear time, for trafilatura's fallback.

trafilatura runs jusText on a page whose main extraction looks thin (`try_justext`), and
jusText's `revise_paragraph_classification` looks for each short or near-good paragraph's
nearest good or bad neighbour by walking the paragraphs from it: quadratic in a run of short
paragraphs (a table of thousands of rows). `revise_paragraph_classification` here decides the
same classes from neighbours found in one pass each way; `install` puts it where trafilatura
calls it. The two heading passes are jusText's own, in its order (they stop after
`max_heading_distance` characters).
"""

from __future__ import annotations

from typing import Any, Sequence

_GOOD_OR_BAD = ("good", "bad")


def _nearest(classes: Sequence[str], wanted: tuple[str, ...], step: int) -> list[str]:
    """For each paragraph, the class of the nearest one before it (`step` 1) or after it
    (`step` -1) whose class is in `wanted`, else "bad" (jusText's `_get_neighbour`)."""
    found = ["bad"] * len(classes)
    last = "bad"
    order = range(len(classes)) if step == 1 else range(len(classes) - 1, -1, -1)
    for i in order:
        found[i] = last
        if classes[i] in wanted:
            last = classes[i]
    return found


def _heading_becomes(paragraph: Any, paragraphs: Sequence[Any], i: int, max_heading_distance: int, to: str) -> None:
    """A heading's class becomes `to` when a good paragraph follows within
    `max_heading_distance` characters (jusText's heading passes)."""
    j = i + 1
    distance = 0
    while j < len(paragraphs) and distance <= max_heading_distance:
        if paragraphs[j].class_type == "good":
            paragraph.class_type = to
            break
        distance += len(paragraphs[j].text)
        j += 1


def revise_paragraph_classification(paragraphs: Sequence[Any], max_heading_distance: int = 200) -> None:
    """jusText's `revise_paragraph_classification`: the same classes in `class_type`."""
    for i, paragraph in enumerate(paragraphs):
        # As jusText does: each class copied in turn, the headings' search seeing the ones after
        # it not copied yet.
        paragraph.class_type = paragraph.cf_class
        if paragraph.heading and paragraph.class_type == "short":
            _heading_becomes(paragraph, paragraphs, i, max_heading_distance, "neargood")

    classes = [p.class_type for p in paragraphs]
    prev_gb, next_gb = _nearest(classes, _GOOD_OR_BAD, 1), _nearest(classes, _GOOD_OR_BAD, -1)
    near = (*_GOOD_OR_BAD, "neargood")
    prev_any, next_any = _nearest(classes, near, 1), _nearest(classes, near, -1)
    for i, paragraph in enumerate(paragraphs):
        if classes[i] != "short":
            continue
        prev, next_ = prev_gb[i], next_gb[i]
        if prev == "good" and next_ == "good":
            paragraph.class_type = "good"
        elif prev == "bad" and next_ == "bad":
            paragraph.class_type = "bad"
        elif (prev == "bad" and prev_any[i] == "neargood") or (next_ == "bad" and next_any[i] == "neargood"):
            paragraph.class_type = "good"
        else:
            paragraph.class_type = "bad"

    # Near-good paragraphs in order: the one before each is good or bad by then (revised, or it
    # was), the ones after it still near-good are skipped.
    classes = [p.class_type for p in paragraphs]
    next_gb = _nearest(classes, _GOOD_OR_BAD, -1)
    for i, paragraph in enumerate(paragraphs):
        if classes[i] != "neargood":
            continue
        prev = paragraphs[i - 1].class_type if i > 0 else "bad"
        paragraph.class_type = "bad" if (prev, next_gb[i]) == ("bad", "bad") else "good"

    for i, paragraph in enumerate(paragraphs):
        if paragraph.heading and paragraph.class_type == "bad" and paragraph.cf_class != "bad":
            _heading_becomes(paragraph, paragraphs, i, max_heading_distance, "good")


def install() -> None:
    """Make trafilatura's jusText fallback use `revise_paragraph_classification`."""
    from trafilatura import external

    external.revise_paragraph_classification = revise_paragraph_classification
