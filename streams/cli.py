"""`copydesk`: the command line. Every command reads its settings from the environment.

    copydesk worker                      run a faust worker (all stages)
    copydesk process INPUT --out-dir D   the same stages in-process over a JSONL file (- = stdin)
                                         or WARC files (FILE.warc[.gz] ..., or directories)
    copydesk produce FILE                publish a JSONL file of raw messages to the input topic,
                                         or the article pages of WARC files
    copydesk outputs --expect N          print what is on the output topics (a summary per record)
    copydesk replay-dead-letters --kind K [--kind K2] [--stage S] [--dry-run]
                                         send the original bytes of those dead letters to the
                                         input topic again (e.g. after a fix), each letter once
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import IO, Iterator

import orjson

from streams import entities_model, logs
from streams.settings import Settings, SettingsError
from streams.warc import is_warc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="copydesk", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("worker", help="run a worker: the chained agents on Kafka")
    p = sub.add_parser("process", help="run the stages in-process over a JSONL file of raw messages, or WARC files")
    p.add_argument("input", nargs="+", help="JSONL file of raw messages, or - for stdin; or WARC files (.warc, .warc.gz) and directories of them")
    p.add_argument("--out-dir", required=True, type=Path)
    p.add_argument("--json", action="store_true", help="WARC input: print the summary as one JSON object on stdout")
    p = sub.add_parser("produce", help="publish a JSONL file of raw messages, or the article pages of WARC files, to the input topic")
    p.add_argument("file", nargs="+", help="JSONL file (each non-blank line is sent as it is), or - for stdin; or WARC files (.warc, .warc.gz) and directories of them")
    p.add_argument("--json", action="store_true", help="WARC input: print the summary as one JSON object on stdout")
    p = sub.add_parser("outputs", help="read the output topics from the beginning and summarise each record")
    p.add_argument("--expect", type=int, required=True, help="stop after this many records")
    p.add_argument("--timeout", type=float, default=60.0, help="give up after this many seconds")
    p.add_argument("--json", action="store_true", help="print whole records as JSON lines")
    p = sub.add_parser(
        "replay-dead-letters",
        help="re-publish the original inputs of dead letters of some kinds to the input topic",
        description="Reads the dead-letter topic up to its current end and sends the original bytes of "
        "each dead letter of the given kinds (and stage) to the input topic, keyed by url. Progress is "
        "kept in a consumer group per filter (<app id>.replay-dead-letters.<kinds>[.<stage>]), committed "
        "once the broker acknowledged every re-sent message: running the same command again sends only "
        "letters that came since. A replayed input is a new input offset with its own outcome.",
    )
    p.add_argument("--kind", action="append", required=True, help="error kind to replay (repeatable), e.g. empty_body")
    p.add_argument("--stage", choices=["cleaning", "extraction", "dedup_url", "dedup_content"], help="only letters of this stage")
    p.add_argument("--dry-run", action="store_true", help="print what would be sent and how many; send and commit nothing")
    p.add_argument("--from-beginning", action="store_true", help="ignore the group's progress: every letter of the topic")
    p.add_argument("--group", help="consumer group that keeps the progress (default: one per --kind/--stage filter)")
    p.add_argument("--timeout", type=float, default=60.0, help="give up reading after this many seconds")
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"copydesk: {exc}", file=sys.stderr)
        return 2

    if args.command in ("worker", "process"):
        entities_model.warm(settings.stage.entities)  # at start, not in the first message's time budget
    if args.command == "worker":
        return run_worker(settings)
    names = {"process": getattr(args, "input", None), "produce": getattr(args, "file", None)}.get(args.command) or []
    if len(names) > 1 or any(is_warc(n) for n in names):
        from streams.warc import run_command

        return run_command(settings, args.command, names, getattr(args, "out_dir", None), args.json)
    if args.command == "process":
        return run_process(settings, args.input[0], args.out_dir)
    if args.command == "produce":
        from streams.kafka_io import ensure_topics, produce
        from streams.offline import read_messages

        with _open(args.file[0]) as stream:
            messages = list(read_messages(stream))
        asyncio.run(ensure_topics(settings))
        sent = asyncio.run(produce(settings, messages))
        print(f"sent {sent} messages to {settings.topics.raw}")
        return 0
    if args.command == "outputs":
        return run_outputs(settings, args.expect, args.timeout, args.json)
    if args.command == "replay-dead-letters":
        return run_replay(settings, args)
    return 2


def run_worker(settings: Settings) -> int:
    from faust.worker import Worker

    from streams.app import create_app

    from streams.kafka_io import ensure_topics

    logs.configure(settings.log_level, settings.log_format)
    created = asyncio.run(ensure_topics(settings))
    if created:
        logging.getLogger("copydesk").info("created topics %s", ", ".join(created))
    bundle = create_app(settings)
    bundle.metrics.serve(settings.metrics_host, settings.metrics_port)
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
    worker.execute_from_commandline()
    return 0


def run_process(settings: Settings, source: str, out_dir: Path) -> int:
    from streams.offline import process, read_messages

    logs.configure(settings.log_level, settings.log_format)
    with _open(source) as stream:
        counts = process(read_messages(stream), settings, out_dir)
    names = settings.topics.outputs()
    for role, name in names.items():
        print(f"{counts.get(role, 0):6d}  {out_dir / (name + '.jsonl')}")
    return 0


def run_outputs(settings: Settings, expect: int, timeout: float, as_json: bool) -> int:
    from streams.kafka_io import read_outputs

    records = asyncio.run(read_outputs(settings, expect, timeout))
    per_topic: Counter = Counter()
    for topic, partition, offset, _key, value in sorted(records, key=lambda r: (r[0], r[1], r[2])):
        per_topic[topic] += 1
        if as_json:
            sys.stdout.write(value.decode("utf-8") + "\n")
            continue
        print(f"{topic}[{partition}]@{offset}: {summarise(orjson.loads(value))}")
    for topic in settings.topics.outputs().values():
        print(f"{per_topic.get(topic, 0):6d} records on {topic}")
    return 0 if len(records) >= expect else 1


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
        print(f"copydesk: {exc}", file=sys.stderr)
        return 1
    chosen = len(replay.chosen)
    done = f"would send {chosen}" if args.dry_run else f"sent {replay.sent}"
    print(
        f"{done} of {replay.read} dead letters read to {settings.topics.raw} "
        f"({replay.other_kinds} of other kinds or stages, {replay.without_payload} without a payload; "
        f"group {replay.group}{', not committed' if args.dry_run else ''})"
    )
    return 0


def summarise(record: dict) -> str:
    if "error" in record:
        e = record["error"]
        return f"DEAD LETTER {e['stage']}/{e['kind']}: {e['message'][:100]} (input {record['topic']}[{record['partition']}]@{record['offset']})"
    d = record["dedup"]
    of = f" of {d['duplicate_of'][:12]}" if d.get("duplicate_of") else ""
    return f"{d['status'].upper()}{of} {record['id'][:12]} {record['language']} {record['published_at']} {record['title']!r} ({record['word_count']} words)"


@contextlib.contextmanager
def _open(name: str) -> Iterator[IO[bytes]]:
    if name == "-":
        yield sys.stdin.buffer
        return
    with open(name, "rb") as f:
        yield f


if __name__ == "__main__":
    sys.exit(main())
