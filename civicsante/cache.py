"""Copies kept in each worker process of what many visitors read and few change, and the data
generations that tell, with one read of one row, whether a kept copy still holds.

A *data generation* is a row of ``data_generation`` whose value the database itself changes, in
the same transaction, whenever a row of the tables it covers is inserted, updated or deleted
(triggers of migrations 0009 to 0011; ``GENERATION_TABLES``). A copy kept under the generation
read at the start of a request is therefore exact for as long as that value stays the same, whichever
worker, host, script or bulk SQL wrote the change; nothing is ever invalidated, stale copies
simply stop being asked for and leave the least-recently-used store.

Why a value is never seen twice, even when a transaction is rolled back:

- SQLite: the new value is ``random()`` (64 bits), written by a row trigger. SQLite has one
  writer at a time, so the row is no contention point.
- PostgreSQL: the new value is ``nextval`` of a sequence (never handed out twice), written by a
  constraint trigger deferred to the commit: the row is locked only while the transaction
  commits, so two transactions writing needs in different orders cannot deadlock on it, and
  readers (READ COMMITTED) see the new value exactly when they see the change. A transaction
  that has written would read its own changes under the value from before them: it gets no
  value (``generation``), so it neither keeps nor reuses copies.

When the row is missing (a database emptied by hand), nothing is kept until the next write
puts it back.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app
from sqlalchemy import BigInteger, String, bindparam, func, select
from sqlalchemy.orm import Mapped, mapped_column

from civicsante.extensions import db

# The generation of what the needs list, the similar needs and the territory and category select
# boxes show: the needs themselves (texts, statuses, counts, visibility), their categories and
# the territorial tree (names, and which territory is inside which).
NEEDS = "needs"
# The generation of what casting a ballot needs to know of a consultation (migration 0010): its
# method, dates, territory and candidate priorities.
CONSULTATIONS = "consultations"
# The generation of what a need's page shows to every visitor (migration 0011): the need, its
# category and territory, its status history, its comments, and the public names of the people
# who wrote them.
NEED_PAGES = "need_pages"
GENERATION_TABLES: dict[str, tuple[str, ...]] = {
    NEEDS: ("need", "need_category", "territory"),
    CONSULTATIONS: ("consultation", "priority", "territory"),
    NEED_PAGES: ("need", "need_category", "territory", "need_comment", "need_status_change", "user_account"),
}
# Tables a generation covers only for the updates of some columns (and for deletions): the
# accounts' public name, not their last login.
GENERATION_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {NEED_PAGES: {"user_account": ("pseudonym", "deleted_at")}}


class DataGeneration(db.Model):
    __tablename__ = "data_generation"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


_GENERATION = select(DataGeneration.value).where(DataGeneration.name == bindparam("name"))
# PostgreSQL: no value for a transaction that has written (it has a transaction id then), since
# it would read its own changes under the value from before them (see above).
_GENERATION_PG = _GENERATION.where(func.txid_current_if_assigned().is_(None))


def generation(name: str) -> int | None:
    """The current value of a data generation (one primary-key read), or None when nothing may
    be kept: the row is missing, or this PostgreSQL transaction has written."""
    query = _GENERATION if db.session.get_bind().dialect.name == "sqlite" else _GENERATION_PG
    return db.session.execute(query, {"name": name}).scalar()


class KeptCopies:
    """A least-recently-used store of ``size`` entries, safe across threads (gthread workers)."""

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def kept_copies(name: str, size: int) -> KeptCopies:
    """This app's store called ``name`` (one per app, so that test apps never share one)."""
    return current_app.extensions.setdefault(f"civicsante.kept.{name}", KeptCopies(size))


def kept(store: KeptCopies, generation_value: int | None, key: tuple, make: Callable[[], Any]) -> Any:
    """``make()``, or the copy kept for ``key`` at this generation. Without a generation (see
    ``generation``), always ``make()``, and nothing is kept. A ``None`` (nothing found) is not
    kept either: requests for ids that do not exist cannot push real copies out of the store."""
    if generation_value is None:
        return make()
    full_key = (generation_value, *key)
    value = store.get(full_key)
    if value is None:
        value = make()
        if value is not None:
            store.put(full_key, value)
    return value
