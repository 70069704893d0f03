"""The JSON Schema contracts of copydesk's topics, loaded from the files beside this module.

Downstream teams read the `.schema.json` files; tests validate every record copydesk produces
against them through `validator(topic_role)`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).resolve().parent

#: Topic role -> schema file.
SCHEMA_FILES = {
    "raw": "raw-article.schema.json",
    "enriched": "enriched-article.schema.json",
    "duplicates": "duplicate-article.schema.json",
    "dead_letter": "dead-letter.schema.json",
}
_SHARED = ("article-record.schema.json",)


def load(name: str) -> dict:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=None)  # immutable files read once; not state that ever needs a reset
def validator(role: str) -> Draft202012Validator:
    resources = [(name, Resource.from_contents(load(name))) for name in (*_SHARED, *SCHEMA_FILES.values())]
    registry = Registry().with_resources(resources)
    schema = load(SCHEMA_FILES[role])
    return Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())


def errors(role: str, record: dict) -> list[str]:
    """Every way `record` breaks the contract of `role`'s topic (empty when it conforms)."""
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator(role).iter_errors(record)]
