"""Local tables after an unclean stop: dropped under exactly_once, kept otherwise (streams.local_state)."""

from __future__ import annotations

from streams import local_state


def tables(tmp_path):
    tabledir = tmp_path / "v1" / "tables"
    (tabledir / "t.dedup-gather-0.db").mkdir(parents=True)
    (tabledir / "t.dedup-gather-0.db" / "CURRENT").write_text("MANIFEST-000001\n")
    return tabledir


def test_an_unclean_stop_under_exactly_once_drops_the_local_tables(tmp_path, caplog):
    tabledir = tables(tmp_path)
    assert local_state.prepare(tabledir, exactly_once=True) is True
    assert not tabledir.exists()
    assert "not clean" in caplog.text and str(tabledir) in caplog.text


def test_a_clean_stop_keeps_them_once_and_a_crash_after_it_does_not(tmp_path):
    tabledir = tables(tmp_path)
    local_state.mark_clean_stop(tabledir)
    assert local_state.prepare(tabledir, exactly_once=True) is False
    assert (tabledir / "t.dedup-gather-0.db" / "CURRENT").exists()
    # the mark is consumed at start: this run ends in a crash, so the next start drops them
    assert local_state.prepare(tabledir, exactly_once=True) is True
    assert not tabledir.exists()


def test_at_least_once_and_a_first_start_keep_what_is_there(tmp_path):
    tabledir = tables(tmp_path)
    assert local_state.prepare(tabledir, exactly_once=False) is False
    assert (tabledir / "t.dedup-gather-0.db").exists()
    empty = tmp_path / "other" / "v1" / "tables"
    assert local_state.prepare(empty, exactly_once=True) is False
