"""Route x role declarations of the consultations area, results part (merged into
tests/functional/routes.py). Same conventions as routes_needs.py.

The walk's consultation is on ``world.commune`` and its vote is closed: its results and its
anonymised ballots are public, for everyone, signed in or not.
"""
from __future__ import annotations

from civicsante.consultations.models import Consultation
from civicsante.consultations import services
from civicsante.extensions import db
from tests.support.consultations import make_consultation, priority_ids

EXPECTED: dict = {
    ("consultations.results", "GET"): 200,
    ("consultations.ballots_csv", "GET"): 200,
    ("consultations.ballots_json", "GET"): 200,
}


def make_objects(app, world, target_user) -> dict:
    """Objects this part's routes act on during the walk; they land in ``ctx.extra``."""
    consultation = make_consultation(app, territory_id=world.commune.id, phase="resultats",
                                     method="majority_judgment", title="Consultation close (résultats)")
    cands = priority_ids(app, consultation.id)
    with app.app_context():
        row = db.session.get(Consultation, consultation.id)
        for grades in ([6, 3, 1], [5, 5, 0], [2, 4, 6]):
            services._store_ballot(row, dict(zip(cands, grades, strict=True)), channel="en_ligne")
        db.session.commit()
    return {"results_consultation_id": consultation.id}


_RESULTS = {"consultations.results", "consultations.ballots_csv", "consultations.ballots_json"}


def params_for(endpoint: str, ctx) -> dict:
    if endpoint in _RESULTS:
        return {"consultation_id": ctx.extra["results_consultation_id"]}
    return {}
