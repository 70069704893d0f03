"""The faust app factory: one `Copydesk` bundle per worker (app, topics, tables, metrics, options).

Nothing is created at import time: `create_app(settings)` builds everything from one `Settings`,
so tests and the CLI can build as many apps as they need, each with its own names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import faust
from faust.auth import SASLCredentials, SSLCredentials

from processors.options import StageOptions
from streams import faust_fixes
from streams import tables as tables_module
from streams import topics as topics_module
from streams.kafka_io import ssl_context
from streams.metrics import Metrics
from streams.settings import Settings, pipeline_version


@dataclass(frozen=True, slots=True)
class Copydesk:
    settings: Settings
    app: faust.App
    topics: topics_module.TopicSet
    tables: tables_module.TableSet
    metrics: Metrics
    options: StageOptions
    version: str


def create_app(settings: Settings, metrics: Metrics | None = None) -> Copydesk:
    version = pipeline_version()
    app = faust_fixes.App(
        settings.app_id,
        # faust would read upper-case variables of its own (BROKER_COMMIT_EVERY, PRODUCER_LINGER,
        # TABLE_STANDBY_REPLICAS, ...) over these arguments: Settings is the only reader of the
        # environment, so faust gets none.
        env={},
        broker=settings.broker_url,
        broker_credentials=_credentials(settings),
        store=settings.store,
        datadir=str(Path(settings.data_dir)),
        autodiscover=False,
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        # `ensure_topics` creates every topic before faust starts; faust would send CreateTopics
        # again for each one it has no metadata of yet, which an authorizer refuses to a principal
        # without Create even when the topic exists.
        topic_allow_declare=False,
        # faust's leader-election topic (<app id>-__assignor-__leader) serves on_leader timers and
        # app.is_leader(), which copydesk does not use: without it every topic is under the prefix.
        topic_disable_leader=True,
        processing_guarantee=settings.processing_guarantee,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.consumer_session_timeout_s,
        broker_heartbeat_interval=min(3.0, settings.consumer_session_timeout_s / 3),
        producer_acks=-1,
        producer_linger=settings.producer_linger_ms / 1000,
        broker_commit_interval=settings.commit_interval_ms / 1000,
        producer_max_batch_size=256 * 1024,
        producer_max_request_size=settings.stage.max_record_bytes,
        consumer_max_fetch_size=settings.stage.max_record_bytes,
        web_enabled=True,
        web_host=settings.web_host,
        web_bind=settings.web_host,
        web_port=settings.web_port,
        web_in_thread=False,
        table_standby_replicas=settings.table_standby_replicas,
        version=1,
        TableManager=faust_fixes.SeekBeforeResumeTableManager,
    )
    bundle = Copydesk(
        settings=settings,
        app=app,
        topics=topics_module.declare(app, settings),
        tables=tables_module.declare(app, settings),
        metrics=metrics or Metrics(version),
        options=settings.stage,
        version=version,
    )
    from streams.agents import register  # agents need the bundle; they import nothing else

    register(bundle)
    return bundle


def _credentials(settings: Settings):
    sec = settings.security
    if sec.protocol == "PLAINTEXT":
        return None
    context = ssl_context(settings) if sec.protocol in ("SSL", "SASL_SSL") else None
    if sec.protocol == "SSL":
        return SSLCredentials(context)
    return SASLCredentials(
        username=sec.sasl_username,
        password=sec.sasl_password.reveal() if sec.sasl_password else None,
        mechanism=sec.sasl_mechanism or "PLAIN",
        ssl_context=context,
    )
