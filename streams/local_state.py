"""A worker's local tables after an unclean stop, under exactly_once: dropped, and restored.

faust writes a table's RocksDB database at once and, under exactly_once, records how far the
changelog is persisted only when the transaction commits. The writes of a transaction that never
commits (a worker killed between two commits) stay in the local database, and the recovery that
replays the changelog from the recorded point never undoes them. The dedup steps recognise their
own writes when an input is read again, but not a write that removed state: a gather that
decided an article and deleted its waiting entry in the aborted transaction finds nothing when
the article's last reply is read again, and the input never gets an outcome.

Kafka Streams meets the same problem the same way: under exactly-once, the stores of a task that
did not close cleanly are wiped and restored from the changelog. Here a worker marks a clean stop
in its data dir (`mark_clean_stop`); a worker that starts under exactly_once without that mark
deletes its tables' local databases (`prepare`), and faust restores them from the committed
changelogs, as on a new machine. At-least-once keeps them: no transaction is rolled back there,
and the steps recognise their own writes when an input is read again; none of them removes state
on the way to an outcome any more (the gather decides a complete part without storing it).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

log = logging.getLogger("copydesk.local_state")

#: The file that says the worker stopped cleanly, beside the tables' folder.
CLEAN_STOP = "clean-stop"


def prepare(tabledir: Path, exactly_once: bool) -> bool:
    """Before a worker opens its tables: drop them if the last stop was not clean under
    exactly_once (True when dropped). The mark is consumed either way, so that a crash of this
    run leaves none."""
    mark = tabledir.parent / CLEAN_STOP
    clean = mark.exists()
    mark.unlink(missing_ok=True)
    if clean or not exactly_once or not tabledir.is_dir() or not any(tabledir.iterdir()):
        return False
    shutil.rmtree(tabledir)
    log.warning(
        "the last stop of this worker was not clean (no %s mark): its local tables in %s may hold "
        "writes of transactions that never committed, so they were deleted and are restored from "
        "the changelogs",
        CLEAN_STOP,
        tabledir,
    )
    return True


def mark_clean_stop(tabledir: Path) -> None:
    """After a worker stopped cleanly (its transactions committed or ended, its tables closed)."""
    tabledir.parent.mkdir(parents=True, exist_ok=True)
    (tabledir.parent / CLEAN_STOP).write_text("the worker stopped cleanly; its local tables are consistent\n")
