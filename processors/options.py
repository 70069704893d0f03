"""Options of the stages: one frozen value, built once by the shell from settings, passed in.

Nothing in `processors/` reads the environment or keeps module-level switches; a test that
wants other options builds another `StageOptions`.
"""

from __future__ import annotations

from dataclasses import dataclass

from processors.entities import EntityRecogniser


@dataclass(frozen=True, slots=True)
class StageOptions:
    # intake
    max_payload_bytes: int = 8 * 1024 * 1024
    #: Largest record copydesk publishes (an output or an internal message): a raw payload
    #: travels inside the internal messages, JSON-escaped, beside the text taken from it.
    max_record_bytes: int = 4 * 8 * 1024 * 1024 + 1024 * 1024
    # cleaning
    min_body_chars: int = 80
    #: IANA zone assumed for a publication time that the page gives without one (a dateline
    #: such as "24 Feb, 2016 12:18") on a site whose domain names no country with one zone
    #: (`vocabulary.COUNTRY_ZONES`) in a language read in many zones (`vocabulary.LANGUAGE_ZONES`
    #: has the others); records always carry RFC 3339 times with an offset.
    assume_timezone: str = "UTC"
    #: Site-repeated lines (`processors.sitelines`): a line seen in at least this many other
    #: articles of the same site within the horizon is the site's furniture (0 turns it off).
    sitelines_min_articles: int = 3
    #: Longer lines are never counted or dropped. Long lines are learnt too: a commenting
    #: policy or a cookie notice runs to hundreds of characters, and a body paragraph is not
    #: printed word for word in `sitelines_min_articles` other articles of its site.
    sitelines_max_line_chars: int = 5000
    #: Fingerprints kept per site and day (bounds a state value's size).
    sitelines_max_lines_per_day: int = 2000
    sitelines_horizon_days: int = 7
    #: Partitions of the raw topic. Each learns a site's lines from its own share of the site's
    #: articles (`processors.pipeline.site_lines_scope`); an article's lines are checked against
    #: what all of them learnt (1: against its own partition's alone).
    sitelines_partitions: int = 1
    # extraction
    lead_max_chars: int = 400
    max_keywords: int = 8
    #: The named-entity model, loaded by the shell (`streams.entities_model`); None: no entities.
    entities: EntityRecogniser | None = None
    #: Characters of title and body the entity model sees per article, which bounds its cost.
    entities_max_chars: int = 10_000
    # dedup
    dedup_horizon_days: int = 7
    #: Estimated Jaccard similarity of word 5-shingles at or above which a body is a near copy.
    near_duplicate_threshold: float = 0.8
    #: Two bodies whose shorter one has at least this share of the longer one's shingles are
    #: copies also when the share of the shorter one found in the other reaches the threshold
    #: (`processors.neardup.copy_similarity`): for two articles of one site, or of unknown sites.
    near_duplicate_min_length_ratio: float = 0.8
    #: The same bound for two articles of different sites.
    near_duplicate_other_site_min_length_ratio: float = 0.6
    #: Share of a URL's earlier version found in a body extracted from the other format (HTML
    #: one time, page text the next; `processors.dedup.overlap`) at or above which it is a
    #: re-crawl (`duplicate`), not an `update`.
    recrawl_threshold: float = 0.8
