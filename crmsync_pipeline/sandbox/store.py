"""Record tables held in memory and written through to SQLite, so a restarted sandbox keeps its data.

Each emulator owns one store. Handlers mutate records through `put`/`delete`; the server commits the
changed rows once per request, which keeps persistence cost proportional to what a request changed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class RecordStore:
    def __init__(self, path: Path | None = None):
        self._tables: dict[str, dict[str, dict[str, Any]]] = {}
        self._meta: dict[str, Any] = {}
        self._dirty: set[tuple[str, str]] = set()
        self._dirty_meta: set[str] = set()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS records (tbl TEXT, id TEXT, body TEXT, PRIMARY KEY (tbl, id))"
            )
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, body TEXT)")
            self._load()

    def _load(self) -> None:
        assert self._db is not None
        for tbl, rid, body in self._db.execute("SELECT tbl, id, body FROM records"):
            self._tables.setdefault(tbl, {})[rid] = json.loads(body)
        for key, body in self._db.execute("SELECT key, body FROM meta"):
            self._meta[key] = json.loads(body)

    @property
    def is_empty(self) -> bool:
        return not self._meta and not any(self._tables.values())

    # records -------------------------------------------------------------------------------------
    def table(self, name: str) -> dict[str, dict[str, Any]]:
        """The live dict of a table. Mutating a record in place needs `touch` to be persisted."""
        return self._tables.setdefault(name, {})

    def get(self, table: str, record_id: str) -> dict[str, Any] | None:
        return self._tables.get(table, {}).get(record_id)

    def put(self, table: str, record_id: str, record: dict[str, Any]) -> None:
        self.table(table)[record_id] = record
        self._dirty.add((table, record_id))

    def touch(self, table: str, record_id: str) -> None:
        self._dirty.add((table, record_id))

    def delete(self, table: str, record_id: str) -> None:
        self._tables.get(table, {}).pop(record_id, None)
        self._dirty.add((table, record_id))

    def tables(self) -> Iterator[str]:
        return iter(list(self._tables))

    # small named values (counters, settings) ------------------------------------------------------
    def meta(self, key: str, default: Any = None) -> Any:
        return self._meta.get(key, default)

    def set_meta(self, key: str, value: Any) -> None:
        self._meta[key] = value
        self._dirty_meta.add(key)

    def next_counter(self, key: str, start: int = 1) -> int:
        value = int(self._meta.get(key, start - 1)) + 1
        self.set_meta(key, value)
        return value

    # persistence ---------------------------------------------------------------------------------
    def commit(self) -> None:
        if self._db is None or (not self._dirty and not self._dirty_meta):
            self._dirty.clear()
            self._dirty_meta.clear()
            return
        upserts, deletes = [], []
        for tbl, rid in self._dirty:
            record = self._tables.get(tbl, {}).get(rid)
            if record is None:
                deletes.append((tbl, rid))
            else:
                upserts.append((tbl, rid, json.dumps(record, separators=(",", ":"))))
        metas = [(k, json.dumps(self._meta[k])) for k in self._dirty_meta if k in self._meta]
        meta_deletes = [(k,) for k in self._dirty_meta if k not in self._meta]
        with self._db:
            if upserts:
                self._db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?)", upserts)
            if deletes:
                self._db.executemany("DELETE FROM records WHERE tbl = ? AND id = ?", deletes)
            if metas:
                self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", metas)
            if meta_deletes:
                self._db.executemany("DELETE FROM meta WHERE key = ?", meta_deletes)
        self._dirty.clear()
        self._dirty_meta.clear()

    def clear(self) -> None:
        """Forget every record and value (a sandbox reset)."""
        self._tables.clear()
        self._meta.clear()
        self._dirty.clear()
        self._dirty_meta.clear()
        if self._db is not None:
            with self._db:
                self._db.execute("DELETE FROM records")
                self._db.execute("DELETE FROM meta")

    def close(self) -> None:
        self.commit()
        if self._db is not None:
            self._db.close()
            self._db = None
