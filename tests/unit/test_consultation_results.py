"""Results tallied from SQL aggregates equal the tally of the raw ballots, for every method."""
from __future__ import annotations

import random

import pytest

from civicsante import voting
from civicsante.consultations import results, services
from civicsante.consultations.models import Consultation
from civicsante.extensions import db
from tests.support.consultations import make_consultation, priority_ids


def _random_ballot(method: str, cands: list[str], rng: random.Random):
    if method == "single":
        return rng.choice(cands)
    if method == "approval":
        return rng.sample(cands, rng.randint(0, len(cands)))
    if method in ("borda", "schulze"):
        return rng.sample(cands, rng.randint(0, len(cands)))  # partial rankings, blanks too
    if method == "points":
        left, ballot = 10, {}
        for c in rng.sample(cands, len(cands)):
            ballot[c] = rng.randint(0, left)
            left -= ballot[c]
        return {c: v for c, v in ballot.items() if v}
    return {c: rng.randint(0, 6) for c in rng.sample(cands, rng.randint(0, len(cands)))}


def _store(app, consultation_id: int, ballots: list) -> None:
    """Ballots stored as the vote stores them (bypassing accounts, which are not the point here)."""
    with app.app_context():
        consultation = db.session.get(Consultation, consultation_id)
        for ballot in ballots:
            services._store_ballot(consultation, ballot, channel="en_ligne")
        db.session.commit()


@pytest.mark.parametrize("method", ["single", "approval", "borda", "schulze", "points", "majority_judgment"])
def test_tally_from_database_counts_equals_tally_of_raw_ballots(app, world, method):
    consultation = make_consultation(app, territory_id=world.commune.id, method=method, priorities=4,
                                     phase="collecte")
    cands = priority_ids(app, consultation.id)
    rng = random.Random(method)
    ballots = [_random_ballot(method, cands, rng) for _ in range(60)]
    _store(app, consultation.id, ballots)
    with app.app_context():
        consultation = db.session.get(Consultation, consultation.id)
        expected = voting.tally(method, cands, ballots, **consultation.tally_options)
        computed = results.compute(consultation)
        assert computed["result"]["ranking"] == expected.ranking
        assert computed["ballots"] == 60
        recount = voting.tally(method, cands, results.anonymised_ballots(consultation),
                               **consultation.tally_options)
        assert recount.ranking == expected.ranking
        assert sorted(map(repr, results.anonymised_ballots(consultation))) == sorted(map(repr, [
            services.ballot_of(method, services.marks_of(method, b)) if services.marks_of(method, b) or
            method == "single" else b for b in ballots]))


def test_the_recount_reads_the_consultations_own_marks_in_ballot_order_from_the_index(app, world):
    """A consultation's marks are indexed in the order of its ballots (migration 0012): the
    recount streams them from that index instead of reading every consultation's marks, and a
    ballot's marks sit side by side in it."""
    from sqlalchemy import inspect, text

    consultation = make_consultation(app, territory_id=world.commune.id, method="majority_judgment",
                                     priorities=3, phase="collecte")
    with app.app_context():
        indexes = {ix["name"]: ix["column_names"] for ix in inspect(db.engine).get_indexes("ballot_mark")}
        assert indexes["ix_ballot_mark_ballots"] == ["consultation_id", "ballot_id", "priority_id", "value"]
        assert "ix_ballot_mark_tally" not in indexes
        if db.engine.dialect.name != "sqlite":
            return  # PostgreSQL's planner picks by table size; the index exists on both
        compiled = results.marks_in_ballot_order(consultation.id).compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = " ".join(str(row) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "COVERING INDEX ix_ballot_mark_ballots" in plan
        assert "TEMP B-TREE" not in plan  # already in ballot order
