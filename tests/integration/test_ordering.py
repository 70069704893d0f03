"""The original does not depend on processing speed: two workers, copies that arrive out of order.

Each story has a publisher's article (fetched 13:00) and a mirror of it (fetched 15:00, an exact
copy or a near one). Some mirrors are decided first, on purpose (produced and published before
their publishers); others are produced together with their publishers on one raw partition. Read
as tables (an id on duplicates is a copy, whatever enriched holds), every publisher is the
original and every mirror a copy of it.
"""

from __future__ import annotations

import orjson

from schemas import contracts
from streams.kafka_io import ensure_topics, read_outputs, send_keyed
from streams.settings import Settings
from tests.integration.test_pipeline import assert_each_input_accounted, by_role, distinct_articles, read_accounted
from tests.integration.workers import WorkerProcess, unique_env

STORIES = 8


def pair(i: int, story: dict) -> tuple[bytes, bytes]:
    body = story["text"].split("\n\n", 1)[1]
    mirrored = body if i % 2 == 0 else body + "\n\nThis story first appeared on a partner site."
    publisher = {"url": f"https://publisher.example.com/story/{i}", "fetched_at": "2024-06-12T13:00:00Z", "text": story["text"]}
    mirror = {"url": f"https://mirror.example.org/copy/{i}", "fetched_at": "2024-06-12T15:00:00Z",
              "text": story["text"].split("\n\n", 1)[0] + "\n\n" + mirrored}
    return orjson.dumps(publisher), orjson.dumps(mirror)


async def test_publishers_stay_originals_however_their_mirrors_overtake_them(kafka_bootstrap, tmp_path):
    env = unique_env(kafka_bootstrap, tmp_path / "state", COPYDESK_PARTITIONS="4", COPYDESK_ENTITIES="off")
    settings = Settings.from_env(env)
    await ensure_topics(settings)
    pairs = [pair(i, story) for i, story in enumerate(distinct_articles(STORIES))]
    workers = [
        WorkerProcess({**env, "COPYDESK_DATA_DIR": str(tmp_path / f"state-{n}")}, tmp_path / f"worker-{n}.log").start()
        for n in range(2)
    ]
    try:
        late = pairs[: STORIES // 2]  # mirrors decided first: the publishers must correct them
        await send_keyed(settings, settings.topics.raw, [(b"late-%d" % i, m) for i, (_, m) in enumerate(late)])
        assert len(await read_outputs(settings, expect=len(late), timeout_s=180)) >= len(late)
        await send_keyed(settings, settings.topics.raw, [(b"late-%d" % i, p) for i, (p, _) in enumerate(late)])
        together = pairs[STORIES // 2 :]  # one raw partition per story, the mirror first
        await send_keyed(settings, settings.topics.raw,
                         [(b"together-%d" % i, v) for i, (p, m) in enumerate(together) for v in (m, p)])
        await read_accounted(settings, 2 * STORIES, timeout_s=240)
        # everything on the topics now: a correction is sent with the outcome of the input that makes it
        records = await read_outputs(settings, expect=10**6, timeout_s=10)
    finally:
        for worker in workers:
            assert worker.stop() == 0, worker.tail()
    outputs = by_role(settings, records)
    assert_each_input_accounted(outputs, settings.topics.raw, 2 * STORIES)
    corrections = [orjson.loads(v) for t, *_, v in records if t == settings.topics.duplicates and b'"correction"' in v]
    for record in corrections:
        assert contracts.errors("duplicates", record) == []
    view = {r["id"]: r for r in outputs["enriched"]}
    view.update({r["id"]: r for r in outputs["duplicates"]})
    view.update({c["id"]: c for c in corrections})
    for publisher, mirror in pairs:
        p_id = next(r["id"] for r in outputs["enriched"] + outputs["duplicates"] if r["url"] == orjson.loads(publisher)["url"])
        m_id = next(r["id"] for r in outputs["enriched"] + outputs["duplicates"] if r["url"] == orjson.loads(mirror)["url"])
        assert view[p_id]["dedup"]["status"] == "unique", view[p_id]
        assert view[m_id]["dedup"]["status"] in ("duplicate", "near_duplicate"), view[m_id]
        assert view[m_id]["dedup"]["duplicate_of"] == p_id
    # the mirrors decided first were published as originals, then corrected
    assert len({c["id"] for c in corrections}) >= len(late)
