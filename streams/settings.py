"""Settings: one frozen object, the only reader of the environment in copydesk.

Every field has an environment variable (the README's table lists them with their defaults).
Secrets are `Secret`s: they print as `'***'`, so a settings dump in a log never leaks them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, fields
from functools import partial
from importlib import metadata
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from processors.options import StageOptions
from streams import entities_model


#: The values of COPYDESK_ROLES: which parts of copydesk one `copydesk worker` process runs.
ROLES = ("all", "pipeline", "enrich")
#: The values of COPYDESK_INLINE_STEPS: where an agent runs the next step itself instead of
#: sending the article to the partition it is processing (see streams/agents/batching.py).
INLINE_STEPS = ("one-partition", "always", "never")
#: The commit interval under exactly_once unless set: faust's default.
EXACTLY_ONCE_COMMIT_INTERVAL_MS = 2800


class SettingsError(ValueError):
    """A setting has a value copydesk cannot use."""


class Secret(str):
    def __repr__(self) -> str:
        return "'***'"

    def __str__(self) -> str:  # a secret formatted into a log line stays hidden too
        return "***"

    def reveal(self) -> str:
        return str.__str__(self)


def pipeline_version() -> str:
    try:
        return metadata.version("copydesk")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@dataclass(frozen=True, slots=True)
class Topics:
    raw: str
    extracted: str
    content: str
    bands: str
    gather: str
    enrich: str
    enriched: str
    duplicates: str
    dead_letter: str
    url_table: str
    content_table: str
    band_table: str
    gather_table: str
    sitelines_table: str

    @classmethod
    def from_prefix(cls, prefix: str, overrides: Mapping[str, str]) -> Topics:
        names = {
            "raw": f"{prefix}.raw",
            "extracted": f"{prefix}.extracted",
            "content": f"{prefix}.by-content",
            "bands": f"{prefix}.by-band",
            "gather": f"{prefix}.gather",
            "enrich": f"{prefix}.to-enrich",
            "enriched": f"{prefix}.enriched",
            "duplicates": f"{prefix}.duplicates",
            "dead_letter": f"{prefix}.dead-letter",
            "url_table": f"{prefix}.dedup-urls",
            "content_table": f"{prefix}.dedup-contents",
            "band_table": f"{prefix}.dedup-bands",
            "gather_table": f"{prefix}.dedup-gather",
            "sitelines_table": f"{prefix}.site-lines",
        }
        names.update({k: v for k, v in overrides.items() if v})
        return cls(**names)

    def internal(self) -> list[str]:
        """The topics between the agents."""
        return [self.extracted, self.content, self.bands, self.gather, self.enrich]

    def tables(self) -> list[str]:
        return [self.url_table, self.content_table, self.band_table, self.gather_table, self.sitelines_table]

    @staticmethod
    def changelog(table: str) -> str:
        return f"{table}.changelog"

    def changelogs(self) -> list[str]:
        return [self.changelog(name) for name in self.tables()]

    def outputs(self) -> dict[str, str]:
        """Role -> name of the topics every input ends on."""
        return {"enriched": self.enriched, "duplicates": self.duplicates, "dead_letter": self.dead_letter}


@dataclass(frozen=True, slots=True)
class KafkaSecurity:
    protocol: str = "PLAINTEXT"  # PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL
    sasl_mechanism: str | None = None  # PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
    sasl_username: str | None = None
    sasl_password: Secret | None = None
    ssl_cafile: str | None = None  # PEM; None: the system's CAs
    ssl_certfile: str | None = None  # PEM client certificate (mutual TLS)
    ssl_keyfile: str | None = None  # PEM key of the client certificate; None: it is in the certfile
    ssl_key_password: Secret | None = None  # for an encrypted key


@dataclass(frozen=True, slots=True)
class Settings:
    bootstrap_servers: str = "127.0.0.1:9092"
    app_id: str = "copydesk"
    topic_prefix: str = "news.articles"
    topics: Topics = field(default_factory=lambda: Topics.from_prefix("news.articles", {}))
    partitions: int = 4
    replication_factor: int = 1
    store: str = "rocksdb://"
    data_dir: str = "var/copydesk"
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9108
    log_level: str = "INFO"
    log_format: str = "json"
    processing_guarantee: str = "at_least_once"
    dedup_sweep_seconds: float = 3600.0
    lag_sample_seconds: float = 5.0
    consumer_session_timeout_s: float = 30.0
    #: Longest one step may run on one message before it is a `time_budget_exceeded` dead letter
    #: (0: no limit); see streams/steps.py for how and within which limits it is enforced.
    stage_time_budget_s: float = 10.0
    #: faust's standby copies of the table partitions a worker does not own (replayed from the
    #: changelogs so that a takeover is quick); 0 saves CPU per input when workers share cores.
    table_standby_replicas: int = 1
    #: RocksDB memory per table partition: each database's memtable (two at most, one being
    #: flushed) and block cache. faust's defaults are 64 MiB x 3 and 2 GiB, per database: a
    #: worker holds 4 tables x its partitions (and standbys), so they bound nothing.
    rocksdb_write_buffer_bytes: int = 4 * 1024 * 1024
    rocksdb_block_cache_bytes: int = 8 * 1024 * 1024
    #: What `copydesk worker` runs: "all" (the chain and enrichment), "pipeline" (the chain:
    #: cleaning, extraction, dedup) or "enrich" (enrichment alone, its own consumer group).
    roles: str = "all"
    #: Enrichment reads up to this many messages at once, waiting at most `enrich_linger_ms`
    #: for them, and enriches, sends and commits them in runs of about this many articles
    #: (whole messages; the entity model's batch).
    enrich_batch: int = 32
    enrich_linger_ms: int = 20
    #: An agent sends what it made of the messages it had at hand as one envelope per partition
    #: of the next topic: when no more are waiting, after `batch_max_items` articles, or once the
    #: oldest has waited `batch_max_ms` (see streams/agents/batching.py).
    batch_max_items: int = 500
    batch_max_ms: int = 250
    #: Where a hop stays on the partition being processed, the agent runs the next step itself:
    #: with one partition (every hop then), always, or never. With several partitions under load
    #: a step run inline adds small envelopes to the next topics (bench/README.md).
    inline_steps: str = "one-partition"
    #: How long the producers wait to fill a request before sending it. The agents already send
    #: a batch's records together, so waiting buys little at full load and costs each hop this
    #: long at a moderate rate, where every hop is a request of its own.
    producer_linger_ms: int = 0
    #: How often the agents commit the offsets of the messages they finished (faust's commit
    #: interval). A worker killed without a clean stop processes again what it finished since
    #: its last commit, at every hop of the chain, and each hop sends its copies on to the next:
    #: at-least-once commits often. Under exactly_once a commit ends a transaction per partition,
    #: and faust's own interval stays the default (`EXACTLY_ONCE_COMMIT_INTERVAL_MS`).
    commit_interval_ms: int = 1000
    security: KafkaSecurity = field(default_factory=KafkaSecurity)
    stage: StageOptions = field(default_factory=StageOptions)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        base = cls()
        prefix = env.get("COPYDESK_TOPIC_PREFIX", base.topic_prefix)
        overrides = {f.name: env.get(f"COPYDESK_TOPIC_{f.name.upper()}", "") for f in fields(Topics)}
        max_payload = _int(env, "COPYDESK_MAX_PAYLOAD_BYTES", base.stage.max_payload_bytes)
        model = env.get("COPYDESK_ENTITIES_MODEL", entities_model.MODEL_PACKAGE) or entities_model.MODEL_PACKAGE
        partitions = _int(env, "COPYDESK_PARTITIONS", base.partitions)
        stage = StageOptions(
            max_payload_bytes=max_payload,
            max_record_bytes=4 * max_payload + 1024 * 1024,
            min_body_chars=_int(env, "COPYDESK_MIN_BODY_CHARS", base.stage.min_body_chars),
            assume_timezone=env.get("COPYDESK_ASSUME_TIMEZONE", base.stage.assume_timezone),
            lead_max_chars=_int(env, "COPYDESK_LEAD_MAX_CHARS", base.stage.lead_max_chars),
            max_keywords=_int(env, "COPYDESK_MAX_KEYWORDS", base.stage.max_keywords),
            entities_max_chars=_int(env, "COPYDESK_ENTITIES_MAX_CHARS", base.stage.entities_max_chars),
            entities=_parsed(env, "COPYDESK_ENTITIES", "on", partial(entities_model.recogniser, package=model), "on or off"),
            sitelines_min_articles=_int(env, "COPYDESK_SITELINES_MIN_ARTICLES", base.stage.sitelines_min_articles),
            sitelines_horizon_days=_int(env, "COPYDESK_SITELINES_HORIZON_DAYS", base.stage.sitelines_horizon_days),
            sitelines_partitions=partitions,
            dedup_horizon_days=_int(env, "COPYDESK_DEDUP_HORIZON_DAYS", base.stage.dedup_horizon_days),
            near_duplicate_threshold=_float(
                env, "COPYDESK_NEAR_DUPLICATE_THRESHOLD", base.stage.near_duplicate_threshold
            ),
            near_duplicate_min_length_ratio=_float(
                env, "COPYDESK_NEAR_DUPLICATE_MIN_LENGTH_RATIO", base.stage.near_duplicate_min_length_ratio
            ),
            near_duplicate_other_site_min_length_ratio=_float(
                env,
                "COPYDESK_NEAR_DUPLICATE_OTHER_SITE_MIN_LENGTH_RATIO",
                base.stage.near_duplicate_other_site_min_length_ratio,
            ),
            recrawl_threshold=_float(env, "COPYDESK_RECRAWL_THRESHOLD", base.stage.recrawl_threshold),
        )
        guarantee = env.get("COPYDESK_PROCESSING_GUARANTEE", base.processing_guarantee)
        password = env.get("KAFKA_SASL_PASSWORD")
        key_password = env.get("KAFKA_SSL_KEY_PASSWORD")
        security = KafkaSecurity(
            protocol=env.get("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT").upper(),
            sasl_mechanism=(env.get("KAFKA_SASL_MECHANISM") or "").upper() or None,
            sasl_username=env.get("KAFKA_SASL_USERNAME") or None,
            sasl_password=Secret(password) if password else None,
            ssl_cafile=env.get("KAFKA_SSL_CAFILE") or None,
            ssl_certfile=env.get("KAFKA_SSL_CERTFILE") or None,
            ssl_keyfile=env.get("KAFKA_SSL_KEYFILE") or None,
            ssl_key_password=Secret(key_password) if key_password else None,
        )
        settings = cls(
            bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS", base.bootstrap_servers),
            app_id=env.get("COPYDESK_APP_ID", base.app_id),
            topic_prefix=prefix,
            topics=Topics.from_prefix(prefix, overrides),
            partitions=partitions,
            replication_factor=_int(env, "COPYDESK_REPLICATION_FACTOR", base.replication_factor),
            store=env.get("COPYDESK_STORE", base.store),
            data_dir=env.get("COPYDESK_DATA_DIR", base.data_dir),
            web_host=env.get("COPYDESK_WEB_HOST", base.web_host),
            web_port=_int(env, "COPYDESK_WEB_PORT", base.web_port),
            metrics_host=env.get("COPYDESK_METRICS_HOST", base.metrics_host),
            metrics_port=_int(env, "COPYDESK_METRICS_PORT", base.metrics_port),
            log_level=env.get("COPYDESK_LOG_LEVEL", base.log_level).upper(),
            log_format=_log_format(env, base.log_format),
            processing_guarantee=guarantee,
            dedup_sweep_seconds=_float(env, "COPYDESK_DEDUP_SWEEP_SECONDS", base.dedup_sweep_seconds),
            lag_sample_seconds=_float(env, "COPYDESK_LAG_SAMPLE_SECONDS", base.lag_sample_seconds),
            consumer_session_timeout_s=_float(
                env, "COPYDESK_SESSION_TIMEOUT_SECONDS", base.consumer_session_timeout_s
            ),
            stage_time_budget_s=_float(env, "COPYDESK_STAGE_TIME_BUDGET_SECONDS", base.stage_time_budget_s),
            table_standby_replicas=_int(env, "COPYDESK_TABLE_STANDBY_REPLICAS", base.table_standby_replicas),
            rocksdb_write_buffer_bytes=_int(env, "COPYDESK_ROCKSDB_WRITE_BUFFER_BYTES", base.rocksdb_write_buffer_bytes),
            rocksdb_block_cache_bytes=_int(env, "COPYDESK_ROCKSDB_BLOCK_CACHE_BYTES", base.rocksdb_block_cache_bytes),
            roles=env.get("COPYDESK_ROLES", base.roles).strip().lower(),
            enrich_batch=_int(env, "COPYDESK_ENRICH_BATCH", base.enrich_batch),
            enrich_linger_ms=_int(env, "COPYDESK_ENRICH_LINGER_MS", base.enrich_linger_ms),
            batch_max_items=_int(env, "COPYDESK_BATCH_MAX_ITEMS", base.batch_max_items),
            batch_max_ms=_int(env, "COPYDESK_BATCH_MAX_MS", base.batch_max_ms),
            inline_steps=env.get("COPYDESK_INLINE_STEPS", base.inline_steps).strip().lower(),
            producer_linger_ms=_int(env, "COPYDESK_PRODUCER_LINGER_MS", base.producer_linger_ms),
            commit_interval_ms=_int(
                env,
                "COPYDESK_COMMIT_INTERVAL_MS",
                EXACTLY_ONCE_COMMIT_INTERVAL_MS if guarantee == "exactly_once" else base.commit_interval_ms,
            ),
            security=security,
            stage=stage,
        )
        settings.check()
        return settings

    def check(self) -> None:
        # any level name logging knows (CRITICAL, WARN too) works; the help names the four that matter
        if self.log_level not in logging.getLevelNamesMapping():
            raise SettingsError(f"COPYDESK_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {self.log_level!r}")
        try:
            ZoneInfo(self.stage.assume_timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory of zones ("Europe"), a name too long
            raise SettingsError(
                f"COPYDESK_ASSUME_TIMEZONE must be an IANA time zone name (such as Europe/Berlin), not {self.stage.assume_timezone!r}"
            ) from None
        for name, port in (("COPYDESK_WEB_PORT", self.web_port), ("COPYDESK_METRICS_PORT", self.metrics_port)):
            if not 0 < port < 65536:
                raise SettingsError(f"{name} must be a port from 1 to 65535, not {port}")
        if self.log_format not in LOG_FORMATS:
            raise SettingsError(f"COPYDESK_LOG_FORMAT must be json or text, not {self.log_format!r}")
        if self.processing_guarantee not in ("at_least_once", "exactly_once"):
            raise SettingsError(
                f"COPYDESK_PROCESSING_GUARANTEE must be at_least_once or exactly_once, not {self.processing_guarantee!r}"
            )
        if not self.store.startswith(("rocksdb://", "memory://")):
            raise SettingsError(f"COPYDESK_STORE must be rocksdb:// or memory://, not {self.store!r}")
        if self.stage_time_budget_s < 0:
            raise SettingsError("COPYDESK_STAGE_TIME_BUDGET_SECONDS must be 0 (no limit) or more")
        if self.roles not in ROLES:
            raise SettingsError(f"COPYDESK_ROLES must be one of {', '.join(ROLES)}, not {self.roles!r}")
        if self.enrich_batch < 1 or self.enrich_linger_ms < 0:
            raise SettingsError("COPYDESK_ENRICH_BATCH must be at least 1, COPYDESK_ENRICH_LINGER_MS 0 or more")
        if self.inline_steps not in INLINE_STEPS:
            raise SettingsError(
                f"COPYDESK_INLINE_STEPS must be one of {', '.join(INLINE_STEPS)}, not {self.inline_steps!r}"
            )
        if self.batch_max_items < 1 or self.batch_max_ms < 1:
            raise SettingsError("COPYDESK_BATCH_MAX_ITEMS and COPYDESK_BATCH_MAX_MS must be at least 1")
        if self.producer_linger_ms < 0:
            raise SettingsError("COPYDESK_PRODUCER_LINGER_MS must be 0 or more")
        if self.commit_interval_ms < 1:
            raise SettingsError("COPYDESK_COMMIT_INTERVAL_MS must be at least 1")
        if self.partitions < 1:
            raise SettingsError("COPYDESK_PARTITIONS must be at least 1")
        if self.rocksdb_write_buffer_bytes < 64 * 1024 or self.rocksdb_block_cache_bytes < 0:
            raise SettingsError(
                "COPYDESK_ROCKSDB_WRITE_BUFFER_BYTES must be at least 65536, COPYDESK_ROCKSDB_BLOCK_CACHE_BYTES 0 or more"
            )
        sec = self.security
        if sec.protocol not in ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"):
            raise SettingsError(f"KAFKA_SECURITY_PROTOCOL {sec.protocol!r} is not one Kafka knows")
        if sec.protocol.startswith("SASL"):
            if (sec.sasl_mechanism or "PLAIN") not in ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"):
                raise SettingsError(
                    f"KAFKA_SASL_MECHANISM must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, not {sec.sasl_mechanism!r}"
                )
            if not sec.sasl_username or not sec.sasl_password:
                raise SettingsError(f"{sec.protocol} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD")
        if (sec.ssl_keyfile or sec.ssl_key_password) and not sec.ssl_certfile:
            raise SettingsError("KAFKA_SSL_KEYFILE and KAFKA_SSL_KEY_PASSWORD need KAFKA_SSL_CERTFILE")
        if sec.ssl_certfile and sec.protocol not in ("SSL", "SASL_SSL"):
            raise SettingsError(f"KAFKA_SSL_CERTFILE is for SSL or SASL_SSL, not {sec.protocol}")

    @property
    def runs_pipeline(self) -> bool:
        return self.roles in ("all", "pipeline")

    @property
    def runs_enrichment(self) -> bool:
        return self.roles in ("all", "enrich")

    @property
    def runs_steps_inline(self) -> bool:
        """Whether an agent runs the next step itself where the hop stays on its partition."""
        return self.inline_steps == "always" or (self.inline_steps == "one-partition" and self.partitions == 1)

    @property
    def enrich_group(self) -> str:
        """The consumer group of enrichment, the same whichever process runs it."""
        return f"{self.app_id}.enrich"

    @property
    def broker_url(self) -> str:
        return ";".join(f"kafka://{host.strip()}" for host in self.bootstrap_servers.split(",") if host.strip())


#: What each variable means, for `copydesk worker --help`. Every variable `Settings.from_env`
#: reads needs a line here (tests/unit/test_cli.py checks it, and that the README lists them).
MEANINGS: dict[str, str] = {
    "KAFKA_BOOTSTRAP_SERVERS": "comma-separated host:port of the Kafka brokers",
    "KAFKA_SECURITY_PROTOCOL": "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL",
    "KAFKA_SASL_MECHANISM": "PLAIN (the default with SASL), SCRAM-SHA-256 or SCRAM-SHA-512",
    "KAFKA_SASL_USERNAME": "SASL user",
    "KAFKA_SASL_PASSWORD": "SASL password (never printed)",
    "KAFKA_SSL_CAFILE": "CA file that signed the brokers' certificates (default: the system's)",
    "KAFKA_SSL_CERTFILE": "client certificate, for brokers that require mutual TLS",
    "KAFKA_SSL_KEYFILE": "client certificate's key",
    "KAFKA_SSL_KEY_PASSWORD": "the client key's password, when it is encrypted (never printed)",
    "COPYDESK_APP_ID": "faust app id and consumer group: workers with the same one share the work",
    "COPYDESK_TOPIC_PREFIX": "every topic is named from it: <prefix>.raw, <prefix>.enriched, ...",
    "COPYDESK_PARTITIONS": "partitions of the topics copydesk creates (and of its tables)",
    "COPYDESK_REPLICATION_FACTOR": "replicas of the topics copydesk creates",
    "COPYDESK_STORE": "table store: rocksdb:// or memory:// (tests)",
    "COPYDESK_DATA_DIR": "RocksDB and faust state; one per worker",
    "COPYDESK_WEB_HOST": "address of /healthz and /readyz",
    "COPYDESK_WEB_PORT": "port of /healthz and /readyz; one per worker on a machine",
    "COPYDESK_METRICS_HOST": "address of the Prometheus /metrics",
    "COPYDESK_METRICS_PORT": "port of the Prometheus /metrics; one per worker on a machine",
    "COPYDESK_LOG_LEVEL": "DEBUG, INFO, WARNING or ERROR",
    "COPYDESK_LOG_FORMAT": "json (one object per line) or text",
    "COPYDESK_PROCESSING_GUARANTEE": "at_least_once or exactly_once (Kafka transactions)",
    "COPYDESK_DEDUP_SWEEP_SECONDS": "how often expired table keys are deleted",
    "COPYDESK_LAG_SAMPLE_SECONDS": "how often consumer lag is sampled",
    "COPYDESK_SESSION_TIMEOUT_SECONDS": "consumer group session timeout",
    "COPYDESK_STAGE_TIME_BUDGET_SECONDS": "longest a stage may work on one message, then a dead letter (0: no limit)",
    "COPYDESK_TABLE_STANDBY_REPLICAS": "standby table copies per partition: quicker takeover, more CPU",
    "COPYDESK_ROCKSDB_WRITE_BUFFER_BYTES": "RocksDB memtable of each table partition",
    "COPYDESK_ROCKSDB_BLOCK_CACHE_BYTES": "RocksDB block cache of each table partition",
    "COPYDESK_MAX_PAYLOAD_BYTES": "larger inputs are dead letters (payload_too_large)",
    "COPYDESK_MIN_BODY_CHARS": "a shorter article body is a dead letter (empty_body)",
    "COPYDESK_ASSUME_TIMEZONE": "zone of page times given without one (an IANA name)",
    "COPYDESK_LEAD_MAX_CHARS": "longest lead",
    "COPYDESK_MAX_KEYWORDS": "most keywords per article",
    "COPYDESK_ENTITIES_MAX_CHARS": "characters of title and body the entity model reads at most",
    "COPYDESK_ROLES": "what `copydesk worker` runs: all, pipeline (cleaning to dedup) or enrich (enrichment alone)",
    "COPYDESK_ENRICH_BATCH": "messages enrichment reads at once, and the articles it enriches, sends and commits per run (whole messages) and per call of the entity model",
    "COPYDESK_ENRICH_LINGER_MS": "how long enrichment waits at most to fill a batch",
    "COPYDESK_BATCH_MAX_ITEMS": "most articles an agent gathers before it sends them on, one envelope per partition",
    "COPYDESK_BATCH_MAX_MS": "longest an agent holds an article it made before sending it on",
    "COPYDESK_INLINE_STEPS": "where an agent runs the next step itself when the article stays on its partition: one-partition, always or never",
    "COPYDESK_PRODUCER_LINGER_MS": "how long the producers wait to fill a request before sending it",
    "COPYDESK_COMMIT_INTERVAL_MS": "how often the agents and enrichment commit their offsets (a kill -9 repeats what they did since); 2800 under exactly_once",
    "COPYDESK_ENTITIES": "on (named entities of English articles, spaCy) or off",
    "COPYDESK_ENTITIES_MODEL": "the spaCy pipeline package the entities come from (e.g. Explosion's en_core_web_sm)",
    "COPYDESK_SITELINES_MIN_ARTICLES": "a line in this many other articles of a site is dropped (0: off)",
    "COPYDESK_SITELINES_HORIZON_DAYS": "how long a site's lines are remembered",
    "COPYDESK_DEDUP_HORIZON_DAYS": "how long dedup remembers an article",
    "COPYDESK_NEAR_DUPLICATE_THRESHOLD": "similarity of word 5-shingles that makes a near duplicate: estimated Jaccard, or the share of the shorter body found in the other within the length ratios below",
    "COPYDESK_NEAR_DUPLICATE_MIN_LENGTH_RATIO": "two articles of one site: the shorter body's shingle count, as a share of the longer's, from which the share of it in the other makes a near duplicate",
    "COPYDESK_NEAR_DUPLICATE_OTHER_SITE_MIN_LENGTH_RATIO": "the same bound for two articles of different sites",
    "COPYDESK_RECRAWL_THRESHOLD": "share of a URL's earlier version found in a body from the other format that makes a re-crawl",
}


class _Reads(dict):
    """An empty environment that remembers which variables were asked for, and with which default."""

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        self.setdefault(name, default)
        return default


def variables() -> dict[str, Any]:
    """Every environment variable `Settings.from_env` reads -> its default (None: no default)."""
    reads = _Reads()
    Settings.from_env(reads)
    return dict(reads)


def described() -> list[tuple[str, str, str]]:
    """(variable, default as text, meaning) of every setting, in the order `from_env` reads them."""
    topic_defaults = Topics.from_prefix("<prefix>", {})
    rows = []
    for name, default in variables().items():
        topic = name.removeprefix("COPYDESK_TOPIC_").lower()
        if name.startswith("COPYDESK_TOPIC_") and topic in Topics.__dataclass_fields__:
            rows.append((name, getattr(topic_defaults, topic), "the name of this one topic or table"))
            continue
        rows.append((name, "" if default is None else str(default), MEANINGS.get(name, "")))
    return rows


#: `COPYDESK_*` variables that the project's scripts read, not copydesk: no warning for them.
NOT_SETTINGS = frozenset({
    "COPYDESK_CACHE",  # deploy/kafka/broker.sh: where the Kafka jars are kept
    "COPYDESK_TLS_DIR",  # docker-compose.yml: the certificates to mount
    "COPYDESK_FAULT_ROUNDS", "COPYDESK_FAULT_MESSAGES", "COPYDESK_FAULT_SEED",  # tests/faults
})


def unknown_variables(env: Mapping[str, str] | None = None) -> list[str]:
    """`COPYDESK_*` names in the environment that no setting reads: most often a misspelling."""
    env = os.environ if env is None else env
    known = variables()
    return sorted(name for name in env if name.startswith("COPYDESK_") and name not in known and name not in NOT_SETTINGS)


def log_format_from_env(env: Mapping[str, str] | None = None) -> str:
    """COPYDESK_LOG_FORMAT when it is one copydesk writes, else the default: the format of a
    worker's line about the settings it cannot use, which it writes without a `Settings`."""
    default = Settings().log_format
    value = _log_format(os.environ if env is None else env, default)
    return value if value in LOG_FORMATS else default


#: The log formats copydesk writes (`Settings.log_format`).
LOG_FORMATS = ("json", "text")


def _log_format(env: Mapping[str, str], default: str) -> str:
    """COPYDESK_LOG_FORMAT as both readers take it (`Settings.from_env`, `log_format_from_env`)."""
    return env.get("COPYDESK_LOG_FORMAT", default).lower()


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    return _parsed(env, name, default, int, "an integer")


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    return _parsed(env, name, default, float, "a number")


def _parsed(env: Mapping[str, str], name: str, default: Any, kind: Callable[[str], Any], what: str) -> Any:
    value = env.get(name, default)
    if value is None or value == "":
        value = default
    if not isinstance(value, str):
        return value
    try:
        return kind(value)
    except ValueError:
        raise SettingsError(f"{name} must be {what}, not {value!r}") from None
