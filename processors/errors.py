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


#: Every `kind` a dead letter can carry, and what it means. The stages raise these words; the
#: shell adds `time_budget_exceeded` and `internal_error`, the WARC reader its record errors. `copydesk replay-dead-letters` accepts
#: exactly these, and tests/unit/test_cli.py fails when a stage raises a kind missing here.
KINDS: dict[str, str] = {
    "empty_message": "the Kafka message has no value",
    "payload_too_large": "the message is over COPYDESK_MAX_PAYLOAD_BYTES",
    "invalid_utf8": "the message is not UTF-8",
    "invalid_json": "the message is not JSON",
    "not_an_object": "the message is JSON but not an object",
    "missing_field": "a required field (url, fetched_at, html or text) is missing",
    "wrong_type": "a field has the wrong type",
    "invalid_url": "url is not an absolute http(s) URL",
    "invalid_time": "fetched_at is not an RFC 3339 time with an offset",
    "html_too_deep": "the HTML nests elements deeper than the parser reads",
    "repetitive_body": "a large body that is one passage repeated",
    "empty_body": "no article text, or less than COPYDESK_MIN_BODY_CHARS, in the page",
    "empty_fingerprint": "the article has no words to fingerprint for dedup",
    "record_too_large": "the output record is larger than the topics accept",
    "truncated_record": "a WARC record that ends before its Content-Length (stage warc)",
    "malformed_record": "bytes of a WARC file that do not parse as a record (stage warc)",
    "time_budget_exceeded": "a stage worked longer than COPYDESK_STAGE_TIME_BUDGET_SECONDS on it",
    "internal_error": "a bug in copydesk; the worker's log has the traceback",
}
