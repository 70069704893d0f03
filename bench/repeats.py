"""A page-text stream with a quarter of its inputs repeated, for the in-process benches: after
every third input, a copy of it under another URL, the body as it was (an exact copy) or, every
other time, without its last paragraph when it has more than three (a near copy).

No project imports: bench/ab_stages.py loads this module beside any checkout's code."""

from __future__ import annotations

import orjson


def with_repeats(values: list[bytes]) -> list[bytes]:
    out = []
    for i, value in enumerate(values):
        out.append(value)
        if i % 3 == 2:
            message = orjson.loads(value)
            message["url"] = message["url"].rstrip("/") + f"-copy{i}"
            paragraphs = message["text"].split("\n\n")
            if i % 2 and len(paragraphs) > 3:
                message["text"] = "\n\n".join(paragraphs[:-1])
            out.append(orjson.dumps(message))
    return out
