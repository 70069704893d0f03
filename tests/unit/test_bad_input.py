"""Every kind of bad input, through the very steps a worker runs (`OfflineRun.run_one`).

Each one must end as one dead letter that carries the original bytes (`decode_payload` gives
them back exactly) and a kind an operator can act on; never an exception, never `internal_error`.
Inputs of several MB run in a child process, which reports how much its resident memory grew.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
import pytest

from processors import intake
from processors.errors import InvalidMessage
from processors.records import decode_payload
from schemas import contracts
from streams.offline import OfflineRun
from streams.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SETTINGS = Settings.from_env({})
LIMIT = SETTINGS.stage.max_payload_bytes
GOOD = {"url": "https://news.example.com/world/story-1", "fetched_at": "2024-05-03T10:00:00Z"}
PROSE = (
    "The council approved the budget on Tuesday after a long debate about schools and roads. "
    "Opposition members said the plan left too little for the hospitals in the north. "
)
SENTENCE = "The quick brown fox jumps over the lazy dog near the river bank today. "


def page(**fields) -> bytes:
    message = dict(GOOD, text=PROSE * 3)
    for name, value in fields.items():
        if value is ...:
            message.pop(name, None)
        else:
            message[name] = value
    return orjson.dumps(message)


def nested_divs(depth: int) -> str:
    return "<html><body>" + "<div>" * depth + "<p>" + PROSE * 3 + "</p>" + "</div>" * depth + "</body></html>"


def varied_prose(n_bytes: int, seed: int = 0) -> str:
    """Paragraphs of words drawn at random from the seed article: prose that never repeats."""
    words = (REPO / "tests" / "data" / "seed.txt").read_text(encoding="utf-8").split()
    rng, parts, size = random.Random(seed), [], 0
    while size < n_bytes:
        paragraph = " ".join(rng.choice(words) for _ in range(60)).capitalize() + "."
        parts.append(paragraph)
        size += len(paragraph) + 2
    return "\n\n".join(parts)


def repeated(unit: str, n_bytes: int) -> str:
    return unit * (n_bytes // len(unit))


# (id, raw message bytes, the dead letter's kind)
BAD = [
    ("empty-message", b"", "empty_message"),
    ("invalid-json", b"{this is not json", "invalid_json"),
    ("truncated-json", page()[:60], "invalid_json"),
    ("json-lone-surrogate", b'{"url": "https://e.example/a", "text": "\\ud800"}', "invalid_json"),
    ("json-nested-10k-deep", b"[" * 10_000 + b"]" * 10_000, "invalid_json"),
    ("json-infinite-number", page()[:-1] + b', "http_status": 1e999}', "invalid_json"),
    ("json-array", b'[{"url": "https://e.example/a"}]', "not_an_object"),
    ("json-string", b'"https://e.example/a"', "not_an_object"),
    ("json-number", b"42", "not_an_object"),
    ("json-null", b"null", "not_an_object"),
    ("url-missing", page(url=...), "missing_field"),
    ("url-null", page(url=None), "missing_field"),
    ("url-number", page(url=12), "wrong_type"),
    ("url-object", page(url={"href": "https://e.example/a"}), "wrong_type"),
    ("url-relative", page(url="/world/story-1"), "invalid_url"),
    ("url-no-scheme", page(url="news.example.com/world"), "invalid_url"),
    ("url-ftp", page(url="ftp://news.example.com/a"), "invalid_url"),
    ("url-javascript", page(url="javascript:alert(1)"), "invalid_url"),
    ("url-mailto", page(url="mailto:desk@example.com"), "invalid_url"),
    ("url-no-host", page(url="https:///story"), "invalid_url"),
    ("url-www-only", page(url="https://www.?t.com/news/333423-isis-libya-recruitment-drive/"), "invalid_url"),
    ("url-empty-label", page(url="https://news..example.com/a"), "invalid_url"),
    ("url-space", page(url="https://news.example .com/a"), "invalid_url"),
    ("url-bad-port", page(url="https://news.example.com:99999/a"), "invalid_url"),
    ("url-bad-ipv6", page(url="http://[::1/a"), "invalid_url"),
    ("url-empty", page(url=""), "invalid_url"),
    ("time-missing", page(fetched_at=...), "missing_field"),
    ("time-number", page(fetched_at=1714730400), "wrong_type"),
    ("time-date-only", page(fetched_at="2024-05-03"), "invalid_time"),
    ("time-no-offset", page(fetched_at="2024-05-03T10:00:00"), "invalid_time"),
    ("time-words", page(fetched_at="yesterday at noon"), "invalid_time"),
    ("time-month-13", page(fetched_at="2024-13-03T10:00:00Z"), "invalid_time"),
    ("time-other-format", page(fetched_at="03/05/2024 10:00:00 +0200"), "invalid_time"),
    ("time-year-0", page(fetched_at="0000-01-01T00:00:00Z"), "invalid_time"),
    ("body-missing", page(text=...), "missing_field"),
    ("body-text-list", page(text=["a", "b"]), "wrong_type"),
    ("body-html-number", page(text=..., html=3), "wrong_type"),
    ("title-number", page(title=7), "wrong_type"),
    ("status-string", page(http_status="200"), "wrong_type"),
    ("status-bool", page(http_status=True), "wrong_type"),
    ("headers-list", page(headers=["a"]), "wrong_type"),
    ("body-blank-text", page(text=" \n\t "), "empty_body"),
    ("body-blank-html", page(text=..., html="   "), "empty_body"),
    ("body-short-text", page(text="Too short."), "empty_body"),
    ("body-html-no-text", page(text=..., html="<html><body><script>var a = 1;</script></body></html>"), "empty_body"),
    ("body-html-only-tags", page(text=..., html="<div><span></span></div>" * 1000), "empty_body"),
    ("invalid-utf8", b"\xff\xfe{}", "invalid_utf8"),
    ("utf8-cut-in-a-character", page(text="caf\u00e9 " * 40)[:-1].replace("\u00e9".encode(), b"\xc3", 1), "invalid_utf8"),
    ("latin1-page", page(text="Caf\u00e9 cr\u00e8me " * 20).decode().encode("latin-1"), "invalid_utf8"),
    ("binary-png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "invalid_utf8"),
    ("binary-gzip", b"\x1f\x8b\x08\x00" + os.urandom(4000), "invalid_utf8"),
    ("over-the-limit", b'{"url": "https://e.example/a", "text": "' + b"x" * LIMIT + b'"}', "payload_too_large"),
    ("html-100k-nested-divs", page(text=..., html=nested_divs(100_000)), "html_too_deep"),
    ("html-nested-300-spans", page(text=..., html="<p>" + PROSE + "</p>" + "<span>" * 300 + PROSE), "html_too_deep"),
    ("html-1m-unclosed-divs", page(text=..., html="<html><body>" + "<div>" * 1_000_000 + PROSE * 3), "html_too_deep"),
    ("text-5mb-one-sentence", page(text=repeated(SENTENCE, 5 * 1024 * 1024)), "repetitive_body"),
    ("text-1mb-two-sentences", page(text=repeated(SENTENCE + PROSE, 1024 * 1024)), "repetitive_body"),
    ("html-5mb-one-paragraph", page(text=..., html=repeated("<p>" + SENTENCE + "</p>", 5 * 1024 * 1024)), "repetitive_body"),
]


def assert_dead_letter(result, payload: bytes, kind: str) -> dict:
    assert result.role == "dead_letter", (result.role, kind)
    record = orjson.loads(result.value)
    assert contracts.errors("dead_letter", record) == []
    assert record["error"]["kind"] == kind, record["error"]
    assert record["error"]["stage"] == "cleaning"
    assert record["error"]["message"].strip()
    assert decode_payload(record) == payload, "the dead letter must give back the original bytes"
    assert record["payload_encoding"] == ("base64" if kind in ("invalid_utf8",) else "utf-8")
    return record


@pytest.mark.parametrize(("payload", "kind"), [pytest.param(p, k, id=i) for i, p, k in BAD])
def test_bad_input_is_a_dead_letter_with_its_bytes_and_a_reason(payload, kind):
    run = OfflineRun(SETTINGS)
    assert_dead_letter(run.run_one(payload, 0), payload, kind)


def test_a_url_that_can_be_read_keys_the_dead_letter():
    payload = page(fetched_at="yesterday")
    result = OfflineRun(SETTINGS).run_one(payload, 3)
    record = assert_dead_letter(result, payload, "invalid_time")
    assert result.key == GOOD["url"].encode() and record["url"] == GOOD["url"]
    assert record["offset"] == 3 and record["topic"] == SETTINGS.topics.raw


def test_a_time_that_overflows_in_utc_is_invalid_time_not_an_internal_error():
    payload = page(fetched_at="9999-12-31T23:59:59-05:00")
    assert_dead_letter(OfflineRun(SETTINGS).run_one(payload, 0), payload, "invalid_time")


def test_html_too_deep_says_where_and_why():
    # libxml2 stops building the tree at depth 256 with a fatal error: without the check, the
    # text inside was silently lost and the page became `empty_body` (measured: 100k nested
    # divs, 0.7 s to that misleading verdict).
    payload = page(text=..., html=nested_divs(300))
    record = assert_dead_letter(OfflineRun(SETTINGS).run_one(payload, 0), payload, "html_too_deep")
    assert "Excessive depth" in record["error"]["message"] and "lost" in record["error"]["message"]


def test_nesting_up_to_the_parsers_limit_still_reads_the_text():
    result = OfflineRun(SETTINGS).run_one(page(text=..., html=nested_divs(250)), 0)
    assert result.role == "enriched", orjson.loads(result.value).get("error")


def test_repetitive_body_says_how_repetitive():
    payload = page(text=repeated(SENTENCE, 2 * 1024 * 1024))
    record = assert_dead_letter(OfflineRun(SETTINGS).run_one(payload, 0), payload, "repetitive_body")
    assert record["error"]["message"].startswith("text: 2097") and "to 1" in record["error"]["message"]


@pytest.mark.parametrize("field", ["text", "html"])
def test_large_varied_bodies_are_not_repetitive(field):
    body = varied_prose(1024 * 1024)
    if field == "html":
        body = "<html><body><article><p>" + body.replace("\n\n", "</p>\n<p>") + "</p></article></body></html>"
    intake.check_repetition(field, body)  # raises if it were judged repetitive


@pytest.mark.parametrize("kinds", ["rrrr", "vrrr", "rrrv", "rvvr", "vvvv", "rrvr"])
def test_repetition_is_judged_on_all_four_windows(kinds):
    """Bodies of four quarters, each one sentence repeated (r) or varied prose (v): the check
    raises exactly when the four sampled windows together compress 30 to 1 or more, whether it
    gets the body as a str or as its UTF-8 bytes (it stops compressing once the ratio cannot
    get there)."""
    import zlib

    quarter = 300 * 1024
    parts = {"r": repeated(SENTENCE, quarter), "v": varied_prose(quarter)}
    body = "".join(parts[k][:quarter] for k in kinds)
    data = body.encode()
    step = (len(data) - intake._REPETITION_WINDOW_BYTES) // (intake._REPETITION_WINDOWS - 1)
    windows = [data[i * step : i * step + intake._REPETITION_WINDOW_BYTES] for i in range(4)]
    ratio = sum(map(len, windows)) / sum(len(zlib.compress(w, 1)) for w in windows)
    for given in (body, data):
        if ratio >= intake._REPETITION_MAX_RATIO:
            with pytest.raises(InvalidMessage, match="compress 1[01][0-9] to 1"):
                intake.check_repetition("text", given)
        else:
            intake.check_repetition("text", given)
    assert (ratio >= intake._REPETITION_MAX_RATIO) == (kinds == "rrrr")  # both outcomes are tried


def test_real_pages_tiled_to_megabytes_are_not_repetitive():
    # A period longer than the sampled windows is not what the check is about: such a body
    # costs trafilatura what a long page costs.
    for path in sorted((REPO / "tests" / "data" / "pages").glob("*.html.gz")):
        html = gzip.decompress(path.read_bytes()).decode("utf-8")
        intake.check_repetition("html", html * (1024 * 1024 // len(html) + 1))
        intake.check_html_depth(html)


# --- inputs of several MB, each in a child process that reports its memory growth -------------

CHILD = textwrap.dedent(
    """
    import resource, sys, time
    from streams.offline import OfflineRun
    from streams.settings import Settings
    payload = open(sys.argv[1], "rb").read()
    run = OfflineRun(Settings.from_env({}))
    run.run_one(b'{"url": "https://warm.example/up", "fetched_at": "2024-05-03T10:00:00Z", "text": "x"}', 0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    result = run.run_one(payload, 1)
    seconds = time.perf_counter() - started
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    open(sys.argv[2], "wb").write(result.role.encode() + b"\\n" + result.value)
    kind = f" ({result.error_kind})" if result.error_kind else ""
    print(f"{len(payload)} bytes -> {result.role}{kind} in {seconds:.1f} s, max RSS {before // 1024} MiB before,"
          f" grew {grown // 1024} MiB")
    """
)
#: Generous: ~60x the largest input accepted. The point is "bounded", not "small".
MAX_RSS_GROWTH_MIB = 1536


def fill(message: dict, field: str, unit: str, head: str = "", tail: str = "", room: int = 4096) -> bytes:
    """`message` with `field` = head + unit repeated and cut + tail, as long as keeps it `room`
    under the limit."""
    target = LIMIT - room - len(orjson.dumps(dict(message, **{field: head + tail})))
    body = (unit * (target // len(unit) + 1))[:target]
    while (excess := len(orjson.dumps(body)) - 2 - target) > 0:  # JSON escapes take room too
        body = body[: len(body) - excess]
    payload = orjson.dumps(dict(message, **{field: head + body + tail}))
    assert LIMIT - 2 * room < len(payload) <= LIMIT
    return payload


def run_in_child(payload: bytes, tmp_path: Path) -> tuple[str, dict]:
    src, out = tmp_path / "in.bin", tmp_path / "out.bin"
    src.write_bytes(payload)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(src), str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith(("COPYDESK_", "KAFKA_"))},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    print(proc.stdout.strip())
    grown = int(proc.stdout.rsplit("grew ", 1)[1].split()[0])
    assert grown < MAX_RSS_GROWTH_MIB, proc.stdout
    role, value = out.read_bytes().split(b"\n", 1)
    return role.decode(), orjson.loads(value)


def test_tens_of_mb_is_payload_too_large_without_reading_it(tmp_path):
    payload = orjson.dumps(dict(GOOD, text=(PROSE + "\n\n") * (24 * 1024 * 1024 // len(PROSE))))
    role, record = run_in_child(payload, tmp_path)
    assert role == "dead_letter" and record["error"]["kind"] == "payload_too_large"
    assert contracts.errors(role, record) == []
    assert decode_payload(record) == payload


def test_just_under_the_limit_is_processed_or_a_clear_dead_letter(tmp_path):
    payload = fill(GOOD, "text", varied_prose(LIMIT // 4) + "\n\n")
    role, record = run_in_child(payload, tmp_path)
    assert contracts.errors(role, record) == []
    if role == "dead_letter":
        assert record["error"]["kind"] not in ("internal_error", "payload_too_large"), record["error"]
        assert decode_payload(record) == payload


def test_just_under_the_limit_as_html_is_processed_or_a_clear_dead_letter(tmp_path):
    block = "<p>" + varied_prose(LIMIT // 4, seed=1).replace("\n\n", "</p>\n<p>") + "</p>\n"
    head, tail = "<html><head><title>Budget</title></head><body><article>", "</article></body></html>"
    payload = fill(GOOD, "html", block, head, tail)
    role, record = run_in_child(payload, tmp_path)
    assert contracts.errors(role, record) == []
    if role == "dead_letter":
        assert record["error"]["kind"] not in ("internal_error", "payload_too_large"), record["error"]


def test_five_mb_of_one_sentence_is_repetitive_body_with_bounded_memory(tmp_path):
    # Before the check: enriched after 3.9 s as a "1,033,802-word article"; as HTML paragraphs,
    # 43 s of trafilatura to reach `empty_body`.
    payload = orjson.dumps(dict(GOOD, html=repeated("<p>" + SENTENCE + "</p>", 5 * 1024 * 1024)))
    role, record = run_in_child(payload, tmp_path)
    assert contracts.errors(role, record) == []
    assert role == "dead_letter" and record["error"]["kind"] == "repetitive_body", record.get("error")
    assert decode_payload(record) == payload


def test_base64_round_trip_of_every_byte_value():
    payload = bytes(range(256)) * 4
    record = assert_dead_letter(OfflineRun(SETTINGS).run_one(payload, 0), payload, "invalid_utf8")
    assert base64.b64decode(record["payload"]) == payload and json.dumps(record)
