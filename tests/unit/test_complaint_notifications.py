"""What the lifecycle of a complaint tells people: the complainant at each step (in-app and by
e-mail, reference and step only, never health details), the mediators of their referral, the
CDU members of the forwarded report; nothing when the step is refused or rolled back."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from civicsante.complaints import lifecycle
from civicsante.complaints.models import Complaint, ComplaintEvent
from civicsante.extensions import db
from civicsante.needs.models import Notification
from civicsante.notifications.links import link_for
from civicsante.notifications.services import message_for
from tests.support.complaint_flow import T0, bring, load, make_flow, user
from tests.support.complaints import make_cdu, make_complaint


@pytest.fixture
def cdu(app, world):
    return make_cdu(app, establishment_id=world.hospital.id, territory_id=world.commune.id)


@pytest.fixture
def flow(app, world, cdu):
    return make_flow(app, world, cdu)


def test_a_refused_step_sends_nothing_and_a_rolled_back_one_neither(app, flow, mailbox):
    with app.app_context():
        c, p, m = load(flow)
        lifecycle.acknowledge(c, by=p.officer, now=T0)
        db.session.rollback()
    with app.app_context():
        c, p, m = load(flow)
        assert c.status == "received"
        with pytest.raises(lifecycle.InvalidTransition):
            lifecycle.forward_report(c, by=p.president)
        db.session.commit()
    assert mailbox.messages == []


def test_the_complainant_is_told_each_step_in_plain_words_without_health_details(app, flow, mailbox):
    with app.app_context():
        c, p, m = load(flow)
        lifecycle.acknowledge(c, by=p.officer, now=T0)
        db.session.commit()
        notification = db.session.execute(select(Notification).where(
            Notification.user_id == flow.resident.id)).scalar_one()
        assert json.loads(notification.detail) == {"reference": c.reference, "complaint_id": c.id,
                                                   "action": "acknowledge", "due_on": "2027-03-18",
                                                   "due_step": "first_response"}
        assert "18 mars 2027" in message_for(notification, "fr")  # the next step's date
        assert notification.kind == "complaint" and notification.emailed_at is not None  # not e-mailed twice
        assert c.reference in message_for(notification, "fr")
        expected = (f"/reclamations/mes-reclamations/{c.id}" if "complaints.my_complaint" in app.view_functions
                    else "/notifications")
        assert expected in link_for(notification)
        reference = c.reference
    mail = mailbox.wait_for("resident.flow@example.org")
    body = mailbox.body(mail)
    assert reference in body and reference in mail["Subject"] and "18 mars 2027" in body
    assert "confidentiel" not in body


def test_a_complaint_registered_for_someone_without_an_account_notifies_nobody(app, world, cdu, mailbox):
    made = make_complaint(app, establishment_id=world.hospital.id, status="received", received_at=T0)
    with app.app_context():
        c = db.session.get(Complaint, made.id)
        lifecycle.acknowledge(c, by=user(cdu.officer.id), now=T0)
        db.session.commit()
        assert db.session.execute(select(func.count()).select_from(Notification)).scalar() == 0
        assert db.session.execute(select(func.count()).select_from(ComplaintEvent).where(
            ComplaintEvent.action == "acknowledge")).scalar() == 1
    assert mailbox.messages == []


def test_the_report_is_forwarded_to_the_cdu_members_of_that_establishment_only(app, world, flow):
    other_cdu = make_cdu(app, establishment_id=world.other_hospital.id, territory_id=world.other_commune.id)
    with app.app_context():
        c, p, m = load(flow)
        bring(c, p, m, "report_forwarded")
        db.session.flush()
        told = set(db.session.execute(select(Notification.user_id).where(
            Notification.detail.contains('"forward_report"'), Notification.detail.contains('"for_staff"'))).scalars())
        cdu = flow.cdu
        assert told == {cdu.president.id, cdu.ru.id, cdu.ru2.id, cdu.suppleant.id}
        assert not told & {other_cdu.president.id, other_cdu.ru.id, cdu.medical_mediator.id}


def test_the_timeline_is_written_in_french_whoever_acts(app, flow):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        c, p, m = load(flow)
        event = lifecycle.acknowledge(c, by=p.officer, now=T0)
        assert "18 mars 2027" in event.public_note and "10 mars 2027" in event.public_note


def test_an_immediate_e_mail_subscriber_gets_the_step_once(app, flow, mailbox):
    from civicsante.notifications.services import send_pending_immediate

    with app.app_context():
        user(flow.resident.id).email_notifications = "immediat"
        db.session.commit()
        c, p, m = load(flow)
        lifecycle.acknowledge(c, by=p.officer, now=T0)
        db.session.commit()
        mailbox.wait_for("resident.flow@example.org")
        assert send_pending_immediate() == 0
    assert len([m for m in mailbox.messages if "resident.flow" in str(m["To"])]) == 1


def test_the_mediators_are_told_of_their_referral_and_an_ended_mandate_is_not_told_the_report(app, flow):
    from civicsante.mandates.models import ENDED, Mandate

    with app.app_context():
        db.session.get(Mandate, flow.cdu.mandate_ids["suppleant"]).status = ENDED
        db.session.commit()
        c, p, m = load(flow)
        bring(c, p, m, "referred")
        db.session.flush()
        referred = db.session.execute(select(Notification).where(
            Notification.user_id == p.mediator.id)).scalar_one()
        assert json.loads(referred.detail)["for_staff"] is True
        assert c.reference in message_for(referred, "fr")
        expected = (f"/reclamations/{c.id}" if "complaints.complaint_file" in app.view_functions
                    else "/reclamations/suivi")
        assert expected in link_for(referred)
        bring(c, p, m, "report_forwarded")
        db.session.flush()
        told = set(db.session.execute(select(Notification.user_id).where(
            Notification.detail.contains('"forward_report"'))).scalars())
        assert flow.cdu.suppleant.id not in told and flow.cdu.ru.id in told


def test_every_step_is_worded_for_the_complainant(app):
    from civicsante.complaints import notify

    assert set(notify.STEP_MESSAGES) == set(lifecycle.ACTIONS) - {"qualify"}  # qualify tells nobody
    with app.test_request_context():
        for action in notify.STEP_MESSAGES:
            assert "R2027-00001" in notify.message({"reference": "R2027-00001", "action": action})
