"""The one family of errors that copydesk's stages raise.

A stage raises a `StageError` when an input cannot become an article: the shell catches exactly
this family per message, counts it by `kind`, and publishes a dead letter with the original
bytes. `kind` is a short, stable, bounded word (it is a metric label and what operators filter
dead letters by); `message` is for people and may carry details.
"""

from __future__ import annotations


class StageError(Exception):
    """Base of the family. Subclasses fix `stage`; callers give a `kind` and a message."""

    stage: str = "unknown"

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


class InvalidMessage(StageError):
    """The raw message breaks the input contract (schemas/raw-article.schema.json)."""

    stage = "intake"


class CleaningError(StageError):
    """The page was read but no article body could be found in it."""

    stage = "cleaning"


class ExtractionError(StageError):
    stage = "extraction"


class DedupError(StageError):
    stage = "dedup"
