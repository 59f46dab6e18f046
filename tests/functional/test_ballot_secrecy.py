"""Secret ballots stay secret even to someone who reads the whole database or the published
files: nothing ties a ballot to the person who cast it. An open ballot, in contrast, is kept
with its voter so that they can see and change it."""
from __future__ import annotations

import json
import re
from datetime import datetime

from sqlalchemy import DateTime, func, inspect, select, text

from civicsante.accounts.models import User
from civicsante.audit import AuditEntry
from civicsante.consultations import results, services
from civicsante.consultations.models import Ballot, BallotMark, Consultation, Participation
from civicsante.extensions import db
from civicsante.needs.models import Notification
from civicsante.types import UTCDateTime
from tests.support.consultations import make_consultation, phase_dates
from tests.support.factories import make_user
from tests.support.sessions import accounts_with_sessions

VOTERS = 30
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}")


def _distinct_ballots(candidates: list[str], n: int) -> list[dict]:
    """n different majority-judgment ballots (so that their order can be followed)."""
    a, b, c = candidates
    return [{a: i % 7, b: (i // 7) % 7, c: 6 - i % 7} for i in range(n)]


def _secret_vote(app, world):
    """A secret consultation with VOTERS online ballots and one assisted ballot, in the order
    cast; answers (consultation id, voters' ids, the ballots in the order cast, the ballot ids
    in the order they were created)."""
    facilitator = make_user(app, role="facilitator", territory_id=world.commune.id,
                            home_territory_id=world.commune.id)
    consultation = make_consultation(app, territory_id=world.commune.id, facilitator_id=facilitator.id,
                                     secrecy="secret", priorities=3)
    accounts_with_sessions(app, VOTERS, prefix="secret", home_territory_id=world.quartier.id,
                           age_bands=("25_34", "50_64", "75_et_plus"))
    assisted = make_user(app, home_territory_id=world.commune.id, age_band="65_74")
    with app.app_context():
        c = db.session.get(Consultation, consultation.id)
        voters = db.session.execute(select(User).where(User.email.like("secret%"))
                                    .order_by(User.id)).scalars().all() + [db.session.get(User, assisted.id)]
        ballots = _distinct_ballots(services.candidates(c), len(voters))
        created: list[str] = []
        for i, (voter, ballot) in enumerate(zip(voters, ballots, strict=True)):
            entered_by = db.session.get(User, facilitator.id) if voter.id == assisted.id else None
            services.cast_ballot(c, voter, ballot, entered_by=entered_by)
            db.session.commit()
            ids = set(db.session.execute(select(Ballot.id)).scalars())
            created.extend(ids - set(created))
            assert len(created) == i + 1
        voter_ids = [v.id for v in voters]
    return consultation.id, facilitator.id, voter_ids, ballots, created


def _every_table() -> dict[str, list[dict]]:
    """Every row of every table of the database: the models' tables and any other one the
    migrations made (full-text indexes, Alembic's), read back as plain values."""
    tables = {t.name: db.session.execute(select(t)).mappings().all() for t in db.metadata.sorted_tables}
    for name in inspect(db.session.connection()).get_table_names():
        if name not in tables:
            tables[name] = db.session.execute(text(f'SELECT * FROM "{name}"')).mappings().all()
    return tables


def test_no_table_ties_a_secret_ballot_to_its_voter(app, world):
    cid, facilitator_id, voter_ids, _ballots, ballot_ids = _secret_vote(app, world)
    with app.app_context():
        ballot_table = db.metadata.tables["ballot"]
        mark_table = db.metadata.tables["ballot_mark"]
        participation = db.metadata.tables["participation"]
        # The schema: only ballot_mark points at a ballot; neither ballot table has a time.
        pointing_at_ballots = {(t.name, fk.parent.name) for t in db.metadata.sorted_tables
                               for fk in t.foreign_keys if fk.column.table is ballot_table}
        assert pointing_at_ballots == {("ballot_mark", "ballot_id")}
        def times(table):
            return [col.name for col in table.columns if isinstance(col.type, (DateTime, UTCDateTime))]

        assert times(ballot_table) == ["updated_at"]   # open ballots only: checked empty below
        assert times(mark_table) == [] and times(participation) == []
        assert not any(fk.column.table is ballot_table for fk in participation.foreign_keys)
        # The rows: the only time column of a ballot (open ballots) is empty, and so is its voter.
        rows = db.session.execute(select(Ballot)).scalars().all()
        assert len(rows) == VOTERS + 1
        assert all(r.voter_id is None and r.updated_at is None for r in rows)
        # A ballot id appears nowhere but in the ballot tables: not in any column of any other
        # table, the audit log included.
        wanted = set(ballot_ids)
        for name, table_rows in _every_table().items():
            if name in ("ballot", "ballot_mark"):
                continue
            for row in table_rows:
                for column, value in row.items():
                    assert not any(bid in str(value) for bid in wanted), (name, column)
        # The assisted ballot is audited with the person it was entered for, not its content.
        entries = db.session.execute(select(AuditEntry).where(AuditEntry.action.like("ballot%"))).scalars().all()
        assert [(e.action, e.detail_dict) for e in entries] == [("ballot.assisted", {"person_id": voter_ids[-1]})]
        # Participation says who voted, never when nor which ballot.
        assert {col.name for col in participation.columns} == {
            "consultation_id", "user_id", "channel", "entered_by_id", "receipt"}
        assert db.session.execute(select(func.count()).select_from(Participation)).scalar_one() == VOTERS + 1
        # Voting tells nobody anything.
        assert db.session.execute(select(func.count()).select_from(Notification)).scalar_one() == 0


def test_secret_ballot_ids_are_random_and_their_stored_order_is_not_the_voting_order(app, world):
    _cid, _f, _voters, _ballots, ballot_ids = _secret_vote(app, world)
    assert all(re.fullmatch(r"[0-9a-f]{32}", bid) for bid in ballot_ids)
    assert len(set(ballot_ids)) == len(ballot_ids)
    numbers = [int(bid, 16) for bid in ballot_ids]
    assert numbers != sorted(numbers) and numbers != sorted(numbers, reverse=True)
    assert len({b - a for a, b in zip(numbers, numbers[1:])}) > 1
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            # WITHOUT ROWID: the rows are stored (and read back, unordered) in the order of the
            # random id, not in the order they were written.
            stored = [row.id for row in db.session.execute(select(Ballot)).scalars()]
            assert sorted(stored) == sorted(ballot_ids) and stored != ballot_ids


def _export_text(app, cid) -> tuple[dict, str]:
    with app.app_context():
        data = results.export(db.session.get(Consultation, cid))
        db.session.commit()
    return data, json.dumps(data, ensure_ascii=False, default=str)


def test_the_published_ballots_carry_nobody_and_are_shuffled(app, world):
    cid, facilitator_id, voter_ids, ballots, ballot_ids = _secret_vote(app, world)
    with app.app_context():
        c = db.session.get(Consultation, cid)
        for key, value in phase_dates("resultats").items():
            setattr(c, key, value)
        db.session.commit()
        people = db.session.execute(select(User.email, User.pseudonym).where(
            User.id.in_(voter_ids + [facilitator_id]))).all()
        candidates = services.candidates(c)
    data, text = _export_text(app, cid)
    assert set(data) == {"consultation", "method", "candidates", "candidate_titles", "options", "ballots", "tally"}
    assert data["tally"]["ballots_counted"] == len(ballots)
    for ballot in data["ballots"]:
        assert set(ballot) == set(candidates) and all(0 <= v <= 6 for v in ballot.values())
    assert sorted(map(repr, data["ballots"])) == sorted(map(repr, ballots))
    for email, pseudonym in people:
        assert email not in text and pseudonym not in text
    assert not any(bid in text for bid in ballot_ids)
    assert not TIMESTAMP.search(text), TIMESTAMP.search(text)
    assert "user" not in text and "voter" not in text and "en_ligne" not in text and "assiste" not in text
    # Shuffled: neither in the order cast nor in the stored (id) order, and never twice the same.
    orders = []
    for _ in range(3):
        with app.app_context():
            orders.append(results.anonymised_ballots(db.session.get(Consultation, cid)))
    with app.app_context():
        # The export sealed the ballots (new ids): read the stored order back from the marks.
        stored: dict[str, dict] = {}
        for bid, pid, value in db.session.execute(select(BallotMark.ballot_id, BallotMark.priority_id,
                                                         BallotMark.value)):
            stored.setdefault(bid, {})[str(pid)] = value
    stored_order = [stored[bid] for bid in sorted(stored)]
    for order in orders:
        assert order != ballots and order != stored_order
    assert orders[0] != orders[1] or orders[1] != orders[2]


def test_an_open_ballot_is_kept_with_its_voter(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, secrecy="ouvert", priorities=3)
    voter = make_user(app, home_territory_id=world.commune.id)
    other = make_user(app, home_territory_id=world.commune.id)
    with app.app_context():
        c = db.session.get(Consultation, consultation.id)
        a, b, d = services.candidates(c)
        services.cast_ballot(c, db.session.get(User, voter.id), {a: 6, b: 3, d: 0})
        db.session.commit()
        assert services.open_ballot_of(c, db.session.get(User, voter.id)) == {a: 6, b: 3, d: 0}
        assert services.open_ballot_of(c, db.session.get(User, other.id)) is None
        row = db.session.execute(select(Ballot)).scalar_one()
        assert row.voter_id == voter.id and isinstance(row.updated_at, datetime)
        assert db.session.execute(select(func.count()).select_from(BallotMark)).scalar_one() == 3


def test_closing_seals_the_ballots_so_no_write_trace_pairs_them_with_voters(app, world):
    consultation_id, _facilitator_id, _voter_ids, ballots, created = _secret_vote(app, world)
    with app.app_context():
        c = db.session.get(Consultation, consultation_id)
        before = results.compute(c)["result"]["ranking"]
        for key, value in phase_dates("resultats").items():
            setattr(c, key, value)
        db.session.commit()
        published = results.results_for(c)
        db.session.commit()
        assert c.ballots_sealed_at is not None
        assert published["result"]["ranking"] == before and published["ballots"] == len(ballots)
        after = db.session.execute(select(Ballot.id)).scalars().all()
        # Every ballot was rewritten under a new random id, the marks with it.
        assert len(after) == len(ballots) and not set(after) & set(created)
        assert db.session.execute(select(func.count()).select_from(BallotMark).where(
            BallotMark.ballot_id.not_in(after))).scalar_one() == 0
        # Seen as the storage has them: one writer for all, and not the voting order.
        if db.engine.dialect.name == "postgresql":
            writers = set(db.session.execute(text("SELECT xmin::text FROM ballot")).scalars())
            voters_writers = set(db.session.execute(text("SELECT xmin::text FROM participation")).scalars())
            assert len(writers) == 1 and not writers & voters_writers
            stored = db.session.execute(text("SELECT id FROM ballot ORDER BY ctid")).scalars().all()
        else:
            stored = db.session.execute(text("SELECT id FROM ballot")).scalars().all()
        marks = dict(db.session.execute(select(BallotMark.ballot_id, BallotMark.value).where(
            BallotMark.priority_id == int(services.candidates(c)[0]))).all())
        first_grades = [marks.get(ballot_id, 0) for ballot_id in stored]
        assert first_grades != [b[services.candidates(c)[0]] for b in ballots]
        # Sealed once: a second look at the results changes nothing.
        sealed_at = c.ballots_sealed_at
        results.results_for(c)
        db.session.commit()
        assert c.ballots_sealed_at == sealed_at
        assert set(db.session.execute(select(Ballot.id)).scalars()) == set(after)
