"""Append-only audit log whose rows are chained by hash.

Each row stores the hash of the row before it and a SHA-256 over its own content and that
previous hash, so editing a row breaks its own hash and deleting one breaks the link of the next:
``flask --app civicsante audit-verify`` walks the chain and names the first bad row. The database
refuses UPDATE and DELETE on the table (triggers created by the migration); the chain is what still
catches someone who goes around them with direct access to the file or the server.

``record()`` adds the row to the current transaction, so an action and its audit row are committed
together or not at all.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from flask import has_request_context, request
from sqlalchemy import String, Text, select, text
from sqlalchemy.orm import Mapped, mapped_column

from civicsante.extensions import db
from civicsante.types import UTCDateTime, utcnow

GENESIS_HASH = "0" * 64
# Any constant: the key of the PostgreSQL advisory lock that serialises appends to the chain.
_PG_CHAIN_LOCK = 726_431_001


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # No foreign key on purpose: a cascade would rewrite rows and break the chain.
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_label: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    ip: Mapped[str | None] = mapped_column(String(45))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    @property
    def detail_dict(self) -> dict:
        return json.loads(self.detail or "{}")


def _content_hash(entry: AuditEntry) -> str:
    payload = json.dumps(
        [
            entry.prev_hash,
            entry.at.isoformat(timespec="microseconds"),
            entry.actor_id,
            entry.actor_label,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.detail,
            entry.ip,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _describe(obj) -> tuple[str | None, str | None]:
    if obj is None:
        return None, None
    if isinstance(obj, tuple):
        kind, ident = obj
        return kind, str(ident)
    return getattr(obj, "__tablename__", type(obj).__name__), str(getattr(obj, "id", obj))


def record(actor, action: str, obj=None, **detail) -> AuditEntry:
    """Append an audit row to the current transaction.

    ``actor`` is a ``User`` (or None for the system or an anonymous visitor); ``obj`` a model
    instance (flushed, so it has an id) or a ``(type, id)`` pair; ``detail`` must never carry the
    content of health data, only identifiers and field names.
    """
    if obj is not None and not isinstance(obj, tuple) and getattr(obj, "id", None) is None:
        db.session.flush()
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_CHAIN_LOCK})
    prev = session.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
    object_type, object_id = _describe(obj)
    actor_id = getattr(actor, "id", None) if actor is not None else None
    if actor is None:
        label = "système" if not has_request_context() else "anonyme"
    else:
        label = f"#{actor_id} {getattr(actor, 'pseudonym', None) or ''}".strip()
    entry = AuditEntry(
        at=utcnow(),
        actor_id=actor_id,
        actor_label=label[:100],
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str),
        ip=request.remote_addr if has_request_context() else None,
        prev_hash=prev or GENESIS_HASH,
    )
    entry.hash = _content_hash(entry)
    session.add(entry)
    session.flush()  # keeps ids in chain order within one transaction
    return entry


@dataclass
class VerifyResult:
    ok: bool
    rows: int
    problems: list[str]


def verify_chain(batch: int = 5000) -> VerifyResult:
    """Walk the whole chain in id order, in batches (the log grows large)."""
    problems: list[str] = []
    expected_prev = GENESIS_HASH
    last_id = 0
    count = 0
    while True:
        rows = db.session.execute(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).scalars().all()
        if not rows:
            break
        for entry in rows:
            count += 1
            if entry.prev_hash != expected_prev:
                problems.append(
                    f"entrée {entry.id} : chaînage rompu (une entrée précédente a été supprimée ou modifiée)"
                )
            if _content_hash(entry) != entry.hash:
                problems.append(f"entrée {entry.id} : contenu modifié (empreinte invalide)")
            expected_prev = entry.hash
            last_id = entry.id
        db.session.expunge_all()
    return VerifyResult(ok=not problems, rows=count, problems=problems)


# DDL the migration runs: the database itself refuses to rewrite history.
APPEND_ONLY_DDL = {
    "sqlite": [
        ("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
         "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"),
        ("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
         "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"),
    ],
    "postgresql": [
        ("CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
         "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql"),
        ("CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log "
         "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"),
    ],
}
DROP_APPEND_ONLY_DDL = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_log_no_update", "DROP TRIGGER IF EXISTS audit_log_no_delete"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log",
        "DROP FUNCTION IF EXISTS audit_log_append_only()",
    ],
}
