"""Opening the database safely, and its transactions.

The file is checked before SQLite touches it (a file that is not SQLite, or that its owner made
read-only, is refused, never rewritten). The connection runs in WAL mode with a busy timeout,
foreign keys on and `synchronous = FULL`, so a committed review survives a crash or power cut.
Writes take the write lock at the start (`BEGIN IMMEDIATE`): two sessions on one home then
wait for each other instead of failing with "database is locked".
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from revise.store import schema
from revise.store.errors import StoreError, damaged, guarded, read_only, translate

SQLITE_MAGIC = b"SQLite format 3\x00"
DEFAULT_BUSY_TIMEOUT = 10.0


def _no_write_bits(path: Path) -> bool:
    # mode bits, not os.access: a file its owner marked read-only stays so even for root
    return not (path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def check_file(path: Path) -> None:
    """Refuse a path that is not a usable database file, before SQLite opens it."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the folder {folder}: {exc.strerror or exc}") from None
    if path.exists():
        if not path.is_file():
            raise StoreError(f"{path} is not a file; use another home with --home")
        if not os.access(path, os.R_OK):
            raise StoreError(f"cannot read the review database {path}: permission denied")
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
        if head and head != SQLITE_MAGIC[: len(head)]:
            raise damaged(path, "file is not a database")
        if head and len(head) < len(SQLITE_MAGIC):
            raise damaged(path, "the file is truncated")
        if _no_write_bits(path) or not os.access(path, os.W_OK):
            raise read_only(path)
    if _no_write_bits(folder) or not os.access(folder, os.W_OK):
        raise read_only(path)


class Store:
    """A connection to one review database, with its schema up to date.

    Usable from several threads (the app's workers): statements are serialised by a lock.
    """

    def __init__(self, path: Path, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self.lock = threading.RLock()
        self.backup: Path | None = None
        check_file(path)
        try:
            self.conn = sqlite3.connect(
                path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise translate(exc, path, busy_timeout) from None
        try:
            with guarded(path, busy_timeout):
                self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
                self.conn.execute("PRAGMA foreign_keys = ON")
                schema.precheck(self.conn, path)  # reads only: refuse before changing anything
                mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreError(
                        f"the review database {path} cannot use write-ahead logging "
                        f"(journal mode {mode}); is it on a network drive? use another home"
                    )
                self.conn.execute("PRAGMA synchronous = FULL")
                self.backup = schema.ensure(self.conn, path)
        except BaseException:
            self.conn.close()
            raise

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several reads (a deferred transaction)."""
        with self.lock, guarded(self.path, self.busy_timeout):
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            finally:
                if self.conn.in_transaction:
                    self.conn.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, holding the write lock from its start; rolled back on error."""
        with self.lock, guarded(self.path, self.busy_timeout):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def integrity(self) -> str:
        """`PRAGMA integrity_check`'s verdict ("ok" when the file is sound)."""
        with self.lock, guarded(self.path, self.busy_timeout):
            rows = self.conn.execute("PRAGMA integrity_check").fetchall()
        return "; ".join(str(r[0]) for r in rows)

    def close(self) -> None:
        with self.lock:
            self.conn.close()


def open_store(path: Path, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Store:
    """Open (creating or migrating) the review database at `path`."""
    return Store(path, busy_timeout)
