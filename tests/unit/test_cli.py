"""The command line as a user meets it, without a broker: `copydesk` run as a process, its exit
codes, stdout and stderr; and the vocabularies its help is made from (settings, dead-letter
kinds, stages) against the code that defines them and the README."""

from __future__ import annotations

import errno
import os
import re
import socket
import subprocess
import sys
import typing
from pathlib import Path

import orjson
import pytest

from processors.errors import KINDS
from processors.pipeline import Stage
from processors.warc import STAGE as WARC_STAGE
from streams.cli import EXIT_MEANINGS, Exit
from streams.settings import MEANINGS, NOT_SETTINGS, pipeline_version, unknown_variables, variables

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "raw.jsonl"
#: No broker listens on port 1: a connection there is refused at once.
NOWHERE = "127.0.0.1:1"


def copydesk(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """`copydesk ARGS` in a process of its own, in a clean copydesk environment plus `env`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("COPYDESK_", "KAFKA_"))}
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", *args],
        cwd=ROOT,
        env={**base, "COPYDESK_ENTITIES": "off", **(env or {})},
        input=stdin,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def text(proc: subprocess.CompletedProcess) -> tuple[str, str]:
    return proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


def test_version():
    proc = copydesk("--version")
    assert proc.returncode == 0
    assert text(proc)[0].strip() == f"copydesk {pipeline_version()}"


def test_a_missing_input_file_is_one_line_and_exit_4():
    proc = copydesk("process", "/nonexistent/pages.jsonl", "--out-dir", "x")
    out, err = text(proc)
    assert proc.returncode == Exit.INPUT_UNREADABLE == 4
    assert err.strip() == "copydesk: error: cannot read /nonexistent/pages.jsonl: No such file or directory"
    assert out == ""


def test_an_out_dir_that_cannot_be_made_is_one_line_and_exit_4(tmp_path):
    (tmp_path / "a-file").write_text("")
    proc = copydesk("process", str(SAMPLES), "-o", str(tmp_path / "a-file" / "out"))
    out, err = text(proc)
    assert proc.returncode == 4, err
    assert err.strip() == f"copydesk: error: cannot write to {tmp_path / 'a-file' / 'out'}: Not a directory (--out-dir)"


def test_process_writes_json_lines_to_stdout_and_counts_to_stderr():
    lines = SAMPLES.read_bytes().splitlines()[:3] + [b"{not json"]
    proc = copydesk("process", "-", stdin=b"\n".join(lines) + b"\n")
    out, err = text(proc)
    assert proc.returncode == 0, err
    records = [orjson.loads(line) for line in out.splitlines()]  # nothing but records on stdout
    assert [r.get("dedup", {}).get("status") or r["error"]["kind"] for r in records] == ["unique", "unique", "unique", "invalid_json"]
    assert "copydesk: 4 inputs: 3 enriched, 0 duplicates, 1 dead-letter" in err
    assert "Traceback" not in err


def test_an_unknown_dead_letter_kind_is_refused_with_the_valid_ones():
    proc = copydesk("replay-dead-letters", "--kind", "empty_bdy", env={"KAFKA_BOOTSTRAP_SERVERS": NOWHERE})
    _out, err = text(proc)
    assert proc.returncode == Exit.USAGE == 2
    assert "invalid choice: 'empty_bdy'" in err
    assert all(f"'{kind}'" in err for kind in KINDS), err


def test_replay_offers_every_stage_of_the_pipeline():
    proc = copydesk("replay-dead-letters", "--kind", "empty_body", "--stage", "intake", env={"KAFKA_BOOTSTRAP_SERVERS": NOWHERE})
    _out, err = text(proc)
    assert proc.returncode == 2
    stages = (*typing.get_args(Stage), WARC_STAGE)
    assert len(stages) >= 6 and all(f"'{stage}'" in err for stage in stages), err


def test_a_log_level_copydesk_cannot_use_is_one_line_and_exit_2():
    # It was "internal error (a bug in copydesk)", a traceback and exit 70, once logging was set up
    proc = copydesk("process", "-", stdin=SAMPLES.read_bytes().splitlines()[0] + b"\n", env={"COPYDESK_LOG_LEVEL": "verbose"})
    out, err = text(proc)
    assert proc.returncode == Exit.USAGE == 2, err
    assert out == ""
    assert err.strip() == "copydesk: error: COPYDESK_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not 'VERBOSE'"


def test_a_time_zone_copydesk_cannot_use_is_one_line_and_exit_2():
    # It was an internal_error dead letter ("a bug in copydesk") for each article whose page gave
    # a time without a zone, and exit 0
    proc = copydesk("process", "-", stdin=SAMPLES.read_bytes(), env={"COPYDESK_ASSUME_TIMEZONE": "Mars/Phobos", "COPYDESK_ENTITIES": "off"})
    out, err = text(proc)
    assert proc.returncode == Exit.USAGE == 2, err
    assert out == ""
    assert err.strip() == "copydesk: error: COPYDESK_ASSUME_TIMEZONE must be an IANA time zone name (such as Europe/Berlin), not 'Mars/Phobos'"


@pytest.mark.parametrize("zone", ["Europe", "America", "x" * 300, "utc", ""])
def test_a_time_zone_that_is_a_directory_of_zones_or_no_name_is_a_settings_error(zone):
    # ZoneInfo answers these with IsADirectoryError and "File name too long" (OSErrors), not
    # ZoneInfoNotFoundError
    from streams.settings import Settings, SettingsError

    with pytest.raises(SettingsError) as info:
        Settings.from_env({"COPYDESK_ASSUME_TIMEZONE": zone})
    assert str(info.value) == f"COPYDESK_ASSUME_TIMEZONE must be an IANA time zone name (such as Europe/Berlin), not {zone!r}"


def test_an_entity_model_that_is_not_installed_is_one_line_and_exit_2():
    # It was "internal error (a bug in copydesk)", a ModuleNotFoundError traceback and exit 70
    proc = copydesk("process", "-", stdin=SAMPLES.read_bytes().splitlines()[0] + b"\n", env={"COPYDESK_ENTITIES": "on", "COPYDESK_ENTITIES_MODEL": "no_such_model"})
    out, err = text(proc)
    assert proc.returncode == Exit.USAGE == 2, err
    assert out == ""
    assert err.strip() == (
        "copydesk: error: COPYDESK_ENTITIES_MODEL: no spaCy pipeline package 'no_such_model' is installed "
        "(install it, or set COPYDESK_ENTITIES=off)"
    )


def test_an_unreachable_broker_is_one_line_with_the_settings_to_check_and_exit_3():
    proc = copydesk("outputs", "-n", "1", env={"KAFKA_BOOTSTRAP_SERVERS": NOWHERE, "COPYDESK_PARTITION": "8"})
    out, err = text(proc)
    assert proc.returncode == Exit.KAFKA_UNREACHABLE == 3
    assert out == ""
    lines = err.strip().splitlines()
    assert lines == [
        "copydesk: warning: COPYDESK_PARTITION is not a copydesk setting and is ignored (did you mean COPYDESK_PARTITIONS?)",
        lines[1],
    ], err
    assert lines[1].startswith(f"copydesk: error: cannot connect to the Kafka brokers {NOWHERE} over PLAINTEXT (")
    assert "Connect call failed" in lines[1] and "KAFKA_BOOTSTRAP_SERVERS" in lines[1]


def test_a_worker_that_cannot_reach_kafka_logs_one_json_error_and_exits_3(tmp_path):
    proc = copydesk("worker", env={"KAFKA_BOOTSTRAP_SERVERS": NOWHERE, "COPYDESK_DATA_DIR": str(tmp_path),
                                    "COPYDESK_METRICS_PORT": str(_free_port()), "COPYDESK_WEB_PORT": str(_free_port())})
    _out, err = text(proc)
    assert proc.returncode == 3, err
    entries = [orjson.loads(line) for line in err.splitlines()]  # every line of the log is JSON
    errors = [e for e in entries if e["logger"] == "copydesk" and e["level"] == "error"]
    assert len(errors) == 1 and "cannot connect to the Kafka brokers" in errors[0]["msg"], err
    assert not any("exc" in e for e in entries), err


def test_a_second_worker_on_a_taken_port_names_the_setting_and_exits_5(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = copydesk("worker", env={"COPYDESK_METRICS_PORT": str(port), "COPYDESK_WEB_PORT": str(_free_port()),
                                        "COPYDESK_DATA_DIR": str(tmp_path), "KAFKA_BOOTSTRAP_SERVERS": NOWHERE})
    _out, err = text(proc)
    assert proc.returncode == Exit.PORT_IN_USE == 5, err
    (entry,) = [orjson.loads(line) for line in err.splitlines()]
    assert entry["level"] == "error" and f"COPYDESK_METRICS_PORT: 127.0.0.1:{port} is already in use" in entry["msg"]


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"COPYDESK_METRICS_PORT": "70000"}, "COPYDESK_METRICS_PORT must be a port from 1 to 65535, not 70000"),
        ({"COPYDESK_WEB_HOST": "no-such-host.invalid"}, "COPYDESK_WEB_HOST: cannot listen on 'no-such-host.invalid'"),
    ],
)
def test_a_listening_address_copydesk_cannot_use_is_one_line_and_exit_2(tmp_path, env, line):
    # Both were "internal error (a bug in copydesk)", a traceback and exit 70
    proc = copydesk("worker", env={"COPYDESK_DATA_DIR": str(tmp_path), "KAFKA_BOOTSTRAP_SERVERS": NOWHERE, **env})
    _out, err = text(proc)
    assert proc.returncode == Exit.USAGE == 2, err
    (entry,) = [orjson.loads(line) for line in err.splitlines()]
    assert entry["level"] == "error" and entry["msg"].startswith(line), entry
    assert "exc" not in entry


def test_a_port_the_user_may_not_listen_on_names_the_setting(monkeypatch):
    # A worker's image runs as a user of its own: a port under 1024 is refused it (EACCES)
    from streams import cli

    def refuse(self, address):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(socket.socket, "bind", refuse)
    with pytest.raises(cli.Failure) as info:
        cli._check_port("127.0.0.1", 80, "COPYDESK_WEB_PORT")
    assert info.value.code == Exit.USAGE
    assert str(info.value) == (
        "COPYDESK_WEB_PORT: may not listen on 127.0.0.1:80 (Permission denied): "
        "give a port from 1024 up, or run where the port is allowed"
    )


def test_a_data_dir_that_cannot_be_made_is_one_line_and_exit_2(tmp_path):
    # It was faust's FileNotFoundError traceback and exit 1, the code of --timeout
    (tmp_path / "a-file").write_text("")
    proc = copydesk("worker", env={"COPYDESK_DATA_DIR": str(tmp_path / "a-file" / "state"), "KAFKA_BOOTSTRAP_SERVERS": NOWHERE,
                                    "COPYDESK_METRICS_PORT": str(_free_port()), "COPYDESK_WEB_PORT": str(_free_port())})
    _out, err = text(proc)
    assert proc.returncode == Exit.USAGE == 2, err
    (entry,) = [orjson.loads(line) for line in err.splitlines()]
    assert entry["msg"] == f"COPYDESK_DATA_DIR: cannot make or write {tmp_path / 'a-file' / 'state'} (Not a directory)", entry


def test_worker_help_lists_every_setting_with_its_default():
    proc = copydesk("worker", "--help")
    out, _err = text(proc)
    assert proc.returncode == 0
    for name in variables():
        assert re.search(rf"^  {name} ", out, re.MULTILINE), f"{name} is not in `copydesk worker --help`"
    assert re.search(r"^  COPYDESK_PARTITIONS +.* \[4\]$", out, re.MULTILINE), out
    for code in Exit:
        assert re.search(rf"^  {int(code)} ", out, re.MULTILINE)


# ------------------------------------------------------------------- vocabularies against the code


def test_every_setting_has_a_meaning():
    known = set(variables())
    assert {name for name in known if not name.startswith("COPYDESK_TOPIC_") or name == "COPYDESK_TOPIC_PREFIX"} - set(MEANINGS) == set()
    assert set(MEANINGS) - known == set(), "MEANINGS names a variable no setting reads"


def test_every_copydesk_variable_the_project_uses_is_a_setting_or_known_not_to_be():
    """So that the start-up warning about unknown `COPYDESK_*` names fires for misspellings only."""
    files = [ROOT / "Makefile", ROOT / "docker-compose.yml", ROOT / "Dockerfile", ROOT / ".ci" / "run"]
    for folder, pattern in (("deploy", "*"), ("tests", "*.py"), ("bench", "*.py"), ("streams", "*.py")):
        files += [p for p in (ROOT / folder).rglob(pattern) if p.is_file() and p.suffix not in (".gz", ".jar", ".html")]
    used = {name for path in files for name in re.findall(r"\b(COPYDESK_[A-Z0-9_]*[A-Z0-9])\b", path.read_text(errors="replace"))}
    examples = {"COPYDESK_PARTITION"}  # a misspelling, on purpose, in this file
    assert used - set(variables()) - NOT_SETTINGS - examples == set()
    assert NOT_SETTINGS <= used, "NOT_SETTINGS names a variable nothing reads"


def test_unknown_copydesk_variables_are_found():
    env = {"COPYDESK_PARTITION": "8", "COPYDESK_PARTITIONS": "8", "COPYDESK_TOPIC_RAW": "x", "KAFKA_X": "1", "HOME": "/",
           "COPYDESK_FAULT_ROUNDS": "3"}
    assert unknown_variables(env) == ["COPYDESK_PARTITION"]


_RAISED_KIND = re.compile(r"(?:InvalidMessage|CleaningError|ExtractionError|DedupError|StageError)\(\s*\"([a-z][a-z0-9_]*)\"")
_SHELL_KIND = re.compile(r"(?:TIME_BUDGET_EXCEEDED|TRUNCATED|MALFORMED|TOO_LARGE) = \"([a-z][a-z0-9_]*)\"|kind, message = \"([a-z][a-z0-9_]*)\"")


def test_every_kind_a_stage_raises_is_listed_and_nothing_else():
    sources = [*(ROOT / "processors").glob("*.py"), *(ROOT / "streams").rglob("*.py")]
    found = [m for path in sources for pattern in (_RAISED_KIND, _SHELL_KIND) for m in pattern.findall(path.read_text())]
    raised = {kind for m in found for kind in ((m,) if isinstance(m, str) else m) if kind}
    assert raised - set(KINDS) == set(), "a stage raises a kind that processors.errors.KINDS lacks"
    assert set(KINDS) - raised == set(), "processors.errors.KINDS lists a kind nothing raises"


# ------------------------------------------------------------------- the README against the code


README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.MULTILINE | re.DOTALL)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def test_readme_settings_table_lists_every_setting_and_no_other():
    table = _section("Settings")
    for name in variables():
        short = "_" + name.removeprefix("COPYDESK_TOPIC_") if name.startswith("COPYDESK_TOPIC_") else None
        assert f"`{name}`" in table or (short and f"`{short}`" in table), f"{name} is missing from the README's settings"
    mentioned = set(re.findall(r"\b((?:COPYDESK|KAFKA)_[A-Z0-9_]*[A-Z0-9])\b", README))
    allowed = set(variables()) | {"COPYDESK_PARTITION"}  # the README's example of a misspelling
    assert mentioned - allowed == set(), "the README names variables that no setting reads"


def test_readme_dead_letter_table_names_every_kind():
    # `replay-dead-letters` accepts "the kinds of the table under The contract": the table must hold them all
    table = re.search(r"^\| kind \| what happened \| who fixes it \|\n(.*?)\n\n", _section("The contract"), re.MULTILINE | re.DOTALL)
    assert table, "README's contract has no table of dead-letter kinds"
    named = set(re.findall(r"^\| ([^|]*)\|", table.group(1), re.MULTILINE))
    named_kinds = {kind for cell in named for kind in re.findall(r"`([a-z_0-9]+)`", cell)}
    assert set(KINDS) - named_kinds == set(), "dead-letter kinds missing from the README's table"
    assert named_kinds - set(KINDS) - {"warc"} == set(), "the README's table names kinds copydesk does not have"


def test_readme_documents_every_exit_code():
    commands = _section("Commands")
    for code, meaning in EXIT_MEANINGS.items():
        assert re.search(rf"^\| {int(code)} \|", commands, re.MULTILINE), f"exit code {int(code)} ({meaning}) is not in the README"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_readme_example_record_is_what_copydesk_makes_of_the_example_input():
    from streams.offline import OfflineRun
    from streams.settings import Settings

    blocks = re.findall(r"```json\n(.*?)```", README, re.DOTALL)
    example_in, example_out = orjson.loads(blocks[0]), orjson.loads(blocks[1])
    line = next(ln for ln in SAMPLES.read_bytes().splitlines() if ln.startswith(b'{"url": "' + example_in["url"].encode() + b'"'))
    made = orjson.loads(OfflineRun(Settings.from_env({"COPYDESK_ENTITIES": "off"})).run_one(line, 0).value)
    exact = ("id", "url", "canonical_url", "site", "title", "authors", "published_at", "language", "lead",
             "word_count", "keywords", "fetched_at", "dedup", "schema_version", "source")
    assert {k: made[k] for k in exact} == {k: example_out[k] for k in exact}
    assert made["text"].startswith(example_out["text"].removesuffix("..."))
    assert set(made) == set(example_out)


def test_the_settings_error_line_takes_the_log_format_as_settings_do():
    from streams.settings import Settings, log_format_from_env

    for value in ("TEXT", "json", "Json"):
        assert log_format_from_env({"COPYDESK_LOG_FORMAT": value}) == Settings.from_env({"COPYDESK_LOG_FORMAT": value}).log_format
    assert log_format_from_env({"COPYDESK_LOG_FORMAT": " text"}) == Settings().log_format  # Settings refuses it
    assert log_format_from_env({}) == Settings().log_format
