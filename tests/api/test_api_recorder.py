"""Group commit (`api.recorder.Recorder`): concurrent writes share transactions, each caller is answered only
after its own write committed, one caller's failure never fails another's, and closing writes what is queued."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from api.db import ApiKey, Database, utcnow
from api.migrate import upgrade
from api.recorder import Recorder, RecorderClosed


@pytest.fixture(scope="module")
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    upgrade(database.engine)
    yield database
    database.dispose()


def _key_write(key_id: str, secret: str | None = None, started: threading.Event | None = None,
               release: threading.Event | None = None) -> Any:
    def write(session: Any) -> str:
        if started is not None and release is not None:
            started.set()
            assert release.wait(10)
        session.execute(insert(ApiKey.metadata.tables["api_keys"]).values(
            id=key_id, secret_hash=secret or uuid.uuid4().hex + uuid.uuid4().hex, organisation="recorder-test",
            role="manufacturer", name=None, created_at=utcnow(), revoked_at=None))
        return key_id
    return write


def _count(db: Database, ids: list[str]) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(ApiKey).where(ApiKey.id.in_(ids))) or 0)


def _run_all(recorder: Recorder, writes: list[Any]) -> tuple[list[Any], list[BaseException]]:
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def one(w: Any) -> None:
        try:
            r = recorder.run(w)
            with lock:
                results.append(r)
        except BaseException as e:  # noqa: BLE001 - collected and asserted on
            with lock:
                errors.append(e)

    threads = [threading.Thread(target=one, args=(w,)) for w in writes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results, errors


def test_concurrent_writes_share_transactions_and_all_commit(db: Database) -> None:
    recorder = Recorder(db)
    # hold the writer in its first write so that the others queue up behind it and go in together
    started, release = threading.Event(), threading.Event()
    first = f"key_{uuid.uuid4().hex[:12]}"
    blocker = threading.Thread(target=recorder.run, args=(_key_write(first, started=started, release=release),))
    blocker.start()
    assert started.wait(10)
    ids = [f"key_{uuid.uuid4().hex[:12]}" for _ in range(40)]
    runner = threading.Thread(target=lambda: outcome.append(_run_all(recorder, [_key_write(i) for i in ids])))
    outcome: list[tuple[list[Any], list[BaseException]]] = []
    runner.start()
    while recorder._queue.qsize() < len(ids):  # all 40 waiting
        threading.Event().wait(0.01)
    release.set()
    blocker.join(10)
    runner.join(30)
    results, errors = outcome[0]
    assert not errors
    assert sorted(results) == sorted(ids)
    assert _count(db, [*ids, first]) == 41
    assert recorder.writes == 41
    assert recorder.transactions <= 3  # the blocker's, then the 40 queued in one (two at most)
    recorder.close()


def test_a_failing_write_fails_only_its_caller(db: Database) -> None:
    recorder = Recorder(db)
    taken = f"key_{uuid.uuid4().hex[:12]}"
    recorder.run(_key_write(taken))
    started, release = threading.Event(), threading.Event()
    blocker = threading.Thread(target=recorder.run,
                               args=(_key_write(f"key_{uuid.uuid4().hex[:12]}", started=started, release=release),))
    blocker.start()
    assert started.wait(10)
    good = [f"key_{uuid.uuid4().hex[:12]}" for _ in range(10)]
    writes = [_key_write(i) for i in good[:5]] + [_key_write(taken)] + [_key_write(i) for i in good[5:]]
    outcome: list[tuple[list[Any], list[BaseException]]] = []
    runner = threading.Thread(target=lambda: outcome.append(_run_all(recorder, writes)))
    runner.start()
    while recorder._queue.qsize() < len(writes):
        threading.Event().wait(0.01)
    release.set()
    blocker.join(10)
    runner.join(30)
    results, errors = outcome[0]
    assert len(errors) == 1 and isinstance(errors[0], IntegrityError)  # the duplicate primary key, and only it
    assert sorted(results) == sorted(good)
    assert _count(db, good) == 10
    recorder.close()


def test_close_writes_what_is_queued_then_refuses(db: Database) -> None:
    recorder = Recorder(db)
    ids = [f"key_{uuid.uuid4().hex[:12]}" for _ in range(20)]
    outcome: list[tuple[list[Any], list[BaseException]]] = []
    runner = threading.Thread(target=lambda: outcome.append(_run_all(recorder, [_key_write(i) for i in ids])))
    runner.start()
    while recorder.writes + recorder._queue.qsize() < len(ids):
        threading.Event().wait(0.005)
    recorder.close()
    runner.join(30)
    assert not outcome[0][1]
    assert _count(db, ids) == 20
    with pytest.raises(RecorderClosed):
        recorder.run(_key_write(f"key_{uuid.uuid4().hex[:12]}"))


def test_sqlite_writers_of_other_processes_queue_on_the_file_lock(tmp_path: Any) -> None:
    """While one process writes, a writer of another process waits on `<db>.write-lock` (not SQLite's polling)."""
    import fcntl
    import os
    import subprocess
    import sys
    import time

    url = f"sqlite:///{tmp_path / 'q.db'}"
    database = Database(url)
    upgrade(database.engine)
    lock_path = tmp_path / "q.db.write-lock"
    with database.write():
        assert lock_path.exists()
        probe = ("import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR)\n"
                 "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept BlockingIOError:\n    print('held')\n"
                 "else:\n    print('free')\n")
        assert subprocess.run([sys.executable, "-c", probe, str(lock_path)], capture_output=True, text=True,
                              timeout=30).stdout.strip() == "held"
    # released after the commit: another process now gets it at once
    fd = os.open(lock_path, os.O_RDWR)
    try:
        t0 = time.monotonic()
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert time.monotonic() - t0 < 1
    finally:
        os.close(fd)
    database.dispose()


def test_a_write_cancelled_while_queued_is_skipped_and_the_writer_goes_on(db: Database) -> None:
    """An awaiting request that is cancelled (client gone, shutdown) cancels its queued write: the writer must
    skip it, not fail on completing a cancelled future, and keep serving everyone else."""
    recorder = Recorder(db)
    started, release = threading.Event(), threading.Event()
    blocker = threading.Thread(target=recorder.run,
                               args=(_key_write(f"key_{uuid.uuid4().hex[:12]}", started=started, release=release),))
    blocker.start()
    assert started.wait(10)
    cancelled_id = f"key_{uuid.uuid4().hex[:12]}"
    future = recorder.submit(_key_write(cancelled_id))
    assert future.cancel()
    release.set()
    blocker.join(10)
    later = f"key_{uuid.uuid4().hex[:12]}"
    assert recorder.submit(_key_write(later)).result(timeout=20) == later  # the writer is alive
    assert _count(db, [cancelled_id]) == 0 and _count(db, [later]) == 1
    recorder.close()
