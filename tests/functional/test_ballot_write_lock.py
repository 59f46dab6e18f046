"""The ballot submission reads everything before it takes the write lock, then holds it only for
its inserts (SQLite: the throughput of the vote is one writer at a time); what it read before the
lock and a concurrent request may have changed since — the vote dates — is checked again by the
insert itself."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, update

from civicsante.accounts.models import User
from civicsante.consultations import services
from civicsante.consultations.models import Ballot, BallotMark, Consultation, Participation
from civicsante.db import read_only, take_write_lock
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.types import utcnow
from tests.conftest import client_for
from tests.support.consultations import make_consultation, priority_ids
from tests.support.factories import make_user


def _count(model, consultation_id: int) -> int:
    return db.session.execute(select(func.count()).select_from(model)
                              .where(model.consultation_id == consultation_id)).scalar_one()


def _statements_of(app, action) -> list[str]:
    """Every statement ``action`` sends, transaction control included, in order."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_a_ballot_is_read_in_a_deferred_transaction_and_written_by_inserts_alone(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, method="majority_judgment",
                                     secrecy="secret", priorities=4)
    form = {f"grade-{cid}": "3" for cid in priority_ids(app, consultation.id)}
    client = client_for(app, make_user(app, home_territory_id=world.quartier.id))
    url = f"/consultations/{consultation.id}/vote/confirmer"

    responses = []
    statements = _statements_of(app, lambda: responses.append(client.post(url, data=form)))

    assert responses[0].status_code == 303
    assert responses[0].headers["Location"].endswith(f"/consultations/{consultation.id}/recu?vote=enregistre")
    with app.app_context():
        assert _count(Participation, consultation.id) == _count(Ballot, consultation.id) == 1
        assert _count(BallotMark, consultation.id) == 4
        sqlite = db.engine.dialect.name == "sqlite"
    writes = [s for s in statements if s.startswith(("INSERT", "UPDATE", "DELETE", "WITH"))]
    if not sqlite:  # PostgreSQL: one statement writes the three tables (data-modifying CTEs)
        assert len(writes) == 1 and writes[0].startswith("WITH")
        assert [part.split()[0] for part in writes[0].split("INSERT INTO ")[1:]] == [
            "participation", "ballot", "ballot_mark"]
        return
    assert [w.split()[2] for w in writes] == ["participation", "ballot", "ballot_mark"]
    # SQLite: the reads (session, user, consultation, priorities, participation) under a
    # deferred BEGIN, then BEGIN IMMEDIATE and nothing but the three inserts to the end of the
    # request (the driver's commit is not a statement the cursor sees).
    assert statements[0] == "BEGIN"
    locked = statements.index("BEGIN IMMEDIATE")
    assert statements[locked - 1] == "COMMIT"
    assert statements[locked + 1:] == writes
    assert sum(s == "BEGIN IMMEDIATE" for s in statements) == 1
    reads = statements[1:locked - 1]
    assert reads and all(s.startswith("SELECT") for s in reads)
    assert len(reads) <= 6


def test_a_vote_closed_after_the_reads_refuses_the_ballot(app, world):
    """A facilitator closes the vote between the ballot's reads and its write: the consultation
    the service read still says open, the database no longer does, and the insert decides."""
    consultation = make_consultation(app, territory_id=world.commune.id, method="majority_judgment",
                                     priorities=3)
    voter = make_user(app, home_territory_id=world.quartier.id)
    with app.app_context():
        c = db.session.get(Consultation, consultation.id)
        person = db.session.get(User, voter.id)
        ballot = dict.fromkeys(services.candidates(c), 4)
        now = utcnow()
        assert c.phase(now) == "vote"
        db.session.execute(update(Consultation).where(Consultation.id == c.id)
                           .values(vote_ends_at=now - timedelta(seconds=1))
                           .execution_options(synchronize_session=False))
        with pytest.raises(DomainError) as refused:
            services.cast_ballot(c, person, ballot, now=now)
        assert not isinstance(refused.value, services.AlreadyVoted)
        db.session.rollback()
        assert _count(Participation, c.id) == _count(Ballot, c.id) == _count(BallotMark, c.id) == 0


def test_an_open_ballot_is_not_changed_once_the_vote_closed_after_the_reads(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, method="majority_judgment",
                                     secrecy="ouvert", priorities=3)
    voter = make_user(app, home_territory_id=world.quartier.id)
    with app.app_context():
        c = db.session.get(Consultation, consultation.id)
        person = db.session.get(User, voter.id)
        first = dict.fromkeys(services.candidates(c), 4)
        services.cast_ballot(c, person, first)
        db.session.commit()
        now = utcnow()
        db.session.execute(update(Consultation).where(Consultation.id == c.id)
                           .values(vote_ends_at=now - timedelta(seconds=1))
                           .execution_options(synchronize_session=False))
        with pytest.raises(DomainError):
            services.cast_ballot(c, person, dict.fromkeys(services.candidates(c), 0), now=now)
        db.session.rollback()
        assert services.open_ballot_of(c, person) == first


def test_the_write_lock_is_not_taken_over_a_transaction_that_already_wrote(app, world):
    """Taking the lock ends the deferred reads with a COMMIT: if they had written anything, that
    write would be committed on its own, so it is refused (SQLite; a no-op on PostgreSQL)."""
    voter = make_user(app, home_territory_id=world.quartier.id)
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            take_write_lock(db.session)  # nothing to do on PostgreSQL
            db.session.rollback()
            return
        with read_only():
            db.session.get(User, voter.id)
            take_write_lock(db.session)             # reads only: the lock is taken
            db.session.execute(update(User).where(User.id == voter.id).values(pseudonym="Lock"))
            take_write_lock(db.session)             # already held: nothing to do
            db.session.rollback()
        with read_only():
            db.session.execute(update(User).where(User.id == voter.id).values(pseudonym="Early"))
            with pytest.raises(RuntimeError):
                take_write_lock(db.session)
            db.session.rollback()
        assert db.session.get(User, voter.id).pseudonym not in ("Lock", "Early")
