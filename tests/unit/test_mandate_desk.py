"""The representative's desk rules: congé de représentation in half-days per year, the basic
training's status and its once-per-person indemnity, hours."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from civicsante.accounts.models import User
from civicsante.audit import AuditEntry
from civicsante.errors import DomainError, NotAllowed
from civicsante.extensions import db
from civicsante.mandates import desk
from civicsante.mandates.models import ENDED, PROPOSED, HoursEntry, Mandate, Meeting
from tests.support.factories import make_user
from tests.support.mandates import make_instance, make_mandate, make_meeting, make_training, seat_ids

TODAY = date(2026, 6, 15)


@pytest.fixture
def rep(app, world):
    """A representative with an RU titulaire mandate in a CDU from 2025 to 2028."""
    user = make_user(app)
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id)
    mandate = make_mandate(app, seat_id=seat_ids(app, instance.id)[0], user_id=user.id,
                           starts_on=date(2025, 1, 1), ends_on=date(2027, 12, 31))
    return user, instance, mandate


def _get(model, ident):
    return db.session.get(model, ident)


def _ask(user, mandate, absence_on, half_days, requested_on=None):
    user = _get(User, user.id)
    return desk.request_leave(user, mandate=_get(Mandate, mandate.id), absence_on=absence_on, half_days=half_days,
                              requested_on=requested_on or absence_on - timedelta(days=30), note="", by=user)


# Congé de représentation ---------------------------------------------------------------------

def test_leave_balance_counts_half_days_in_the_year_of_the_absence(app, rep):
    user, _instance, mandate = rep
    with app.app_context():
        _ask(user, mandate, date(2025, 12, 30), 4)
        _ask(user, mandate, date(2026, 1, 5), 3)
        _ask(user, mandate, date(2026, 3, 2), 2)
        db.session.commit()
        assert desk.leave_balance(_get(User, user.id), 2025) == (18, 4, 14)
        assert desk.leave_balance(_get(User, user.id), 2026) == (18, 5, 13)
        assert desk.leave_balance(_get(User, user.id), 2027) == (18, 0, 18)


def test_leave_refused_beyond_18_half_days_of_the_year(app, rep):
    user, _instance, mandate = rep
    with app.app_context():
        _ask(user, mandate, date(2026, 2, 2), 10)
        _ask(user, mandate, date(2026, 4, 6), 8)
        db.session.commit()
        with pytest.raises(DomainError) as refused:
            _ask(user, mandate, date(2026, 9, 7), 1)
        assert refused.value.field == "half_days"
        db.session.rollback()
        # The next year starts afresh.
        _leave, warning = _ask(user, mandate, date(2027, 1, 11), 18)
        assert warning is None


def test_leave_allowance_is_a_setting(app, rep):
    user, _instance, mandate = rep
    app.config["MANDATE_LEAVE_HALF_DAYS_PER_YEAR"] = 4
    with app.app_context():
        assert desk.leave_balance(_get(User, user.id), 2026) == (4, 0, 4)
        with pytest.raises(DomainError):
            _ask(user, mandate, date(2026, 2, 2), 5)


def test_leave_asked_under_15_days_before_is_recorded_with_a_warning(app, rep):
    user, _instance, mandate = rep
    with app.app_context():
        _leave, warning = _ask(user, mandate, date(2026, 3, 16), 1, requested_on=date(2026, 3, 2))
        assert warning is not None
        _leave, warning = _ask(user, mandate, date(2026, 3, 16), 1, requested_on=date(2026, 3, 1))
        assert warning is None
        db.session.commit()
        assert desk.leave_balance(_get(User, user.id), 2026)[1] == 2


def test_leave_only_by_the_holder_and_within_the_mandate(app, rep):
    user, _instance, mandate = rep
    other = make_user(app)
    with app.app_context():
        with pytest.raises(NotAllowed):
            desk.request_leave(_get(User, other.id), mandate=_get(Mandate, mandate.id), absence_on=date(2026, 3, 2),
                               half_days=1, requested_on=date(2026, 1, 2), note="", by=_get(User, other.id))
        with pytest.raises(DomainError) as refused:
            _ask(user, mandate, date(2028, 3, 2), 1)
        assert refused.value.field == "absence_on"


# Basic training and its indemnity ------------------------------------------------------------

def test_training_status_missing_then_overdue_then_registered_then_done(app, rep):
    user, _instance, _mandate = rep  # designated on 1 January 2025
    with app.app_context():
        assert desk.basic_training_status(_get(User, user.id), date(2025, 5, 1)).status == desk.MISSING
        status = desk.basic_training_status(_get(User, user.id), date(2025, 7, 2))
        assert status.status == desk.OVERDUE and status.deadline == date(2025, 7, 1)
    make_training(app, user_id=user.id, starts_on=date(2025, 9, 1), completed_on=None)
    with app.app_context():
        assert desk.basic_training_status(_get(User, user.id), TODAY).status == desk.REGISTERED
    make_training(app, user_id=user.id, starts_on=date(2025, 10, 1), completed_on=date(2025, 10, 2))
    with app.app_context():
        assert desk.basic_training_status(_get(User, user.id), TODAY).status == desk.DONE


def test_training_not_required_before_july_2016_nor_without_an_ru_mandate(app, world):
    old = make_user(app)
    instance = make_instance(app, territory_id=world.commune.id)
    make_mandate(app, seat_id=seat_ids(app, instance.id)[0], user_id=old.id, starts_on=date(2016, 6, 30),
                 ends_on=date(2019, 6, 29), status=ENDED)
    mediator_only = make_user(app)
    cdu = make_instance(app, territory_id=world.commune.id, seats=("mediateur_medecin",))
    make_mandate(app, seat_id=seat_ids(app, cdu.id)[0], user_id=mediator_only.id, starts_on=date(2024, 1, 1))
    proposed = make_user(app)
    make_mandate(app, seat_id=seat_ids(app, instance.id)[1], user_id=proposed.id, starts_on=date(2026, 1, 1),
                 status=PROPOSED)
    with app.app_context():
        for person in (old, mediator_only, proposed):
            assert desk.basic_training_status(_get(User, person.id), TODAY).status == desk.NOT_REQUIRED


def test_indemnity_is_paid_once_per_person_whatever_the_mandates(app, world, rep):
    user, _instance, _mandate = rep
    second = make_instance(app, territory_id=world.commune.id, type_code="cts")
    make_mandate(app, seat_id=seat_ids(app, second.id)[0], user_id=user.id, starts_on=date(2025, 6, 1))
    with app.app_context():
        with pytest.raises(DomainError) as refused:  # nothing completed yet
            desk.record_basic_training_indemnity(_get(User, user.id), date(2025, 3, 1), by=_get(User, user.id))
        assert refused.value.field == "paid_on"
    make_training(app, user_id=user.id, starts_on=date(2025, 2, 3), completed_on=date(2025, 2, 4))
    make_training(app, user_id=user.id, starts_on=date(2025, 9, 1), completed_on=date(2025, 9, 2))
    with app.app_context():
        desk.record_basic_training_indemnity(_get(User, user.id), date(2025, 3, 1), by=_get(User, user.id))
        db.session.commit()
        with pytest.raises(DomainError) as refused:
            desk.record_basic_training_indemnity(_get(User, user.id), date(2025, 10, 1), by=_get(User, user.id))
        assert refused.value.field == "paid_on"


def test_record_training_rules(app, rep):
    user, _instance, _mandate = rep
    other = make_user(app)
    with app.app_context():
        me = _get(User, user.id)
        kwargs = dict(kind="autre", title="Plaintes et médiation", organiser="France Assos Santé",
                      starts_on=date(2026, 3, 2), half_days=2)
        with pytest.raises(NotAllowed):
            desk.record_training(me, completed_on=None, by=_get(User, other.id), **kwargs)
        with pytest.raises(DomainError) as refused:
            desk.record_training(me, completed_on=date(2026, 3, 1), by=me, **kwargs)
        assert refused.value.field == "completed_on"
        with pytest.raises(DomainError):
            desk.record_training(me, completed_on=date(2026, 7, 1), by=me, today=TODAY, **kwargs)
        desk.record_training(me, completed_on=date(2026, 3, 3), by=me, today=TODAY, **kwargs)


# Hours -----------------------------------------------------------------------------------------

def test_hours_rules(app, world, rep):
    user, instance, mandate = rep
    meeting = make_meeting(app, instance_id=instance.id, starts_at=datetime(2026, 5, 4, 8, tzinfo=UTC))
    elsewhere = make_instance(app, territory_id=world.commune.id)
    foreign = make_meeting(app, instance_id=elsewhere.id, starts_at=datetime(2026, 5, 4, 8, tzinfo=UTC))
    other = make_user(app)
    with app.app_context():
        me, m = _get(User, user.id), _get(Mandate, mandate.id)

        def log(**changes):
            values = dict(worked_on=date(2026, 5, 4), minutes=120, meeting=None, description="Préparation",
                          by=me, today=TODAY)
            values.update(changes)
            return desk.log_hours(m, **values)

        for changes, field in (({"minutes": 0}, "minutes"), ({"minutes": 1441}, "minutes"),
                               ({"worked_on": TODAY + timedelta(days=1)}, "worked_on"),
                               ({"worked_on": date(2024, 12, 31)}, "worked_on"),
                               ({"meeting": _get(Meeting, foreign.id)}, "meeting_id")):
            with pytest.raises(DomainError) as refused:
                log(**changes)
            assert refused.value.field == field, changes
        with pytest.raises(NotAllowed):
            log(by=_get(User, other.id))
        log(meeting=_get(Meeting, meeting.id))
        log(worked_on=date(2025, 11, 3), minutes=45)
        log(minutes=1440)
        db.session.commit()
        assert db.session.query(HoursEntry).count() == 3
        assert db.session.query(AuditEntry).filter(AuditEntry.action == "hours.logged").count() == 3
        assert desk.hours_totals(me) == {mandate.id: 120 + 45 + 1440}
        assert desk.hours_by_year(m) == [(2026, 1560), (2025, 45)]


def test_desk_mandates_days_remaining_and_ends_soon(app, world):
    user = make_user(app)
    instance = make_instance(app, territory_id=world.commune.id)
    seats = seat_ids(app, instance.id)
    today = date.today()
    soon = make_mandate(app, seat_id=seats[0], user_id=user.id, starts_on=today - timedelta(days=900),
                        ends_on=today + timedelta(days=45))
    later = make_mandate(app, seat_id=seats[1], user_id=user.id, starts_on=today - timedelta(days=10),
                         ends_on=today + timedelta(days=121))
    with app.app_context():
        rows = desk.desk_mandates(_get(User, user.id), today)
        assert [(r.mandate.id, r.days_remaining, r.ends_soon) for r in rows] == [
            (soon.id, 45, True), (later.id, 121, False)]


def test_attestation_only_for_a_present_member_or_with_hours(app, rep):
    from civicsante.mandates import meetings as meeting_service

    user, instance, mandate = rep
    past = make_meeting(app, instance_id=instance.id, starts_at=datetime(2026, 5, 4, 8, tzinfo=UTC))
    other_past = make_meeting(app, instance_id=instance.id, starts_at=datetime(2026, 5, 11, 8, tzinfo=UTC))
    admin = make_user(app, role="admin")
    with app.app_context():
        me = _get(User, user.id)
        assert desk.attestation(me, _get(Meeting, past.id)) is None
        meeting_service.record_attendance(_get(Meeting, past.id), _get(Mandate, mandate.id), "excuse",
                                          by=_get(User, admin.id))
        db.session.commit()
        assert desk.attestation(me, _get(Meeting, past.id)) is None
        meeting_service.record_attendance(_get(Meeting, past.id), _get(Mandate, mandate.id), "present",
                                          by=_get(User, admin.id))
        desk.log_hours(_get(Mandate, mandate.id), worked_on=date(2026, 5, 11), minutes=60,
                       meeting=_get(Meeting, other_past.id), by=me, today=TODAY)
        db.session.commit()
        assert desk.attestation(me, _get(Meeting, past.id)).mandate.id == mandate.id
        assert desk.attestation(me, _get(Meeting, other_past.id)) is not None
        assert desk.attestation(_get(User, admin.id), _get(Meeting, past.id)) is None
