"""RecoveringRocksDBStore: a corrupt partition database is moved aside and reopened empty."""

from __future__ import annotations

import gc
import logging

import pytest

from streams.app import create_app
from streams.settings import Settings


@pytest.fixture
def store(tmp_path):
    settings = Settings.from_env({"COPYDESK_DATA_DIR": str(tmp_path), "COPYDESK_APP_ID": "store-test"})
    return create_app(settings).tables.urls.data


def _close(store, partition: int) -> None:
    store._dbs.pop(partition)
    gc.collect()


def test_a_corrupt_partition_db_is_moved_aside_and_opened_empty(store, caplog):
    store._db_for_partition(0).put(b"key", b"value")
    _close(store, 0)
    path = store.partition_path(0)
    (path / "CURRENT").write_bytes(b"\x00garbage")
    with caplog.at_level(logging.ERROR, logger="copydesk.tables"):
        db = store._db_for_partition(0)
    assert db.get(b"key") is None and store.persisted_offset(type("TP", (), {"partition": 0})()) is None
    (aside,) = path.parent.glob(f"{path.name}.corrupt-*")
    assert (aside / "CURRENT").read_bytes() == b"\x00garbage"
    assert str(path) in caplog.text and str(aside) in caplog.text


def test_a_locked_db_is_not_mistaken_for_a_corrupt_one(store):
    held = store._db_for_partition(1)
    _close(store, 1)
    with pytest.raises(Exception, match="lock"):
        store._db_for_partition(1)
    assert not list(store.partition_path(1).parent.glob("*.corrupt-*"))
    del held
