"""8 processes cast 1,000 ballots from 1,000 accounts, each one submitted twice (a double click):
exactly 1,000 ballots, and no error page reaches anyone. Runs on SQLite and PostgreSQL."""
from __future__ import annotations

import multiprocessing
import random

from sqlalchemy import func, select

from civicsante.consultations.models import Ballot, BallotMark, Participation
from civicsante.extensions import db
from tests.support.consultations import make_consultation, priority_ids
from tests.support.sessions import accounts_with_sessions, signed_in_client

PROCESSES = 8
ACCOUNTS = 1000
PRIORITIES = 4


def _vote_as(args) -> list[tuple[int, str]]:
    """One process: its own app and connections, like a server worker; every account confirms
    its majority-judgment ballot twice."""
    database_url, consultation_id, candidates, keys, seed = args
    from flask import url_for

    from civicsante import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SQLITE_BUSY_TIMEOUT_MS": 30000})  # see test_needs_concurrency
    with app.test_request_context():
        url = url_for("consultations.confirm_vote", consultation_id=consultation_id)
    rng = random.Random(seed)
    answers = []
    for key in keys:
        client = signed_in_client(app, key)
        form = {f"grade-{cid}": str(rng.randrange(7)) for cid in candidates}
        for _ in range(2):
            response = client.post(url, data=form, base_url="https://localhost")
            answers.append((response.status_code, response.headers.get("Location", "")))
    with app.app_context():
        db.engine.dispose()
    return answers


def test_concurrent_votes_count_exactly_once_per_person(app, world, heavy_test_slot):
    consultation = make_consultation(app, territory_id=world.commune.id, phase="vote",
                                     method="majority_judgment", secrecy="secret", priorities=PRIORITIES)
    candidates = priority_ids(app, consultation.id)
    keys = accounts_with_sessions(app, ACCOUNTS, prefix="votant", home_territory_id=world.commune.id)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    chunks = [keys[i::PROCESSES] for i in range(PROCESSES)]
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        results = pool.map(_vote_as, [(url, consultation.id, candidates, chunk, i)
                                      for i, chunk in enumerate(chunks)])
    answers = [a for chunk in results for a in chunk]
    assert len(answers) == 2 * ACCOUNTS
    statuses = [status for status, _location in answers]
    assert set(statuses) == {303}, {s: statuses.count(s) for s in set(statuses)}
    receipt = f"/consultations/{consultation.id}/recu"
    assert all(location.split("?")[0].endswith(receipt) for _status, location in answers)
    # One thank-you per person; their other submission was told it had already been recorded.
    assert sum(location.endswith(f"{receipt}?vote=enregistre") for _status, location in answers) == ACCOUNTS
    with app.app_context():
        def count(model):
            return db.session.execute(select(func.count()).select_from(model)
                                      .where(model.consultation_id == consultation.id)).scalar_one()

        assert count(Participation) == ACCOUNTS
        assert count(Ballot) == ACCOUNTS
        assert count(BallotMark) == ACCOUNTS * PRIORITIES
