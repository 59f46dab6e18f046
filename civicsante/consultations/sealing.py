"""Sealing the secret ballots of a closed consultation.

A secret ballot row carries no voter, no time and a random id, but the database itself keeps
traces of how rows were written: PostgreSQL stores rows in the order they were inserted (a dump
lists them in that order, like the participation rows) and stamps each row with the id of the
transaction that wrote it (the system column ``xmin``), which the ballot shares with the
participation row written in the same transaction. Once the vote is closed, sealing rewrites every
ballot of the consultation, with a new random id, in a random order, in one transaction: the
rows then share one writer and their order says nothing. The old row versions are dead and
vanish with the next VACUUM (autovacuum, or the nightly maintenance).

While the vote runs, someone reading the live PostgreSQL database at a low level could still pair
a ballot with its participation; on SQLite the ballot tables are stored in the order of their
random ids (WITHOUT ROWID) from the start.
"""
from __future__ import annotations

from sqlalchemy import text

from civicsante.consultations.models import SECRET, Consultation
from civicsante.extensions import db
from civicsante.types import utcnow

_NEW_ID = {
    "sqlite": "lower(hex(randomblob(16)))",
    "postgresql": "replace(gen_random_uuid()::text, '-', '')",
}


def seal_secret_ballots(consultation: Consultation) -> int:
    """Rewrite the consultation's ballots with new random ids in a random order (once, after
    the close; a no-op for open consultations). Answers the number of ballots rewritten. Runs in
    the caller's transaction, which must commit."""
    if consultation.secrecy != SECRET or consultation.ballots_sealed_at is not None:
        return 0
    dialect = db.session.get_bind().dialect.name
    new_id = _NEW_ID.get(dialect, _NEW_ID["sqlite"])
    session = db.session
    session.flush()
    session.execute(text("CREATE TEMPORARY TABLE ballot_seal (old_id VARCHAR(32) PRIMARY KEY, "
                         "new_id VARCHAR(32) NOT NULL)"))
    try:
        session.execute(text(f"INSERT INTO ballot_seal (old_id, new_id) SELECT id, {new_id} FROM ballot "
                             "WHERE consultation_id = :c"), {"c": consultation.id})
        count = session.execute(text("SELECT count(*) FROM ballot_seal")).scalar_one()
        session.execute(text(
            "INSERT INTO ballot (id, consultation_id, channel, batch_id, voter_id, territory_id, age_band, updated_at) "
            "SELECT s.new_id, b.consultation_id, b.channel, b.batch_id, b.voter_id, b.territory_id, b.age_band, "
            "b.updated_at FROM ballot b JOIN ballot_seal s ON s.old_id = b.id ORDER BY random()"))
        session.execute(text(
            "INSERT INTO ballot_mark (ballot_id, priority_id, consultation_id, value) "
            "SELECT s.new_id, m.priority_id, m.consultation_id, m.value FROM ballot_mark m "
            "JOIN ballot_seal s ON s.old_id = m.ballot_id ORDER BY s.new_id, m.priority_id"))
        session.execute(text("DELETE FROM ballot_mark WHERE ballot_id IN (SELECT old_id FROM ballot_seal)"))
        session.execute(text("DELETE FROM ballot WHERE id IN (SELECT old_id FROM ballot_seal)"))
    finally:
        session.execute(text("DROP TABLE ballot_seal"))
    consultation.ballots_sealed_at = utcnow()
    return count
