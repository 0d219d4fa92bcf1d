"""The mock's memory: accepted records in SQLite, one account per API key.

In memory by default, a file in WAL mode with ``--db`` so records survive a
restart. One connection behind one lock: SQLite serialises writers anyway, and
a single lock makes "concurrent writers lose nothing" true by construction.
Accounts are stored as a digest of the key, so a ``--db`` file holds no keys.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterable

from ..datetimes import parse_iso_datetime

ENTITIES: tuple[str, ...] = ("customers", "purchases", "products", "branches")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    createtime TEXT NOT NULL,
    processing_date TEXT,
    has_customers INTEGER NOT NULL,
    has_purchases INTEGER NOT NULL,
    has_products INTEGER NOT NULL,
    has_branches INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_account ON records (account, id);
"""


def account_of(api_key: str) -> str:
    """The stored name of a key's account: a digest, so the database never holds the key."""
    return hashlib.sha256(api_key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def utc_now() -> str:
    """``createtime`` as the docs show it: ISO-8601, UTC, whole seconds, ``+00:00``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def processing_date(record: dict[str, Any]) -> str | None:
    """The calendar date of ``processingtime`` as written (its own offset); None if not a date-time."""
    value = record.get("processingtime")
    if type(value) is not str:
        return None
    parsed = parse_iso_datetime(value)
    return parsed.date().isoformat() if parsed is not None else None


_OWN_TABLES = frozenset({"records", "sqlite_sequence"})
_OWN_COLUMNS = ("id", "account", "createtime", "processing_date", "has_customers", "has_purchases",
                "has_products", "has_branches", "body")


class StoreError(ValueError):
    """A ``--db`` file the mock must not use; the message says why."""


def check_db_file(path: str) -> None:
    """Refuse, without changing a byte, a file the mock can't write or that isn't its own database.

    Runs before anything is written (no journal-mode switch, no table created): the schema is
    read through a read-only, immutable connection.
    """
    if os.path.isdir(path):
        raise StoreError("it is a directory")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise StoreError(f"its folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(f"the mock cannot write in its folder {folder} (SQLite keeps -wal and -shm files there)")
    if not os.path.exists(path):
        return
    if not os.path.isfile(path):
        raise StoreError("it is not a regular file")
    try:
        with open(path, "r+b"):
            pass
    except OSError as exc:
        raise StoreError(f"the mock cannot write it: {exc.strerror or exc}") from None
    if os.path.getsize(path) == 0:
        return
    uri = "file:" + os.path.abspath(path).replace("?", "%3f").replace("#", "%23") + "?mode=ro&immutable=1"
    try:
        probe = sqlite3.connect(uri, uri=True)
        try:
            tables = {name for (name,) in probe.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            columns = tuple(row[1] for row in probe.execute("PRAGMA table_info(records)"))
        finally:
            probe.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"it is not a SQLite database ({exc})") from None
    if not tables <= _OWN_TABLES or ("records" in tables and columns != _OWN_COLUMNS):
        raise StoreError("it is another application's SQLite database (tables: "
                         f"{', '.join(sorted(tables)) or 'none'}); give the mock a file of its own")


@dataclass(frozen=True)
class ListQuery:
    """``GET /v1/logs`` filters, already validated."""

    entity: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 0
    limit: int = 25


@dataclass(frozen=True)
class StatsQuery:
    """``GET /apiv3/stats`` filters: ``createtime`` bounds as UTC strings, inclusive."""

    branch: str | None = None
    created_from: str | None = None
    created_to: str | None = None


class Store:
    """Records per account, newest first by insertion order (the row id)."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        if path:
            check_db_file(path)
        self._db = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
        if path:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        self._closed = False

    # -- writing ---------------------------------------------------------------------

    def add(self, api_key: str, record: dict[str, Any], createtime: str | None = None) -> str:
        """Store a checked record; return it as stored (JSON text), with the server-set ``createtime``."""
        stored = dict(record)
        stored["createtime"] = createtime or utc_now()
        stats = stored.get("stats")
        present = [int(type(stats) is dict and name in stats) for name in ENTITIES]
        body = json.dumps(stored, separators=(",", ":"))  # ASCII: lone surrogates stay storable
        with self._lock:
            self._db.execute(
                "INSERT INTO records (account, createtime, processing_date, has_customers, has_purchases,"
                " has_products, has_branches, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (account_of(api_key), stored["createtime"], processing_date(stored), *present, body),
            )
        return body

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM records")

    # -- reading ---------------------------------------------------------------------

    def count(self, api_key: str | None = None) -> int:
        with self._lock:
            if api_key is None:
                return int(self._db.execute("SELECT COUNT(*) FROM records").fetchone()[0])
            return int(self._db.execute("SELECT COUNT(*) FROM records WHERE account = ?",
                                        (account_of(api_key),)).fetchone()[0])

    def records(self, api_key: str) -> list[dict[str, Any]]:
        """Every record of one account, newest first."""
        with self._lock:
            rows = self._db.execute("SELECT body FROM records WHERE account = ? ORDER BY id DESC",
                                    (account_of(api_key),)).fetchall()
        return [json.loads(body) for (body,) in rows]

    def list_bodies(self, api_key: str, query: ListQuery) -> list[str]:
        """One page of stored bodies (JSON text), newest first with a stable order."""
        offset = query.page * query.limit
        if offset >= 2 ** 62:  # past any page SQLite could hold
            return []
        where, args = ["account = ?"], [account_of(api_key)]
        if query.entity is not None:
            where.append(f"has_{query.entity} = 1")  # validated against ENTITIES
        if query.date_from is not None:
            where.append("processing_date >= ?")
            args.append(query.date_from.isoformat())
        if query.date_to is not None:
            where.append("processing_date <= ?")
            args.append(query.date_to.isoformat())
        sql = f"SELECT body FROM records WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ? OFFSET ?"
        with self._lock:
            rows = self._db.execute(sql, (*args, query.limit, offset)).fetchall()
        return [body for (body,) in rows]

    def stats(self, api_key: str, query: StatsQuery) -> dict[str, Any]:
        """Account totals computed from the stored records (Python ints: no 64-bit overflow)."""
        where, args = ["account = ?"], [account_of(api_key)]
        if query.created_from is not None:
            where.append("createtime >= ?")
            args.append(query.created_from)
        if query.created_to is not None:
            where.append("createtime <= ?")
            args.append(query.created_to)
        with self._lock:
            rows = self._db.execute(f"SELECT body FROM records WHERE {' AND '.join(where)} ORDER BY id",
                                    args).fetchall()
        return compute_stats((json.loads(body) for (body,) in rows), query.branch)

    def close(self) -> None:
        """Close the database; in WAL mode this checkpoints, leaving one self-contained file."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()


_FIGURES = ("total_customers", "total_purchases", "total_revenue", "total_invoice_items")


def _number(value: Any) -> int:
    """A stored integer figure; anything else (absent, bool, fraction) counts as 0."""
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    return 0


def _entity(stats: Any, name: str) -> dict[str, Any]:
    value = stats.get(name) if type(stats) is dict else None
    return value if type(value) is dict else {}


def _branches(entity: dict[str, Any]) -> Iterable[dict[str, Any]]:
    items = entity.get("per_branches")
    if type(items) is list:
        for item in items:
            if type(item) is dict and type(item.get("branch")) is str:
                yield item


def compute_stats(records: Iterable[dict[str, Any]], branch: str | None = None) -> dict[str, Any]:
    """The ``/apiv3/stats`` answer for these records.

    total_customers = Σ customers.total_created, total_purchases = Σ purchases.total_created,
    total_revenue and total_invoice_items = Σ of purchases' fields; per_branches the same from
    the per_branches entries. With ``branch``, only that branch counts, totals included.
    """
    totals = dict.fromkeys(_FIGURES, 0)
    per: dict[str, dict[str, int]] = {}

    def row(name: str) -> dict[str, int]:
        if name not in per:
            per[name] = dict.fromkeys(_FIGURES, 0)
        return per[name]

    for record in records:
        stats = record.get("stats")
        customers, purchases = _entity(stats, "customers"), _entity(stats, "purchases")
        if branch is None:
            totals["total_customers"] += _number(customers.get("total_created"))
            totals["total_purchases"] += _number(purchases.get("total_created"))
            totals["total_revenue"] += _number(purchases.get("total_revenue"))
            totals["total_invoice_items"] += _number(purchases.get("total_invoice_items"))
        for item in _branches(customers):
            if branch is None or item["branch"] == branch:
                row(item["branch"])["total_customers"] += _number(item.get("total_created"))
        for item in _branches(purchases):
            if branch is None or item["branch"] == branch:
                figures = row(item["branch"])
                figures["total_purchases"] += _number(item.get("total_created"))
                figures["total_revenue"] += _number(item.get("total_revenue"))
                figures["total_invoice_items"] += _number(item.get("total_invoice_items"))
    if branch is not None:
        totals = dict(per.get(branch, totals))
    return {**totals, "per_branches": [{"branch": name, **per[name]} for name in sorted(per)]}
