"""Logging: one JSON object per line (or plain text for development), with message coordinates.

A small formatter written here rather than a dependency: it is twenty lines over orjson, and it
knows the fields copydesk puts on every record about a message (topic, partition, offset, stage).
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timezone

import orjson

_CONTEXT_FIELDS = ("topic", "partition", "offset", "stage", "kind", "url", "role")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in _CONTEXT_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode("utf-8")


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(f"{k}={record.__dict__[k]}" for k in _CONTEXT_FIELDS if record.__dict__.get(k) is not None)
        return f"{line} [{context}]" if context else line


def handler(log_format: str) -> logging.Handler:
    out = logging.StreamHandler(sys.stderr)
    out.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    return out


def configure(level: str, log_format: str) -> logging.Handler:
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    out = handler(log_format)
    root.addHandler(out)
    root.setLevel(level)
    return out
