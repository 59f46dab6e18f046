"""CDU sessions (R1112-87, R1112-88): a recused member's suppléant is invited; none when the
recused holds a suppléant seat or the paired seat is empty; the next quarter without a session is
warned about; the agenda is built from the complaints awaiting examination."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from civicsante.accounts.models import User
from civicsante.audit import AuditEntry
from civicsante.complaints import sessions
from civicsante.complaints.models import REPORT_FORWARDED, Recusal, SessionItem
from civicsante.errors import DomainError, NotAllowed
from civicsante.extensions import db
from civicsante.mandates.models import Mandate, Meeting
from civicsante.needs.models import Notification
from tests.support.complaints import make_cdu, make_complaint
from tests.support.mandates import make_meeting


@pytest.fixture
def cdu(app, world):
    return make_cdu(app, establishment_id=world.hospital.id, territory_id=world.commune.id)


def _item(app, cdu, world):
    complaint = make_complaint(app, establishment_id=world.hospital.id, status=REPORT_FORWARDED)
    meeting = make_meeting(app, instance_id=cdu.instance_id)
    with app.app_context():
        item = SessionItem(meeting_id=meeting.id, complaint_id=complaint.id)
        db.session.add(item)
        db.session.commit()
        return item.id


def test_a_recused_titulaire_is_replaced_by_the_suppleant_of_their_seat(app, world, cdu):
    item_id = _item(app, cdu, world)
    with app.app_context():
        item = db.session.get(SessionItem, item_id)
        recusal = sessions.recuse(item, mandate=db.session.get(Mandate, cdu.mandate_ids["ru"]),
                                  reason="Parent de la personne", by=db.session.get(User, cdu.officer.id))
        db.session.commit()
        assert recusal.substitute_mandate_id == cdu.mandate_ids["suppleant"]
        invited = db.session.execute(select(Notification).where(
            Notification.user_id == cdu.suppleant.id)).scalar_one()
        detail = json.loads(invited.detail)
        assert invited.kind == "complaint" and detail["action"] == sessions.SUBSTITUTE_ACTION
        assert detail["for_staff"] and detail["complaint_id"] == item.complaint_id
        sitting = {m.mandate.id: m for m in sessions.item_members(item)}
        assert cdu.mandate_ids["ru"] not in sitting
        assert sitting[cdu.mandate_ids["suppleant"]].substitute_for.id == cdu.mandate_ids["ru"]
        assert cdu.mandate_ids["ru2"] in sitting
        audit = db.session.execute(select(AuditEntry).where(AuditEntry.action == "complaint.recusal")).scalar_one()
        assert "Parent" not in audit.detail  # the reason may speak of the complaint: not logged
        with pytest.raises(DomainError) as twice:
            sessions.recuse(item, mandate=db.session.get(Mandate, cdu.mandate_ids["ru"]), reason="",
                            by=db.session.get(User, cdu.officer.id))
        assert twice.value.field == "mandate_id"


def test_no_substitute_for_a_suppleant_nor_when_the_paired_seat_is_empty(app, world, cdu):
    item_id = _item(app, cdu, world)
    with app.app_context():
        item = db.session.get(SessionItem, item_id)
        officer = db.session.get(User, cdu.officer.id)
        # ru2's paired suppléant seat (the 4th seat) has nobody.
        without = sessions.recuse(item, mandate=db.session.get(Mandate, cdu.mandate_ids["ru2"]), reason="", by=officer)
        own = sessions.recuse(item, mandate=db.session.get(Mandate, cdu.mandate_ids["suppleant"]), reason="",
                              by=officer)
        db.session.commit()
        assert without.substitute_mandate_id is None and own.substitute_mandate_id is None
        assert db.session.execute(select(Notification)).first() is None
        sitting = {m.mandate.id for m in sessions.item_members(item)}
        assert not sitting & {cdu.mandate_ids["ru2"], cdu.mandate_ids["suppleant"]}


def test_an_ended_suppleant_is_not_invited(app, world, cdu):
    item_id = _item(app, cdu, world)
    with app.app_context():
        suppleant = db.session.get(Mandate, cdu.mandate_ids["suppleant"])
        suppleant.status = "termine"
        suppleant.ends_on = date.today() - timedelta(days=1)
        db.session.commit()
        recusal = sessions.recuse(db.session.get(SessionItem, item_id),
                                  mandate=db.session.get(Mandate, cdu.mandate_ids["ru"]), reason="",
                                  by=db.session.get(User, cdu.officer.id))
        assert recusal.substitute_mandate_id is None


def test_only_a_session_manager_records_a_recusal_and_only_for_a_member(app, world, cdu):
    item_id = _item(app, cdu, world)
    other = make_cdu(app, establishment_id=world.other_hospital.id, territory_id=world.other_commune.id)
    with app.app_context():
        item = db.session.get(SessionItem, item_id)
        with pytest.raises(NotAllowed):
            sessions.recuse(item, mandate=db.session.get(Mandate, cdu.mandate_ids["ru"]), reason="",
                            by=db.session.get(User, cdu.ru2.id))
        with pytest.raises(DomainError) as outsider:
            sessions.recuse(item, mandate=db.session.get(Mandate, other.mandate_ids["ru"]), reason="",
                            by=db.session.get(User, cdu.president.id))
        assert outsider.value.field == "mandate_id"
        assert db.session.execute(select(Recusal)).first() is None


def _paris(day: date, hour=14) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)


@pytest.mark.parametrize("today, first, after", [
    (date(2026, 12, 2), date(2027, 1, 1), date(2027, 4, 1)),
    (date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1)),
    (date(2026, 9, 30), date(2026, 10, 1), date(2027, 1, 1)),
])
def test_next_quarter(today, first, after):
    assert sessions.next_quarter(today) == (first, after)


def test_quarter_warning_until_a_session_is_scheduled_in_the_next_quarter(app, world, cdu):
    today = date(2026, 12, 2)
    with app.app_context():
        assert sessions.quarter_warning(world.hospital.id, today) is not None
        assert sessions.quarter_warning(world.other_hospital.id, today) is None  # no CDU there
    # 31 March 23:30 in Paris is still the first quarter; 1 April 00:30 is not.
    make_meeting(app, instance_id=cdu.instance_id, starts_at=_paris(date(2027, 4, 1), hour=0))
    with app.app_context():
        assert sessions.quarter_warning(world.hospital.id, today) is not None
    make_meeting(app, instance_id=cdu.instance_id, starts_at=_paris(date(2027, 3, 31), hour=23))
    with app.app_context():
        assert sessions.quarter_warning(world.hospital.id, today) is None


def test_awaiting_examination_lists_forwarded_reports_not_on_an_agenda(app, world, cdu):
    waiting = make_complaint(app, establishment_id=world.hospital.id, status=REPORT_FORWARDED)
    item_id = _item(app, cdu, world)
    make_complaint(app, establishment_id=world.hospital.id)  # acknowledged: not yet
    make_complaint(app, establishment_id=world.other_hospital.id, status=REPORT_FORWARDED)  # elsewhere
    with app.app_context():
        found = db.session.execute(sessions.awaiting_examination(world.hospital.id)).scalars().all()
        assert [c.id for c in found] == [waiting.id]
        assert db.session.get(SessionItem, item_id).complaint_id not in [c.id for c in found]
        listed = db.session.execute(sessions.cdu_sessions(world.hospital.id)).scalars().all()
        assert [m.id for m in listed] == [db.session.get(SessionItem, item_id).meeting_id]
        assert db.session.execute(sessions.cdu_sessions(world.other_hospital.id)).first() is None


def test_putting_on_the_agenda_of_another_cdu_is_refused(app, world, cdu):
    complaint = make_complaint(app, establishment_id=world.hospital.id, status=REPORT_FORWARDED)
    other = make_cdu(app, establishment_id=world.other_hospital.id, territory_id=world.other_commune.id)
    meeting = make_meeting(app, instance_id=other.instance_id)
    from civicsante.complaints.models import Complaint

    with app.app_context():
        with pytest.raises(DomainError) as refused:
            sessions.put_on_agenda(db.session.get(Complaint, complaint.id), meeting=db.session.get(Meeting, meeting.id),
                                   by=db.session.get(User, cdu.officer.id))
        assert refused.value.field == "meeting_id"
