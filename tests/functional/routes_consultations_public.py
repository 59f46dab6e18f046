"""Route x role declarations of the consultations area, public part (merged into
tests/functional/routes.py). Same conventions as routes_needs.py.

The walk's consultation is in its vote phase on ``world.commune``: the "resident" and the
"facilitator" live there and may vote; the other roles live nowhere, so the ballot pages refuse
them (403). The matrix posts no form data: an empty ballot is shown again with its errors (422).
Nobody walking has voted, so there is no receipt to see (404).
"""
from __future__ import annotations

from tests.support.consultations import make_consultation

LOGIN = 302
VOTERS_PAGE = {"anonymous": LOGIN, "resident": 200, "facilitator": 200, "*": 403}
VOTERS_FORM = {"anonymous": LOGIN, "resident": 422, "facilitator": 422, "*": 403}

EXPECTED: dict = {
    ("consultations.index", "GET"): 200,
    ("consultations.detail", "GET"): 200,
    ("consultations.vote", "GET"): VOTERS_PAGE,
    ("consultations.vote", "POST"): VOTERS_FORM,
    ("consultations.confirm_vote", "POST"): VOTERS_FORM,
    ("consultations.receipt", "GET"): {"anonymous": LOGIN, "*": 404},
}


def make_objects(app, world, target_user) -> dict:
    """Objects this part's routes act on during the walk; they land in ``ctx.extra``."""
    consultation = make_consultation(app, territory_id=world.commune.id, phase="vote",
                                     title="Consultation ouverte au vote")
    return {"public_consultation_id": consultation.id}


_CONSULTATION = {"consultations.detail", "consultations.vote", "consultations.confirm_vote",
                 "consultations.receipt"}


def params_for(endpoint: str, ctx) -> dict:
    if endpoint in _CONSULTATION:
        return {"consultation_id": ctx.extra["public_consultation_id"]}
    return {}
