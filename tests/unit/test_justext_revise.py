"""jusText's paragraph classification revised in linear time: the same classes as jusText's own."""

from __future__ import annotations

import copy
import random

from justext import core as justext_core
from trafilatura import external

from processors import cleaning, justext_revise


class Paragraph:
    """What the revision reads of a jusText paragraph; counts the reads of `class_type`."""

    reads = 0

    def __init__(self, cf_class: str, heading: bool, text: str, class_type: str = "") -> None:
        self.cf_class, self.heading, self.text, self._class_type = cf_class, heading, text, class_type

    @property
    def class_type(self) -> str:
        Paragraph.reads += 1
        return self._class_type

    @class_type.setter
    def class_type(self, value: str) -> None:
        self._class_type = value


def test_the_classes_are_jusTexts_own():
    rng = random.Random(0)
    for _ in range(5000):
        paragraphs = [
            Paragraph(rng.choice(["short", "good", "bad", "neargood"]), rng.random() < 0.3, "x" * rng.choice([0, 5, 60, 160]))
            for _ in range(rng.randrange(14))
        ]
        if rng.random() < 0.2:  # classes left from an earlier revision
            for p in paragraphs:
                p.class_type = rng.choice(["", "good", "bad", "short", "neargood"])
        theirs, ours = copy.deepcopy(paragraphs), copy.deepcopy(paragraphs)
        distance = rng.choice([0, 50, 150, 200])
        justext_core.revise_paragraph_classification(theirs, distance)
        justext_revise.revise_paragraph_classification(ours, distance)
        assert [p.class_type for p in ours] == [p.class_type for p in theirs]


def test_a_run_of_short_paragraphs_is_revised_in_one_pass():
    """jusText walks from each short paragraph to its nearest good or bad one, so a table of
    thousands of rows (as many short paragraphs) cost it a walk per row; here each class is read
    a bounded number of times."""
    rows = 4000
    paragraphs = [Paragraph("good", False, "x" * 200)] + [Paragraph("short", False, "1 x") for _ in range(rows)]
    paragraphs += [Paragraph("neargood", False, "y" * 100), Paragraph("bad", False, "z")]
    Paragraph.reads = 0
    justext_revise.revise_paragraph_classification(paragraphs, 150)
    assert [p.class_type for p in paragraphs[1:4]] == ["good"] * 3
    assert Paragraph.reads < 20 * len(paragraphs)


def test_trafilaturas_fallback_uses_it():
    assert cleaning.justext_revise is justext_revise
    assert external.revise_paragraph_classification is justext_revise.revise_paragraph_classification
