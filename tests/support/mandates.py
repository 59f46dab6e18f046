"""Factories for the mandates area. Like tests/support/factories.py: each runs in its own app
context, commits, and returns the object detached (use ids and plain columns)."""
from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from civicsante.accounts.models import USER_REPRESENTATIVE, RoleAssignment, User
from civicsante.extensions import db
from civicsante.mandates.models import (
    ACTIVE,
    AssociationContact,
    Instance,
    InstanceType,
    Mandate,
    Meeting,
    Seat,
    Training,
)
from tests.support.factories import _detach

_counter = itertools.count(1)


def instance_type_id(app, code: str = "cdu") -> int:
    with app.app_context():
        return db.session.execute(select(InstanceType.id).where(InstanceType.code == code)).scalar_one()


def make_instance(app, *, territory_id, type_code="cdu", establishment_id=None, name=None,
                  seats=("ru_titulaire", "ru_titulaire", "ru_suppleant", "ru_suppleant")) -> Instance:
    """An instance with its seats; suppléant seats are paired, in order, with titulaire seats."""
    type_id = instance_type_id(app, type_code)
    with app.app_context():
        instance = Instance(type_id=type_id, name=name or f"Instance {next(_counter)}",
                            territory_id=territory_id, establishment_id=establishment_id)
        db.session.add(instance)
        db.session.flush()
        titulaires = []
        for position, kind in enumerate(seats):
            seat = Seat(instance_id=instance.id, kind=kind, position=position,
                        label=f"Siège {position + 1}")
            if kind == "ru_suppleant" and titulaires:
                seat.titulaire_seat_id = titulaires.pop(0).id
            db.session.add(seat)
            db.session.flush()
            if kind == "ru_titulaire":
                titulaires.append(seat)
        db.session.commit()
        return _detach(db.session.get(Instance, instance.id))


def seat_ids(app, instance_id: int) -> list[int]:
    """The instance's seat ids in their order."""
    with app.app_context():
        return list(db.session.execute(select(Seat.id).where(Seat.instance_id == instance_id)
                                       .order_by(Seat.position)).scalars())


def make_mandate(app, *, seat_id, user_id, association_id=None, starts_on=None, ends_on=None,
                 status=ACTIVE, designation_date=None, renewal_count=0, grant_role=True) -> Mandate:
    """A mandate written as is (no rule checked: use the services to test rules). The holder gets
    the user-representative role unless ``grant_role`` is False."""
    starts_on = starts_on or date.today() - timedelta(days=365)
    ends_on = ends_on or starts_on + timedelta(days=3 * 365)
    with app.app_context():
        mandate = Mandate(seat_id=seat_id, user_id=user_id, association_id=association_id,
                          starts_on=starts_on, ends_on=ends_on, status=status,
                          designation_date=designation_date or starts_on,
                          designation_authority="Directeur général de l'ARS",
                          designation_reference=f"ARR-{next(_counter)}", renewal_count=renewal_count)
        db.session.add(mandate)
        user = db.session.get(User, user_id)
        if grant_role and not user.has_role(USER_REPRESENTATIVE):
            db.session.add(RoleAssignment(user_id=user_id, role=USER_REPRESENTATIVE))
        db.session.commit()
        return _detach(db.session.get(Mandate, mandate.id))


def make_meeting(app, *, instance_id, starts_at=None, hours=2, title=None, urgent=False,
                 agenda="", agenda_sent_at=None, place="Salle du conseil") -> Meeting:
    starts_at = starts_at or datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    with app.app_context():
        meeting = Meeting(instance_id=instance_id, title=title or f"Réunion {next(_counter)}",
                          starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours), place=place,
                          agenda=agenda, agenda_sent_at=agenda_sent_at, urgent=urgent)
        db.session.add(meeting)
        db.session.commit()
        return _detach(db.session.get(Meeting, meeting.id))


def make_training(app, *, user_id, kind="formation_de_base", starts_on=None, completed_on=None,
                  title="Formation de base des représentants des usagers", half_days=4) -> Training:
    starts_on = starts_on or date.today() - timedelta(days=30)
    with app.app_context():
        training = Training(user_id=user_id, kind=kind, title=title, starts_on=starts_on,
                            half_days=half_days, completed_on=completed_on)
        db.session.add(training)
        db.session.commit()
        return _detach(db.session.get(Training, training.id))


def make_association_contact(app, *, association_id, user_id) -> AssociationContact:
    with app.app_context():
        contact = AssociationContact(association_id=association_id, user_id=user_id)
        db.session.add(contact)
        db.session.commit()
        return _detach(db.session.get(AssociationContact, contact.id))
