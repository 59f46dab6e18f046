"""Deadline reminders: the day before and on the day, once each, to the person responsible (the
referred mediator for the meeting and report, the complaints office otherwise), without any
detail of the complaint."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from civicsante.complaints.models import Complaint, DeadlineReminder, Referral
from civicsante.complaints.reminders import send_deadline_reminders
from civicsante.extensions import db
from tests.support.complaints import make_cdu, make_complaint, make_referral

TODAY = date(2026, 12, 2)


def _count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(DeadlineReminder)).scalar_one()


def test_the_mediator_is_reminded_the_day_before_and_on_the_day_once_each(app, world, mailbox):
    cdu = make_cdu(app, establishment_id=world.hospital.id, territory_id=world.commune.id)
    complaint = make_complaint(app, establishment_id=world.hospital.id, status="meeting_due",
                               due_on=TODAY + timedelta(days=1), due_step="meeting",
                               facts="Secret médical: chute dans le couloir.")
    make_referral(app, complaint_id=complaint.id, mediator_id=cdu.other_mediator.id)
    with app.app_context():
        assert send_deadline_reminders(TODAY - timedelta(days=1)) == 0  # two days before: nothing
        assert send_deadline_reminders(TODAY) == 1
        assert send_deadline_reminders(TODAY) == 0  # the same day again: nothing twice
    assert [m["To"] for m in mailbox.messages] == [cdu.other_mediator.email]
    body = mailbox.messages[0].get_content()
    assert complaint.reference in body and f"/reclamations/{complaint.id}" in body
    assert "chute" not in body and "Urgences" not in body
    with app.app_context():
        assert send_deadline_reminders(TODAY + timedelta(days=1)) == 1  # on the day
        assert send_deadline_reminders(TODAY + timedelta(days=1)) == 0
        assert send_deadline_reminders(TODAY + timedelta(days=2)) == 0  # past: the dashboard shows it
        moments = sorted(db.session.execute(select(DeadlineReminder.moment)).scalars())
    assert moments == ["jour", "veille"]
    assert len(mailbox.messages) == 2


def test_the_report_goes_only_to_the_mediator_who_owes_it(app, world, mailbox):
    cdu = make_cdu(app, establishment_id=world.hospital.id, territory_id=world.commune.id)
    complaint = make_complaint(app, establishment_id=world.hospital.id, status="report_due", due_on=TODAY,
                               due_step="report")
    done = make_referral(app, complaint_id=complaint.id, mediator_id=cdu.medical_mediator.id, kind="medecin")
    make_referral(app, complaint_id=complaint.id, mediator_id=cdu.other_mediator.id)
    with app.app_context():
        from civicsante.types import utcnow

        db.session.get(Referral, done.id).reported_at = utcnow()
        db.session.commit()
        assert send_deadline_reminders(TODAY) == 1
    assert [m["To"] for m in mailbox.messages] == [cdu.other_mediator.email]


def test_first_response_and_reply_go_to_the_office_of_that_establishment(app, world, mailbox):
    here = make_cdu(app, establishment_id=world.hospital.id, territory_id=world.commune.id)
    there = make_cdu(app, establishment_id=world.other_hospital.id, territory_id=world.other_commune.id)
    make_complaint(app, establishment_id=world.hospital.id, due_on=TODAY, due_step="first_response")
    make_complaint(app, establishment_id=world.hospital.id, status="reply_due", due_on=TODAY + timedelta(days=1),
                   due_step="reply")
    make_complaint(app, establishment_id=world.hospital.id, status="closed", due_on=TODAY, due_step="reply")
    with app.app_context():
        assert send_deadline_reminders(TODAY) == 2
    assert {m["To"] for m in mailbox.messages} == {here.officer.email}
    assert there.officer.email not in {m["To"] for m in mailbox.messages}
    assert _count(app) == 2


def test_remind_command_prints_the_count(app, world, mailbox):
    cdu = make_cdu(app, establishment_id=world.hospital.id, territory_id=world.commune.id)
    make_complaint(app, establishment_id=world.hospital.id, due_on=TODAY, due_step="first_response")
    result = app.test_cli_runner().invoke(args=["remind", "--date", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "réclamations envoyés : 1." in result.output
    assert [m["To"] for m in mailbox.messages][-1] == cdu.officer.email
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Complaint)).scalar_one() == 1


def test_once_every_report_is_in_the_forwarding_goes_to_the_office_and_the_president(app, world, mailbox):
    cdu = make_cdu(app, establishment_id=world.hospital.id, territory_id=world.commune.id)
    complaint = make_complaint(app, establishment_id=world.hospital.id, status="report_due", due_on=TODAY,
                               due_step="report")
    done = make_referral(app, complaint_id=complaint.id, mediator_id=cdu.other_mediator.id)
    with app.app_context():
        from civicsante.types import utcnow

        db.session.get(Referral, done.id).reported_at = utcnow()
        db.session.commit()
        assert send_deadline_reminders(TODAY) == 2
    assert {m["To"] for m in mailbox.messages} == {cdu.officer.email, cdu.president.email}
