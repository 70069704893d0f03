"""The near-duplicate index of one band partition: band key -> the articles stored under it.

The band table's changelog carries one entry per band message (`processors.neardup.check_bands`),
which is what keeps its cost at one record per message; the band step reads by band key. This
index answers those reads. It is derived from the table (`neardup.index_entries`), never
written to Kafka: kept up to date with each write of the table, and built again from the
table's partition whenever that partition may have changed behind it (a recovery, a rebalance,
a restart). So it needs no changelog and no recovery of its own, and a lost or stale index is
never a wrong answer, only a rebuild.

Two backings, the same behaviour: a RocksDB database of its own beside the table's (bounded
memory, as the table's store; emptied before each build) for workers on a RocksDB store, whose
values are the JSON list of the band key's entries; a dict for the offline mode and memory
stores, whose values are the tuple of the entries themselves (nothing to encode or decode, and
a value is replaced, never changed in place, so a copy of the dict is a snapshot).
Written here because faust has no secondary index over a table and Kafka Streams' answer, a
store fed from its source topic, would re-read the topic instead of the local table.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterable, Mapping, MutableMapping, Sequence

import orjson
from rocksdict import Options, Rdict, WriteBatch

from processors import neardup


class BandIndex:
    """Band key -> its entries, over a bytes-to-bytes mapping (a dict or a rocksdict `Rdict`)."""

    def __init__(self, backing: MutableMapping[bytes, bytes] | None = None) -> None:
        self._db: Any = {} if backing is None else backing
        self._encoded = backing is not None

    @classmethod
    def on_disk(cls, path: Path) -> BandIndex:
        """An empty index in a RocksDB database at `path` (whatever was there is removed)."""
        shutil.rmtree(path, ignore_errors=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(Rdict(str(path), Options(raw_mode=True)))

    def lookup(self, band_keys: Sequence[str]) -> list[Sequence[Mapping[str, Any]]]:
        if not self._encoded:
            get = self._db.get
            return [get(k, ()) for k in band_keys]
        found = self._db[[k.encode() for k in band_keys]]
        return [orjson.loads(v) if v is not None else [] for v in found]

    def add(self, key: str, value: Mapping[str, Any]) -> None:
        """Index one stored value of the band table (its key and value)."""
        db = self._db
        if not self._encoded:
            for band_key, entry in neardup.index_entries(key, value):
                db[band_key] = (*db.get(band_key, ()), entry)
            return
        # One read of all the band keys and one write batch; an entry is appended to the JSON
        # list as bytes (orjson writes a list as its items' bytes between commas), not the list
        # decoded and encoded again.
        pairs = neardup.index_entries(key, value)
        keys = [band_key.encode() for band_key, _ in pairs]
        written: dict[bytes, bytes] = {}
        for k, old, (_, entry) in zip(keys, db[keys], pairs):
            old = written.get(k, old)  # a batch's messages may share a band key
            item = orjson.dumps(entry)
            written[k] = b"[" + item + b"]" if old is None or old == b"[]" else old[:-1] + b"," + item + b"]"
        batch = WriteBatch(raw_mode=True)
        for k, v in written.items():
            batch.put(k, v)
        db.write(batch)

    def add_all(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> int:
        n = 0
        for key, value in items:
            self.add(key, value)
            n += 1
        return n

    def expire(self, oldest_day: int) -> int:
        """Drop the entries of days before `oldest_day`; the number dropped."""
        db, dropped = self._db, 0
        for k, v in list(db.items()):
            entries = orjson.loads(v) if self._encoded else v
            kept = [e for e in entries if e["day"] >= oldest_day]
            if len(kept) != len(entries):
                dropped += len(entries) - len(kept)
                if kept:
                    db[k] = orjson.dumps(kept) if self._encoded else tuple(kept)
                else:
                    del db[k]
        return dropped

    def close(self) -> None:
        if self._encoded:
            self._db.close()
