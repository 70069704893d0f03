"""copydesk: clean, extract and de-duplicate crawled news on Kafka.

Every command reads its settings from the environment (`copydesk worker --help` lists them).

  copydesk worker                 run a worker: every stage, on Kafka
  copydesk process FILE           the same stages in-process over a JSONL file, no Kafka
                                  (or over WARC files: FILE.warc[.gz] ..., or directories)
  copydesk topics create          create the topics a worker uses that are missing (an operator,
                                  when the workers' principal may not create topics)
  copydesk produce FILE           publish a JSONL file of raw messages to the input topic
                                  (or the article pages of WARC files)
  copydesk outputs                print what is on the output topics, as it arrives
  copydesk replay-dead-letters    send the original bytes of some dead letters to the input again
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import difflib
import errno
import gc
import logging
import os
import signal
import socket
import sys
import textwrap
import typing
from collections import Counter
from enum import IntEnum
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator

import orjson

from streams import entities_model, local_state, logs
from streams.settings import (
    Settings,
    SettingsError,
    described,
    log_format_from_env,
    pipeline_version,
    unknown_variables,
    variables,
)
from streams.warc import is_warc


class Exit(IntEnum):
    """The exit codes, one per kind of failure, so that scripts can tell them apart."""

    OK = 0
    INCOMPLETE = 1
    USAGE = 2
    KAFKA_UNREACHABLE = 3
    INPUT_UNREADABLE = 4
    PORT_IN_USE = 5
    NO_TOPIC = 6
    ACCESS_DENIED = 7
    ORIGINAL_GONE = 8
    BUG = 70
    INTERRUPTED = 130


EXIT_MEANINGS = {
    Exit.OK: "done",
    Exit.INCOMPLETE: "stopped by --timeout before -n records came (outputs) or before the topic's end (replay)",
    Exit.USAGE: "a wrong argument, or a setting copydesk cannot use",
    Exit.KAFKA_UNREACHABLE: "no connection to the Kafka brokers with these settings (address, protocol, credentials), or (worker) none for longer than a request's timeout while it recovered its tables",
    Exit.INPUT_UNREADABLE: "the input file cannot be read, or --out-dir cannot be written",
    Exit.PORT_IN_USE: "a port the worker listens on is taken (COPYDESK_METRICS_PORT, COPYDESK_WEB_PORT)",
    Exit.NO_TOPIC: "a topic to read does not exist (readers never create topics)",
    Exit.ACCESS_DENIED: "the brokers refuse this principal something copydesk needs (a missing ACL: see the README's ACL table)",
    Exit.ORIGINAL_GONE: "replay: the original of some dead letters is no longer in the raw topic (its retention deleted it)",
    Exit.BUG: "an unexpected error inside copydesk: a bug, shown with its traceback",
    Exit.INTERRUPTED: "interrupted (Ctrl-C)",
}


class Failure(Exception):
    """An expected failure: one line for the user, and its exit code."""

    def __init__(self, code: Exit, message: str) -> None:
        super().__init__(message)
        self.code = code


# ------------------------------------------------------------------------------------ the parser


def exit_codes_text() -> str:
    return "exit codes:\n" + "\n".join(f"  {int(code):<4} {text}" for code, text in EXIT_MEANINGS.items())


def settings_text() -> str:
    # stable sorts: the brokers' address first, then the other Kafka client settings, then copydesk's
    rows = sorted(described(), key=lambda row: (not row[0].startswith("KAFKA_"), row[0] != "KAFKA_BOOTSTRAP_SERVERS"))
    width = max(len(name) for name, _d, _m in rows)
    lines = [f"  {name:<{width}}  {meaning}" + (f" [{default}]" if default else "") for name, default, meaning in rows]
    return "settings (environment variables, [default]):\n" + "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="copydesk", description=__doc__, epilog=exit_codes_text(), formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"copydesk {pipeline_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (add_worker, add_process, add_topics, add_produce, add_outputs, add_replay):
        add(sub)
    return parser


def _command(sub: argparse._SubParsersAction, name: str, summary: str, description: str = "", epilog: str = "") -> argparse.ArgumentParser:
    return sub.add_parser(
        name,
        help=summary,
        description=textwrap.fill(description or summary, 100),
        epilog="\n\n".join(part for part in (epilog, exit_codes_text()) if part),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_worker(sub: argparse._SubParsersAction) -> None:
    p = _command(
        sub,
        "worker",
        "run a worker: every stage, on Kafka",
        "Runs every stage on Kafka until SIGTERM or SIGINT. Workers with the same COPYDESK_APP_ID share "
        "the partitions; on one machine each needs its own COPYDESK_METRICS_PORT, COPYDESK_WEB_PORT and "
        "COPYDESK_DATA_DIR. Creates the topics it needs that do not exist.",
        settings_text(),
    )
    p.set_defaults(run=run_worker)


def add_process(sub: argparse._SubParsersAction) -> None:
    p = _command(
        sub,
        "process",
        "run the stages in-process over a JSONL file of raw messages (no Kafka)",
        "Runs the workers' stages in-process over a JSONL file (one raw message a line), with the tables "
        "in memory. Writes every outcome as a JSON line to stdout, in input order, or with --out-dir one "
        "file per output topic. A progress bar goes to stderr when it is a terminal.",
    )
    p.add_argument("input", nargs="+", help="JSONL file of raw messages, or - for stdin; or WARC files (.warc, .warc.gz) and directories of them")
    p.add_argument("-o", "--out-dir", default="-", help="write DIR/<topic name>.jsonl per output topic (default: - for stdout; WARC input needs a DIR)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, help="a progress bar on stderr (default: when stderr is a terminal)")
    p.add_argument("--json", action="store_true", help="WARC input: print the summary as one JSON object on stdout")
    p.set_defaults(run=run_process)


def add_topics(sub: argparse._SubParsersAction) -> None:
    p = _command(
        sub,
        "topics",
        "create the topics a worker uses",
        "create: every topic a worker with these settings uses that does not exist yet (COPYDESK_PARTITIONS "
        "partitions, COPYDESK_REPLICATION_FACTOR replicas, changelogs compacted, max.message.bytes for "
        "COPYDESK_MAX_PAYLOAD_BYTES). For an operator, with an admin's credentials, where the workers' "
        "principal may not create topics.",
    )
    p.add_argument("action", choices=["create"])
    p.set_defaults(run=run_topics)


def add_produce(sub: argparse._SubParsersAction) -> None:
    p = _command(sub, "produce", "publish a JSONL file of raw messages, or the article pages of WARC files, to the input topic, keyed by url")
    p.add_argument("file", nargs="+", help="JSONL file (each non-blank line is sent as it is), or - for stdin; or WARC files (.warc, .warc.gz) and directories of them")
    p.add_argument("--json", action="store_true", help="WARC input: print the summary as one JSON object on stdout")
    p.set_defaults(run=run_produce)


def add_outputs(sub: argparse._SubParsersAction) -> None:
    roles = ", ".join(role.replace("_", "-") for role in Settings().topics.outputs())
    p = _command(
        sub,
        "outputs",
        "print the records of the output topics as they arrive",
        "Reads the output topics without a consumer group and prints each record as it arrives: one "
        "summary line, or with --json the record itself, on stdout. Counts go to stderr. Without -f or "
        "-n it stops at the end the topics had when it started. It never creates a topic.",
    )
    p.add_argument("-t", "--topic", action="append", metavar="TOPIC", help=f"{roles}, or a topic's full name (repeatable; default: the three)")
    p.add_argument("--from", dest="start", choices=["beginning", "end"], default="beginning", help="where to start reading (default: beginning)")
    p.add_argument("-f", "--follow", action="store_true", help="keep reading new records until Ctrl-C (or -n, --timeout)")
    p.add_argument("-n", type=int, dest="limit", metavar="N", help="stop after N records, waiting for them up to --timeout")
    p.add_argument("--expect", type=int, dest="limit", help=argparse.SUPPRESS)
    p.add_argument("--timeout", type=float, help="give up after this many seconds (default: 60, none with -f)")
    p.add_argument("--json", action="store_true", help="print whole records as JSON lines (for jq)")
    p.set_defaults(run=run_outputs)


def add_replay(sub: argparse._SubParsersAction) -> None:
    from processors.errors import KINDS
    from processors.pipeline import Stage
    from processors.warc import STAGE as WARC_STAGE

    width = max(map(len, KINDS))
    kinds = "\n".join(f"  {kind:<{width}}  {meaning}" for kind, meaning in KINDS.items())
    p = _command(
        sub,
        "replay-dead-letters",
        "re-publish the original inputs of dead letters of some kinds to the input topic",
        "Reads the dead-letter topic up to its current end and sends the original bytes of each dead letter "
        "of the given kinds (and stage) to the input topic, keyed by url. Progress is kept in a consumer "
        "group per filter (<app id>.replay-dead-letters.<kinds>[.<stage>]), committed once the broker "
        "acknowledged every re-sent message: running the same command again sends only letters that came "
        "since. A replayed input is a new input offset with its own outcome. Letters of stage warc are "
        "counted, not sent: their original is in a WARC file; produce the file again once it is repaired (or the limit raised).",
        f"kinds:\n{kinds}",
    )
    p.add_argument("--kind", action="append", required=True, choices=list(KINDS), metavar="KIND", help="error kind to replay (repeatable; see below)")
    p.add_argument("--stage", choices=(*typing.get_args(Stage), WARC_STAGE), help="only letters of this stage: %(choices)s")
    p.add_argument("--dry-run", action="store_true", help="print what would be sent and how many; send and commit nothing")
    p.add_argument("--from-beginning", action="store_true", help="ignore the group's progress: every letter of the topic")
    p.add_argument("--group", help="consumer group that keeps the progress (default: one per --kind/--stage filter)")
    p.add_argument("--timeout", type=float, default=60.0, help="give up reading after this many seconds")
    p.set_defaults(run=run_replay)


# ------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    worker = args.command == "worker"
    say = _logger_say if worker else _plain_say
    try:
        settings = Settings.from_env()
        if worker:
            logs.configure(settings.log_level, settings.log_format)
        else:
            _quiet_kafka_client_logs()
        for name in unknown_variables():
            close = difflib.get_close_matches(name, list(variables()), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            say(logging.WARNING, f"{name} is not a copydesk setting and is ignored{hint}")
        return int(args.run(settings, args))
    except Failure as exc:
        say(logging.ERROR, str(exc))
        return exc.code
    except SettingsError as exc:
        if worker:  # the line goes to the worker's log, in its format, also before logging was set up
            logs.configure(logging.getLevelName(logging.INFO), log_format_from_env())
        say(logging.ERROR, str(exc))
        return Exit.USAGE
    except KeyboardInterrupt:
        return Exit.INTERRUPTED
    except BrokenPipeError:
        # the reader of stdout went away (`| head`): not an error; keep Python quiet at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return Exit.OK
    except Exception as exc:  # noqa: BLE001 - anything else is a bug: say so, with the traceback
        known = _known_failure(exc)
        if known:
            say(logging.ERROR, str(exc))
            return known
        if worker:
            logging.getLogger("copydesk").exception("internal error (a bug in copydesk): %s", exc)
        else:
            import traceback

            traceback.print_exc()
            print(f"copydesk {args.command}: internal error (a bug in copydesk): {exc!r}", file=sys.stderr)
        return Exit.BUG


def _known_failure(exc: Exception) -> Exit | None:
    from aiokafka import errors

    from streams.access import AccessDenied
    from streams.kafka_io import KafkaUnreachable, TopicMissing

    if isinstance(exc, KafkaUnreachable):
        return Exit.KAFKA_UNREACHABLE
    if isinstance(exc, TopicMissing):
        return Exit.NO_TOPIC
    # The worker checks its ACLs before it starts (streams/access.py); the other commands meet
    # the broker's refusal in their requests.
    refusals = (
        AccessDenied,
        errors.TopicAuthorizationFailedError,
        errors.GroupAuthorizationFailedError,
        errors.ClusterAuthorizationFailedError,
        errors.TransactionalIdAuthorizationFailed,
    )
    if isinstance(exc, refusals):
        return Exit.ACCESS_DENIED
    return None


def _plain_say(level: int, message: str) -> None:
    word = "error" if level >= logging.ERROR else "warning"
    print(f"copydesk: {word}: {message}", file=sys.stderr)


def _logger_say(level: int, message: str) -> None:
    logging.getLogger("copydesk").log(level, message)


def _quiet_kafka_client_logs() -> None:
    """The commands other than `worker` say one line per failure: aiokafka's own error lines (its
    reason is folded into that line by `kafka_io.start`) stay out of the terminal."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("copydesk: %(levelname)s: %(name)s: %(message)s"))
    handler.addFilter(lambda record: not record.name.startswith("aiokafka"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


# ------------------------------------------------------------------------------------ commands


def run_worker(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.runs_pipeline:
        return run_enricher(settings, args)
    from faust.worker import Worker

    from streams.access import check_worker
    from streams.app import create_app
    from streams.faust_fixes import RecoveryTimeout
    from streams.kafka_io import ensure_topics

    _check_port(settings.metrics_host, settings.metrics_port, "COPYDESK_METRICS_PORT")
    _check_port(settings.web_host, settings.web_port, "COPYDESK_WEB_PORT")
    _check_data_dir(Path(settings.data_dir))
    entities_model.warm(settings.stage.entities)  # at start, not in the first message's time budget
    created = asyncio.run(ensure_topics(settings))
    if created:
        logging.getLogger("copydesk").info("created topics %s", ", ".join(created))
    asyncio.run(check_worker(settings))
    bundle = create_app(settings)
    tabledir = Path(bundle.app.conf.tabledir)
    local_state.prepare(tabledir, settings.processing_guarantee == "exactly_once")
    try:
        bundle.metrics.serve(settings.metrics_host, settings.metrics_port)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise _port_in_use(settings.metrics_host, settings.metrics_port, "COPYDESK_METRICS_PORT") from None
    logging.getLogger("copydesk").info(
        "copydesk %s: metrics on http://%s:%d/metrics, health on http://%s:%d/healthz",
        bundle.version,
        settings.metrics_host,
        settings.metrics_port,
        settings.web_host,
        settings.web_port,
    )
    worker = Worker(
        bundle.app,
        loglevel=settings.log_level,
        redirect_stdouts=False,
        quiet=True,
        override_logging=False,
    )
    worker.spinner = None  # faust's spinner writes terminal escapes to stdout, even into a log file
    _freeze_heap()
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        if exc.code in (0, None) and worker.crash_reason is None:
            local_state.mark_clean_stop(tabledir)
        if isinstance(worker.crash_reason, RecoveryTimeout):  # the brokers went away mid-recovery
            raise Failure(Exit.KAFKA_UNREACHABLE, str(worker.crash_reason)) from None
        raise
    return Exit.OK


def run_enricher(settings: Settings, _args: argparse.Namespace) -> int:
    """A worker of the enrichment role alone (`COPYDESK_ROLES=enrich`): no faust, no tables."""
    from streams.access import check_worker
    from streams.enricher import Enricher
    from streams.kafka_io import ensure_topics
    from streams.metrics import Metrics

    _check_port(settings.metrics_host, settings.metrics_port, "COPYDESK_METRICS_PORT")
    entities_model.warm(settings.stage.entities)
    asyncio.run(ensure_topics(settings))
    asyncio.run(check_worker(settings))  # the same grants cover enrichment's group and transactional ids
    metrics = Metrics(pipeline_version())
    metrics.serve(settings.metrics_host, settings.metrics_port)
    logging.getLogger("copydesk").info(
        "copydesk enrichment worker: group %s, metrics on http://%s:%d/metrics",
        settings.enrich_group,
        settings.metrics_host,
        settings.metrics_port,
    )

    _freeze_heap()

    async def serve() -> None:
        task = asyncio.create_task(Enricher(settings, metrics).run_forever())
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(serve())
    return Exit.OK


def _freeze_heap() -> None:
    """Keep what a worker loaded at start out of the garbage collector's full passes.

    The entity model, the libraries and their vocabularies are millions of objects that live as
    long as the process; a full collection walks them all while holding the interpreter, so every
    agent and the model's thread stop for a tenth of a second or more, often enough to make the
    tail of the latency. `gc.freeze` moves them out of the collector's view (after a collection,
    so no garbage is kept); what the worker makes later is collected as before."""
    gc.collect()
    gc.freeze()


def _check_port(host: str, port: int, setting: str) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise _port_in_use(host, port, setting) from None
            if exc.errno == errno.EACCES:  # a port under 1024 for a user without the privilege
                raise Failure(
                    Exit.USAGE,
                    f"{setting}: may not listen on {host}:{port} ({exc.strerror}): give a port from 1024 up, or run where the port is allowed",
                ) from None
            if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
                host_setting = setting.removesuffix("_PORT") + "_HOST"
                raise Failure(
                    Exit.USAGE, f"{host_setting}: cannot listen on {host!r} ({exc.strerror}): give an address of this machine"
                ) from None
            raise


def _check_data_dir(data_dir: Path) -> None:
    """Make the data dir, or say which setting names a place that cannot be one (before faust
    meets it, with a traceback and an exit code of its own)."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(data_dir, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
    except OSError as exc:
        raise Failure(Exit.USAGE, f"COPYDESK_DATA_DIR: cannot make or write {data_dir} ({exc.strerror})") from None


def _port_in_use(host: str, port: int, setting: str) -> Failure:
    return Failure(
        Exit.PORT_IN_USE,
        f"{setting}: {host}:{port} is already in use (another worker on this machine?); give each worker "
        "its own COPYDESK_METRICS_PORT, COPYDESK_WEB_PORT and COPYDESK_DATA_DIR",
    )


def _warc(settings: Settings, args: argparse.Namespace, names: list[str]) -> int | None:
    """`produce`/`process` over WARC files (streams/warc.py), when that is what was given."""
    if len(names) == 1 and not is_warc(names[0]):
        return None
    from streams.warc import InputError, run_command

    out_dir = getattr(args, "out_dir", None)
    if args.command == "process" and out_dir == "-":
        raise Failure(Exit.USAGE, "WARC input writes files: give --out-dir DIR")
    if args.command == "process":
        entities_model.warm(settings.stage.entities)
    try:
        return run_command(settings, args.command, names, Path(out_dir) if out_dir else None, args.json, getattr(args, "progress", None))
    except InputError as exc:
        raise Failure(Exit.USAGE if exc.usage else Exit.INPUT_UNREADABLE, str(exc)) from None


def run_process(settings: Settings, args: argparse.Namespace) -> int:
    from streams.offline import process, process_into, read_messages

    warc = _warc(settings, args, args.input)
    if warc is not None:
        return warc
    (name,) = args.input
    batch = 1 if name == "-" else None  # standard input may be a stream: each outcome at once
    logs.configure(settings.log_level, settings.log_format)
    with _open(name) as stream, _progress(stream, name, args.progress) as lines:
        entities_model.warm(settings.stage.entities)  # once the input is known to be there
        if args.out_dir == "-":
            out = sys.stdout.buffer

            def write(_role: str, value: bytes) -> None:
                out.write(value + b"\n")
                out.flush()

            counts = process_into(read_messages(lines), settings, write, batch)
        else:
            out_dir = Path(args.out_dir)
            try:
                out_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise Failure(Exit.INPUT_UNREADABLE, f"cannot write to {out_dir}: {exc.strerror} (--out-dir)") from None
            counts = process(read_messages(lines), settings, out_dir, batch)
    names = settings.topics.outputs()
    where = "" if args.out_dir == "-" else f" in {args.out_dir}"
    parts = ", ".join(f"{counts.get(role, 0)} {role.replace('_', '-')}" for role in names)
    print(f"copydesk: {sum(counts.values())} inputs: {parts}{where}", file=sys.stderr)
    return Exit.OK


@contextlib.contextmanager
def _progress(stream: IO[bytes], name: str, enabled: bool | None) -> Iterator[Iterable[bytes]]:
    """The lines of `stream`, advancing a progress bar on stderr (bytes read; on a terminal only,
    unless `enabled` says otherwise)."""
    from tqdm import tqdm

    total = None if name == "-" else os.path.getsize(name)
    with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, disable=None if enabled is None else not enabled, desc="process") as bar:

        def lines() -> Iterator[bytes]:
            for line in stream:
                bar.update(len(line))
                yield line

        yield lines()


def run_topics(settings: Settings, _args: argparse.Namespace) -> int:
    from streams.kafka_io import ensure_topics

    created = asyncio.run(ensure_topics(settings))
    print(f"created {len(created)} topics{': ' + ', '.join(created) if created else ''}", file=sys.stderr)
    return Exit.OK


def run_produce(settings: Settings, args: argparse.Namespace) -> int:
    from streams.kafka_io import ensure_topics, produce
    from streams.offline import read_messages

    warc = _warc(settings, args, args.file)
    if warc is not None:
        return warc
    with _open(args.file[0]) as stream:
        messages = list(read_messages(stream))
    asyncio.run(ensure_topics(settings))
    sent = asyncio.run(produce(settings, messages))
    print(f"sent {sent} messages to {settings.topics.raw}", file=sys.stderr)
    return Exit.OK


def run_outputs(settings: Settings, args: argparse.Namespace) -> int:
    from streams.kafka_io import read, topic_partitions

    topics = _output_topics(settings, args.topic)
    short = {name: role.replace("_", "-") for role, name in settings.topics.outputs().items()}
    counts: Counter = Counter()
    out = sys.stdout

    def show(record: tuple) -> None:
        topic, partition, offset, _key, value = record
        counts[topic] += 1
        if args.json:
            out.write(value.decode("utf-8", "replace") + "\n")
        else:
            out.write(f"{short.get(topic, topic)}[{partition}]@{offset} {summarise(value)}\n")
        out.flush()

    timeout = args.timeout if args.timeout is not None else (None if args.follow else 60.0)

    async def go():
        partitions = await topic_partitions(settings, topics)
        return await read(settings, partitions, show, from_end=args.start == "end", follow=args.follow, limit=args.limit, timeout_s=timeout)

    interrupted = False
    result = None
    try:
        result = asyncio.run(go())
    except KeyboardInterrupt:
        interrupted = True  # the way to stop -f: not a failure
    total = sum(counts.values())
    per_topic = ", ".join(f"{counts.get(t, 0)} on {short.get(t, t)}" for t in topics)
    print(f"copydesk: {total} records ({per_topic})", file=sys.stderr)
    if interrupted or (result is not None and result.complete):
        return Exit.OK
    wanted = f"{args.limit} records" if args.limit is not None else "the end of the topics"
    print(f"copydesk: gave up after {timeout:g} s before {wanted} (--timeout)", file=sys.stderr)
    return Exit.INCOMPLETE


def _output_topics(settings: Settings, chosen: list[str] | None) -> list[str]:
    outputs = {role.replace("_", "-"): name for role, name in settings.topics.outputs().items()}
    if not chosen:
        return list(outputs.values())
    return list(dict.fromkeys(outputs.get(name, name) for name in chosen))


def run_replay(settings: Settings, args: argparse.Namespace) -> int:
    from streams.kafka_io import replay_dead_letters

    verb = "would send" if args.dry_run else "sending"

    def show(chosen: tuple) -> None:
        partition, offset, kind, stage, key, payload = chosen
        url = key.decode("utf-8", "replace") if key else "-"
        print(f"{verb} {settings.topics.dead_letter}[{partition}]@{offset} {stage}/{kind} {url} ({len(payload)} bytes)")

    try:
        replay = asyncio.run(
            replay_dead_letters(
                settings,
                args.kind,
                args.stage,
                dry_run=args.dry_run,
                group=args.group,
                from_beginning=args.from_beginning,
                timeout_s=args.timeout,
                on_chosen=show,
            )
        )
    except TimeoutError as exc:
        raise Failure(Exit.INCOMPLETE, f"{exc} (--timeout)") from None
    for partition, offset, topic, raw_partition, raw_offset in replay.gone:
        print(
            f"copydesk: cannot replay {settings.topics.dead_letter}[{partition}]@{offset}: its original "
            f"{topic}[{raw_partition}]@{raw_offset} is no longer in Kafka (deleted by the topic's retention)",
            file=sys.stderr,
        )
    if replay.from_files:
        print(
            f"copydesk: not replayed: {replay.from_files} dead letters of stage warc, whose original is a record of "
            "a WARC file (the letter's topic and warc.offset say where): `copydesk produce` the file again once it is "
            "repaired (or, for payload_too_large, COPYDESK_MAX_PAYLOAD_BYTES raised)",
            file=sys.stderr,
        )
    chosen = len(replay.chosen)
    done = f"would send {chosen}" if args.dry_run else f"sent {replay.sent}"
    print(
        f"{done} of {replay.read} dead letters read to {settings.topics.raw} "
        f"({replay.other_kinds} of other kinds or stages, {replay.without_payload} without a payload, "
        f"{replay.from_files} from WARC files, {len(replay.gone)} whose original Kafka no longer has; "
        f"group {replay.group}{', not committed' if args.dry_run else ''})"
    )
    return Exit.ORIGINAL_GONE if replay.gone else Exit.OK


# ------------------------------------------------------------------------------------ helpers


def summarise(value: bytes | dict) -> str:
    """One line about an output record, each field labelled."""
    try:
        record = orjson.loads(value) if isinstance(value, (bytes, bytearray)) else value
    except orjson.JSONDecodeError:
        return f"(not JSON: {bytes(value)[:80]!r})"
    if not isinstance(record, dict):
        return f"(not an object: {str(record)[:80]})"
    if "error" in record:
        e = record["error"]
        where = f"input={record.get('topic')}[{record.get('partition')}]@{record.get('offset')}"
        url = f" url={record['url']}" if record.get("url") else ""
        return f"{e.get('stage')}/{e.get('kind')} {where}{url} {e.get('message', '')[:160]}"
    d = record.get("dedup") or {}
    if "id" not in record:
        return f"(not a copydesk record: {sorted(record)[:8]})"
    status = d.get("status", "?")
    of = f" duplicate_of={d['duplicate_of'][:12]}" if d.get("duplicate_of") else ""
    if "correction" in record:
        by = (record["correction"].get("by") or {})
        return (
            f"correction id={record['id'][:12]} is now {status}{of} (fetched earlier, decided later: "
            f"input={by.get('topic')}[{by.get('partition')}]@{by.get('offset')})"
        )
    similar = f" similarity={d['similarity']:.2f}" if status == "near_duplicate" and d.get("similarity") is not None else ""
    return (
        f"{status} id={record['id'][:12]}{of}{similar} lang={record.get('language')} "
        f"published={record.get('published_at')} words={record.get('word_count')} "
        f"title={record.get('title')!r} url={record.get('url')}"
    )


@contextlib.contextmanager
def _open(name: str) -> Iterator[IO[bytes]]:
    if name == "-":
        yield sys.stdin.buffer
        return
    try:
        f = open(name, "rb")
    except OSError as exc:
        raise Failure(Exit.INPUT_UNREADABLE, f"cannot read {name}: {exc.strerror}") from None
    with f:
        yield f


if __name__ == "__main__":
    sys.exit(main())
