"""The readers of the command line on the real broker: `copydesk outputs` as a kcat user would
use it, `replay-dead-letters` refusing what it cannot do, neither creating a topic, and the
commands `make demo` prints working as printed.

No worker runs here: the output topics are filled with real records made by the offline mode
(`streams.offline.process_into`, the workers' own steps), which is all a reader sees."""

from __future__ import annotations

import asyncio
import os
import re
import select
import signal
import subprocess
import sys
import time

import orjson
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from streams.kafka_io import client_options, ensure_topics, send_keyed
from streams.offline import process_into, read_messages
from streams.settings import Settings
from tests.integration.workers import REPO_ROOT, unique_env

SAMPLES = REPO_ROOT / "samples" / "raw.jsonl"


def copydesk(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("COPYDESK_", "KAFKA_"))}
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", *args],
        cwd=REPO_ROOT, env={**base, **env}, capture_output=True, text=True, timeout=timeout, check=False,
    )


async def topic_names(settings: Settings) -> set[str]:
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


@pytest.fixture(scope="module")
def filled(kafka_bootstrap, tmp_path_factory) -> tuple[dict[str, str], dict[str, list[dict]]]:
    """A prefix whose output topics hold the samples' outcomes: 10 enriched, 4 duplicates, 6 dead letters."""
    env = unique_env(kafka_bootstrap, tmp_path_factory.mktemp("state"), COPYDESK_ENTITIES="off")
    settings = Settings.from_env(env)
    outcomes: dict[str, list[bytes]] = {role: [] for role in settings.topics.outputs()}
    with SAMPLES.open("rb") as stream:
        process_into(read_messages(stream), settings, lambda role, value: outcomes[role].append(value))

    async def fill() -> None:
        await ensure_topics(settings)
        for role, values in outcomes.items():
            name = settings.topics.outputs()[role]
            await send_keyed(settings, name, ((orjson.loads(v).get("id", "").encode() or None, v) for v in values))

    asyncio.run(fill())
    return env, {role: [orjson.loads(v) for v in values] for role, values in outcomes.items()}


def test_outputs_prints_json_lines_on_stdout_and_counts_on_stderr(filled):
    env, outcomes = filled
    proc = copydesk(env, "outputs", "--json")
    assert proc.returncode == 0, proc.stderr
    printed = [orjson.loads(line) for line in proc.stdout.splitlines()]  # stdout is records only
    expected = [r for records in outcomes.values() for r in records]
    key = lambda r: orjson.dumps(r, option=orjson.OPT_SORT_KEYS)  # noqa: E731
    assert sorted(map(key, printed)) == sorted(map(key, expected))
    assert proc.stderr.strip() == "copydesk: 20 records (10 on enriched, 4 on duplicates, 6 on dead-letter)"


def test_outputs_summary_lines_are_labelled_and_carry_the_url(filled):
    env, outcomes = filled
    proc = copydesk(env, "outputs", "--topic", "duplicates")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 4
    for record in outcomes["duplicates"]:
        (line,) = [ln for ln in lines if ln.endswith(f" url={record['url']}")]
        assert f" id={record['id'][:12]} duplicate_of={record['dedup']['duplicate_of'][:12]} " in line
        assert line.startswith("duplicates[") and f"title={record['title']!r}" in line


def test_outputs_stops_after_n_and_reports_a_timeout_with_exit_1(filled):
    env, _outcomes = filled
    two = copydesk(env, "outputs", "-n", "2", "--json", "-t", "dead-letter")
    assert two.returncode == 0 and len(two.stdout.splitlines()) == 2, two.stderr
    assert all(orjson.loads(line)["error"]["kind"] for line in two.stdout.splitlines())
    short = copydesk(env, "outputs", "-n", "25", "--timeout", "3")
    assert short.returncode == 1, short.stderr
    assert len(short.stdout.splitlines()) == 20
    assert "gave up after 3 s before 25 records (--timeout)" in short.stderr
    fresh = copydesk(env, "outputs", "-f", "--from", "end", "--timeout", "2")
    assert fresh.returncode == 0 and fresh.stdout == "", fresh.stderr  # nothing new arrived


async def test_readers_never_create_topics_and_say_which_is_missing(kafka_bootstrap, tmp_path):
    env = unique_env(kafka_bootstrap, tmp_path)
    settings = Settings.from_env(env)
    before = await topic_names(settings)
    outputs = copydesk(env, "outputs", "-n", "1")
    replay = copydesk(env, "replay-dead-letters", "--kind", "empty_body")
    after = await topic_names(settings)
    assert after == before, f"a reader created {sorted(after - before)}"
    assert outputs.returncode == replay.returncode == 6, (outputs.stderr, replay.stderr)
    assert f"no topic {settings.topics.dead_letter}" in outputs.stderr and "COPYDESK_TOPIC_PREFIX" in outputs.stderr
    assert len(outputs.stderr.strip().splitlines()) == 1 and "Traceback" not in outputs.stderr + replay.stderr


def test_an_unknown_kind_is_refused_before_reading_anything(filled):
    env, _outcomes = filled
    proc = copydesk(env, "replay-dead-letters", "--kind", "empty_bdy", "--dry-run")
    assert proc.returncode == 2
    assert "invalid choice: 'empty_bdy'" in proc.stderr and "'empty_body'" in proc.stderr
    assert proc.stdout == ""
    dry = copydesk(env, "replay-dead-letters", "--kind", "empty_body", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.strip().splitlines()[-1].startswith("would send 1 of 6 dead letters read")


def test_the_commands_make_demo_prints_read_its_outputs(filled):
    env, _outcomes = filled
    host, port = env["KAFKA_BOOTSTRAP_SERVERS"].rsplit(":", 1)
    if host != "127.0.0.1":
        pytest.skip("make demo runs its broker on 127.0.0.1")
    printed = subprocess.run(
        ["bash", "deploy/demo.sh", "readers"], cwd=REPO_ROOT, env={**os.environ, **env, "DEMO_KAFKA_PORT": port},
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout
    lines = [line.split("#")[0].strip() for line in printed.splitlines()]
    (export,) = [line for line in lines if line.startswith("export ")]
    assert f"COPYDESK_TOPIC_PREFIX={env['COPYDESK_TOPIC_PREFIX']}" in export
    for command in [line for line in lines if line.startswith(".venv/bin/copydesk outputs") and " -f" not in line]:
        venv = command.replace(".venv/bin/copydesk", f"{sys.executable} -m streams.cli")  # this test's interpreter
        proc = subprocess.run(["bash", "-c", f"{export} && {venv}"], cwd=REPO_ROOT, env={k: v for k, v in os.environ.items() if not k.startswith(("COPYDESK_", "KAFKA_"))},
                              capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, (command, proc.stderr)
        assert len(proc.stdout.splitlines()) == 20, (command, proc.stdout[-2000:])


def test_following_prints_new_records_as_they_come_and_ctrl_c_ends_it_cleanly(filled):
    env, outcomes = filled
    settings = Settings.from_env(env)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("COPYDESK_", "KAFKA_"))}
    follower = subprocess.Popen(
        [sys.executable, "-m", "streams.cli", "outputs", "-f", "--from", "end", "-t", "enriched", "--json"],
        cwd=REPO_ROOT, env={**base, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal, also under a runner that ignores it
    )
    try:
        first = outcomes["enriched"][0]
        deadline = time.monotonic() + 60
        while True:  # a record sent after the follower is reading arrives on its stdout, alone
            asyncio.run(send_keyed(settings, settings.topics.enriched, [(first["id"].encode(), orjson.dumps(first))]))
            ready, _w, _x = select.select([follower.stdout], [], [], 3)
            if ready or time.monotonic() > deadline:
                break
        assert ready, "the follower printed nothing within 60 s"
        assert orjson.loads(follower.stdout.readline()) == first
        follower.send_signal(signal.SIGINT)
        _out, err = follower.communicate(timeout=60)
    finally:
        follower.kill()
    assert follower.returncode == 0, err
    assert re.fullmatch(r"copydesk: \d+ records \(\d+ on enriched\)\n", err), err
