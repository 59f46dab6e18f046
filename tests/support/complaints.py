"""Factories for the complaints area (like tests/support/factories.py: each runs in its own app
context, commits, returns detached objects)."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from civicsante.complaints.models import ACKNOWLEDGED, Complaint, ComplaintCategory, ComplaintEvent, Referral
from civicsante.extensions import db
from tests.support.factories import _detach, make_user
from tests.support.mandates import make_instance, make_mandate, seat_ids

_counter = itertools.count(1)


@dataclass
class Cdu:
    """An establishment's CDU with its people: ``president`` holds the president seat (the legal
    representative's), ``ru`` and ``ru2`` the titulaire seats, ``suppleant`` the substitute
    paired with ``ru``; the office and the two mediators of the establishment."""

    instance_id: int
    establishment_id: int
    president: object
    ru: object
    ru2: object
    suppleant: object
    officer: object
    medical_mediator: object
    other_mediator: object
    mandate_ids: dict


def make_cdu(app, *, establishment_id: int, territory_id: int, association_id: int | None = None) -> Cdu:
    instance = make_instance(app, territory_id=territory_id, establishment_id=establishment_id,
                             name=f"CDU {next(_counter)}",
                             seats=("ru_titulaire", "ru_titulaire", "ru_suppleant", "ru_suppleant",
                                    "mediateur_medecin", "mediateur_non_medecin", "president"))
    seats = seat_ids(app, instance.id)
    people = {}
    mandates = {}
    start = date.today() - timedelta(days=200)
    for key, seat in (("ru", seats[0]), ("ru2", seats[1]), ("suppleant", seats[2]),
                      ("medical_mediator", seats[4]), ("other_mediator", seats[5]), ("president", seats[6])):
        role = "mediator" if key.endswith("mediator") else None
        user = make_user(app, pseudonym=f"{key} {next(_counter)}", role=role,
                         establishment_id=establishment_id if role else None)
        people[key] = user
        mandate = make_mandate(app, seat_id=seat, user_id=user.id,
                               association_id=association_id if key in ("ru", "ru2", "suppleant") else None,
                               starts_on=start, ends_on=start + timedelta(days=3 * 365))
        mandates[key] = mandate.id
    from civicsante.mandates.models import Mandate

    with app.app_context():
        db.session.get(Mandate, mandates["president"]).is_president = True
        db.session.commit()
    officer = make_user(app, pseudonym=f"Bureau des plaintes {next(_counter)}", role="complaints_officer",
                        establishment_id=establishment_id)
    return Cdu(instance.id, establishment_id, people["president"], people["ru"], people["ru2"],
               people["suppleant"], officer, people["medical_mediator"], people["other_mediator"], mandates)


def category_id(app, code: str = "accueil") -> int:
    with app.app_context():
        return db.session.execute(select(ComplaintCategory.id).where(ComplaintCategory.code == code)).scalar_one()


def make_complaint(app, *, establishment_id: int, complainant_id=None, status=ACKNOWLEDGED, channel="en_ligne",
                   facts=None, received_at=None, nature=None, category_code="accueil", due_on=None,
                   due_step=None, hospitalised=False) -> Complaint:
    """A complaint written as is (no rule checked: use the lifecycle services to test rules)."""
    received_at = received_at or datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    with app.app_context():
        complaint = Complaint(establishment_id=establishment_id, complainant_id=complainant_id,
                              complainant_name="" if complainant_id else "Personne par courrier",
                              channel=channel, facts=facts or f"Faits de la réclamation {next(_counter)}.",
                              status=status, received_at=received_at,
                              acknowledged_at=received_at if status != "received" else None,
                              nature=nature, category_id=category_id(app, category_code),
                              due_on=due_on, due_step=due_step, patient_hospitalised=hospitalised,
                              occurred_on=received_at.date() - timedelta(days=2), service_concerned="Urgences")
        db.session.add(complaint)
        db.session.flush()
        complaint.reference = f"R{received_at.year}-{complaint.id:05d}"
        db.session.add(ComplaintEvent(complaint_id=complaint.id, to_status=status, action="factory",
                                      at=received_at))
        db.session.commit()
        return _detach(db.session.get(Complaint, complaint.id))


def make_referral(app, *, complaint_id: int, mediator_id: int, kind="non_medecin", meeting_due_on=None) -> Referral:
    with app.app_context():
        referral = Referral(complaint_id=complaint_id, mediator_id=mediator_id, kind=kind,
                            meeting_due_on=meeting_due_on or date.today() + timedelta(days=8))
        db.session.add(referral)
        db.session.commit()
        return _detach(db.session.get(Referral, referral.id))
