"""Factories for consultations: ``make_consultation`` puts one in the phase asked for."""
from __future__ import annotations

from datetime import timedelta

from civicsante.accounts.models import User
from civicsante.consultations import services
from civicsante.consultations.models import Consultation, Priority
from civicsante.extensions import db
from civicsante.types import utcnow
from tests.support.factories import _counter, _detach, make_user

DAY = timedelta(days=1)
# Offsets (in days from now) of the five phase starts, per phase the consultation is in.
_OFFSETS = {
    "a_venir": (1, 2, 3, 4, 5),
    "collecte": (-1, 2, 3, 4, 5),
    "deliberation": (-2, -1, 3, 4, 5),
    "vote": (-3, -2, -1, 4, 5),
    "resultats": (-4, -3, -2, -1, 5),
    "suivi": (-5, -4, -3, -2, -1),
}
DATE_KEYS = ("collect_starts_at", "deliberation_starts_at", "vote_starts_at", "vote_ends_at",
             "followup_starts_at")


def phase_dates(phase: str) -> dict:
    now = utcnow()
    return {key: now + offset * DAY for key, offset in zip(DATE_KEYS, _OFFSETS[phase], strict=True)}


def make_consultation(app, *, territory_id, facilitator_id=None, phase="vote", method="majority_judgment",
                      secrecy="secret", results_visibility="apres_cloture", priorities=3, title=None,
                      need_ids_per_priority=None, **settings) -> Consultation:
    """A consultation on ``territory_id`` with ``priorities`` candidate priorities (titles
    "Priorité 1"…), created in collection then moved to ``phase`` by its dates."""
    if facilitator_id is None:
        facilitator_id = make_user(app, role="facilitator", territory_id=territory_id,
                                   home_territory_id=territory_id).id
    if method == "points":
        settings.setdefault("points_budget", 10)
    with app.app_context():
        by = db.session.get(User, facilitator_id)
        consultation = services.create_consultation(
            by, territory_id=territory_id, title=title or f"Consultation {next(_counter)}",
            description="Quelles priorités de santé pour notre territoire ?", method=method,
            secrecy=secrecy, results_visibility=results_visibility, **phase_dates("collecte"), **settings)
        db.session.flush()
        for i in range(priorities):
            needs = (need_ids_per_priority or {}).get(i, [])
            services.add_priority(consultation, by, title=f"Priorité {i + 1}",
                                  description=f"Texte de la priorité {i + 1}.", need_ids=needs)
        for key, value in phase_dates(phase).items():
            setattr(consultation, key, value)
        db.session.commit()
        consultation_id = consultation.id
    with app.app_context():
        return _detach(db.session.get(Consultation, consultation_id))


def priority_ids(app, consultation_id: int) -> list[str]:
    """Candidate ids ("12", "13"…) of the consultation's priorities, in their order."""
    from sqlalchemy import select

    with app.app_context():
        return [str(i) for i in db.session.execute(
            select(Priority.id).where(Priority.consultation_id == consultation_id)
            .order_by(Priority.position, Priority.id)).scalars()]


def cast(app, consultation_id: int, ballot, *, voter_id=None, territory_id=None, age_band=None):
    """One online ballot by ``voter_id`` (a new resident of ``territory_id`` when None)."""
    if voter_id is None:
        voter_id = make_user(app, home_territory_id=territory_id, age_band=age_band).id
    with app.app_context():
        services.cast_ballot(db.session.get(Consultation, consultation_id), db.session.get(User, voter_id), ballot)
        db.session.commit()
    return voter_id
