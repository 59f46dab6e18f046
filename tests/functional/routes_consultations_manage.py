"""Route x role declarations of the consultations area, manage part (merged into
tests/functional/routes.py). Same conventions as routes_needs.py.

Three consultations on ``world.commune`` (which the "facilitator" role facilitates), each in the
phase its tools need, so that the walk's empty POSTs reach the form validation (422) or the
service's refusal (flashed, 303) rather than a phase check:
- in collection: the desk, the settings, the phases, the priorities (one is removed by the walk);
- in its vote: a paper batch (empty: "remove the last" and "validate" are refused, flashed), the
  assisted ballot;
- in follow-up: a priority's public page and its new follow-up step.
"""
from __future__ import annotations

from datetime import UTC, datetime

from tests.support.consultations import make_consultation, priority_ids

LOGIN = 302
FACILITATOR_PAGE = {"anonymous": LOGIN, "facilitator": 200, "*": 403}
FACILITATOR_FORM = {"anonymous": LOGIN, "facilitator": 422, "*": 403}
FACILITATOR_ACTS = {"anonymous": LOGIN, "facilitator": 303, "*": 403}

EXPECTED: dict = {
    ("consultations.new", "GET"): FACILITATOR_PAGE,
    ("consultations.new", "POST"): FACILITATOR_FORM,
    ("consultations.manage", "GET"): FACILITATOR_PAGE,
    ("consultations.edit", "GET"): FACILITATOR_PAGE,
    ("consultations.edit", "POST"): FACILITATOR_FORM,
    ("consultations.start_phase", "POST"): FACILITATOR_ACTS,  # no phase given: refused, flashed
    ("consultations.new_priority", "GET"): FACILITATOR_PAGE,
    ("consultations.new_priority", "POST"): FACILITATOR_FORM,
    ("consultations.delete_priority", "POST"): FACILITATOR_ACTS,
    ("consultations.new_batch", "GET"): FACILITATOR_PAGE,
    ("consultations.new_batch", "POST"): FACILITATOR_FORM,
    ("consultations.batch", "GET"): FACILITATOR_PAGE,
    ("consultations.batch", "POST"): FACILITATOR_FORM,
    ("consultations.batch_remove_last", "POST"): FACILITATOR_ACTS,  # empty batch: refused, flashed
    ("consultations.batch_validate", "POST"): FACILITATOR_ACTS,     # 0 typed of 2: refused, flashed
    ("consultations.assisted_ballot", "GET"): FACILITATOR_PAGE,
    ("consultations.assisted_ballot", "POST"): FACILITATOR_FORM,
    ("consultations.new_milestone", "GET"): FACILITATOR_PAGE,
    ("consultations.new_milestone", "POST"): FACILITATOR_FORM,
    ("consultations.priority", "GET"): 200,
}


def make_objects(app, world, target_user) -> dict:
    """Objects this part's routes act on during the walk; they land in ``ctx.extra``."""
    from civicsante.accounts.models import User
    from civicsante.consultations import services
    from civicsante.consultations.models import Consultation
    from civicsante.extensions import db

    collecting = make_consultation(app, territory_id=world.commune.id, facilitator_id=target_user.id,
                                   phase="collecte", title="Consultation en collecte", priorities=2)
    voting = make_consultation(app, territory_id=world.commune.id, facilitator_id=target_user.id,
                               phase="vote", title="Consultation au vote (gestion)")
    following = make_consultation(app, territory_id=world.commune.id, facilitator_id=target_user.id,
                                  phase="suivi", title="Consultation en suivi")
    with app.app_context():
        batch = services.open_paper_batch(db.session.get(Consultation, voting.id), db.session.get(User, target_user.id),
                                          place="Permanence", collected_on=datetime.now(UTC).date(), declared_count=2)
        db.session.commit()
        batch_id = batch.id
    return {"manage_collecting_id": collecting.id, "manage_voting_id": voting.id, "manage_batch_id": batch_id,
            "manage_removed_priority_id": int(priority_ids(app, collecting.id)[-1]),
            "manage_followed_priority_id": int(priority_ids(app, following.id)[0])}


_COLLECTING = {"consultations.manage", "consultations.edit", "consultations.start_phase",
               "consultations.new_priority"}
_VOTING = {"consultations.new_batch", "consultations.assisted_ballot"}
_BATCH = {"consultations.batch", "consultations.batch_remove_last", "consultations.batch_validate"}
_FOLLOWED = {"consultations.new_milestone", "consultations.priority"}


def params_for(endpoint: str, ctx) -> dict:
    if endpoint in _COLLECTING:
        return {"consultation_id": ctx.extra["manage_collecting_id"]}
    if endpoint in _VOTING:
        return {"consultation_id": ctx.extra["manage_voting_id"]}
    if endpoint in _BATCH:
        return {"batch_id": ctx.extra["manage_batch_id"]}
    if endpoint == "consultations.delete_priority":
        return {"priority_id": ctx.extra["manage_removed_priority_id"]}
    if endpoint in _FOLLOWED:
        return {"priority_id": ctx.extra["manage_followed_priority_id"]}
    return {}
