"""The demo mandates (issue 5, Build 8): two associations, a CDU with its seats and one vacant
suppléant, a CTS, five representatives whose mandates end on different dates, meetings past and
future; loaded idempotently. One test: loading the whole demo is the slow part."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from civicsante.accounts.models import EMPLOYMENT_STATUSES, USER_REPRESENTATIVE, RoleAssignment, User
from civicsante.extensions import db
from civicsante.mandates.models import (
    ACTIVE,
    BASIC_TRAINING,
    CDU,
    CTS,
    HOLDING_STATUSES,
    PRESENT,
    RU_SEAT_KINDS,
    RU_SUPPLEANT,
    RU_TITULAIRE,
    AlertSent,
    AssociationContact,
    Attendance,
    HoursEntry,
    Instance,
    Mandate,
    Meeting,
    Seat,
    Training,
)
from civicsante.reference.models import Association

MODELS = (User, RoleAssignment, Association, AssociationContact, Instance, Seat, Mandate, Training,
          Meeting, Attendance, HoursEntry, AlertSent)


def _counts():
    return {m.__name__: db.session.execute(select(func.count()).select_from(m)).scalar_one() for m in MODELS}


def _holder(seat_id: int, day: date) -> Mandate | None:
    held = db.session.execute(select(Mandate).where(
        Mandate.seat_id == seat_id, Mandate.status.in_(HOLDING_STATUSES),
        Mandate.starts_on <= day, Mandate.ends_on >= day)).scalars().all()
    assert len(held) <= 1, f"seat {seat_id} has overlapping holders"
    return held[0] if held else None


def _check_composition(today: date) -> None:
    assert db.session.execute(select(func.count()).select_from(Association)).scalar_one() == 2
    instances = {i.type.code: i for i in db.session.execute(select(Instance)).scalars()}
    assert set(instances) == {CDU, CTS}
    cdu, cts = instances[CDU], instances[CTS]
    assert cdu.establishment.name == "Centre hospitalier de Belrive"
    assert cts.territory.code == "99" and cts.establishment is None

    kinds = [s.kind for s in cdu.seats]
    assert sorted(kinds) == sorted([RU_TITULAIRE, RU_TITULAIRE, RU_SUPPLEANT, RU_SUPPLEANT,
                                    "mediateur_medecin", "mediateur_non_medecin", "president"])
    titulaires = {s.id for s in cdu.seats if s.kind == RU_TITULAIRE}
    suppleants = [s for s in cdu.seats if s.kind == RU_SUPPLEANT]
    assert {s.titulaire_seat_id for s in suppleants} == titulaires  # each paired with its own
    vacant = [s for s in cdu.seats if _holder(s.id, today) is None]
    assert [s.kind for s in vacant] == [RU_SUPPLEANT]
    assert all(_holder(s.id, today) for s in cts.seats)

    # Five representatives on RU seats today, ending on five different dates, spread so that
    # the 30 / 60 / 120-day alerts and a long mandate all show.
    ru_mandates = [m for s in cdu.seats + cts.seats if s.kind in RU_SEAT_KINDS
                   for m in [_holder(s.id, today)] if m]
    assert len({m.user_id for m in ru_mandates}) == 5
    days_left = sorted((m.ends_on - today).days for m in ru_mandates)
    assert len(set(days_left)) == 5
    assert days_left[0] <= 30 < days_left[1] <= 60 < days_left[2] <= 120 < days_left[3] <= 400 < days_left[4]
    for mandate in ru_mandates:
        assert mandate.status == ACTIVE and mandate.user.has_role(USER_REPRESENTATIVE)
        association = mandate.association
        assert association is not None and association.approval_valid_on(mandate.starts_on)
        # The term is the type's: the day before the same date term_months later (± month ends).
        term = mandate.seat.instance.type.term_months
        assert abs((mandate.ends_on - mandate.starts_on).days - term * 365.25 / 12) <= 3
        assert mandate.user.employment_status in EMPLOYMENT_STATUSES and mandate.user.age_band
    assert sum(m.user.employment_status == "retraite" for m in ru_mandates) >= 3

    # The demo representative holds the mandate ending soonest, and a CDU seat.
    jeanne = db.session.execute(select(User).where(User.email == "ru@demo.civicsante.fr")).scalar_one()
    soonest = min(ru_mandates, key=lambda m: m.ends_on)
    assert soonest.user_id == jeanne.id and soonest.seat.instance_id == cdu.id
    president = [m for s in cdu.seats for m in [_holder(s.id, today)] if m and m.is_president]
    assert [m.seat.kind for m in president] == ["president"]

    # Basic training: done by four, missing for one designated more than 6 months ago.
    trained = set(db.session.execute(select(Training.user_id).where(
        Training.kind == BASIC_TRAINING, Training.completed_on.is_not(None))).scalars())
    untrained = [m for m in ru_mandates if m.user_id not in trained]
    assert len(untrained) == 1 and untrained[0].designation_date < today - timedelta(days=190)

    # Meetings past and future; the demo representative was present at a past CDU meeting and
    # has one to come.
    now = datetime.now(UTC)
    meetings = db.session.execute(select(Meeting)).scalars().all()
    for instance in (cdu, cts):
        mine = [m for m in meetings if m.instance_id == instance.id]
        assert any(m.starts_at < now for m in mine) and any(m.starts_at > now for m in mine)
    attended = db.session.execute(select(Meeting).join(Attendance).where(
        Attendance.mandate_id == soonest.id, Attendance.status == PRESENT)).scalars().all()
    assert any(m.starts_at < now and m.instance_id == cdu.id for m in attended)
    assert db.session.execute(select(func.count()).select_from(HoursEntry).where(
        HoursEntry.mandate_id == soonest.id)).scalar_one() > 0

    # The association contact is one of the first association's.
    contact = db.session.execute(select(AssociationContact)).scalar_one()
    assert contact.user.email == "contact@demo.civicsante.fr"
    assert contact.association.name == "Association des usagers du Val"


def test_demo_mandates_composition_and_idempotence(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "contact@demo.civicsante.fr" in first.output
    with app.app_context():
        _check_composition(datetime.now(ZoneInfo("Europe/Paris")).date())  # the demo's today
        counts = _counts()
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        assert _counts() == counts
