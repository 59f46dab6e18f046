"""The lifecycle of a complaint (DESIGN.md §5): every allowed transition, every refused one, the
deadlines each sets, the hospitalised case, two mediators, and what each step writes — the
timeline, the audit (never the complaint's text) and the complainant's notification and e-mail."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from civicsante.accounts.models import User
from civicsante.audit import AuditEntry
from civicsante.complaints import lifecycle
from civicsante.complaints.models import (
    BOTH,
    MEDICAL,
    NON_MEDICAL,
    Complaint,
    ComplaintEvent,
    Opinion,
    Recommendation,
    Referral,
    Reply,
    SessionItem,
)
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.mandates.models import Meeting
from civicsante.needs.models import Notification
from tests.support.complaints import category_id, make_cdu, make_complaint
from tests.support.factories import make_user
from tests.support.mandates import make_meeting

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def cdu(app, world):
    return make_cdu(app, establishment_id=world.hospital.id, territory_id=world.commune.id)


def _user(user_id):
    return db.session.get(User, user_id)


def test_a_complaint_goes_through_every_step_to_the_reply(app, world, cdu, mailbox):
    resident = make_user(app, email="plaignant@example.org")
    made = make_complaint(app, establishment_id=world.hospital.id, complainant_id=resident.id, status="received",
                          received_at=NOW, facts="Attente de six heures aux urgences.")
    session = make_meeting(app, instance_id=cdu.instance_id, starts_at=NOW + timedelta(days=30))
    delays = category_id(app, "delais")
    with app.app_context():
        complaint = db.session.get(Complaint, made.id)
        officer = _user(cdu.officer.id)
        lifecycle.acknowledge(complaint, by=officer, now=NOW)
        assert (complaint.status, complaint.due_step, complaint.due_on) == ("acknowledged", "first_response",
                                                                            date(2027, 3, 18))
        lifecycle.qualify(complaint, nature=NON_MEDICAL, category_id=delays, by=officer)
        [referral] = lifecycle.refer_to_mediator(complaint, non_medical_mediator=_user(cdu.other_mediator.id),
                                                 by=officer, now=NOW + timedelta(days=1))
        assert (complaint.status, complaint.due_step, complaint.due_on) == ("referred", "meeting", date(2027, 3, 19))
        mediator = _user(cdu.other_mediator.id)
        lifecycle.schedule_mediation(referral, meeting_at=NOW + timedelta(days=5), place="Bureau 2", by=mediator,
                                     now=NOW + timedelta(days=2))
        assert complaint.status == "meeting_due"
        lifecycle.record_meeting(referral, outcome="met", held_at=NOW + timedelta(days=5), by=mediator,
                                 now=NOW + timedelta(days=5, hours=2))
        assert (complaint.status, complaint.due_step, complaint.due_on) == ("report_due", "report", date(2027, 3, 23))
        lifecycle.submit_report(referral, text="Compte rendu.", by=mediator, now=NOW + timedelta(days=7))
        lifecycle.forward_report(complaint, by=_user(cdu.president.id), now=NOW + timedelta(days=7))
        assert (complaint.status, complaint.due_on) == ("report_forwarded", None)
        meeting = db.session.get(Meeting, session.id)
        item = lifecycle.put_on_agenda(complaint, meeting=meeting, by=officer, now=NOW + timedelta(days=8))
        assert isinstance(item, SessionItem) and complaint.status == "awaiting_cdu"
        opinion = lifecycle.record_opinion(complaint, kind="recommandations", text="Avis.", meeting=meeting,
                                           recommendations=["Afficher les délais", " "], by=_user(cdu.president.id),
                                           now=NOW + timedelta(days=30, hours=1))
        assert isinstance(opinion, Opinion)
        assert (complaint.status, complaint.due_step, complaint.due_on) == ("reply_due", "reply", date(2027, 4, 17))
        reply = lifecycle.send_reply(complaint, text="Réponse du directeur.", by=officer,
                                     now=NOW + timedelta(days=33))
        assert isinstance(reply, Reply) and not reply.direct
        assert (complaint.status, complaint.due_on, complaint.due_step) == ("closed", None, None)
        assert complaint.closed_at == NOW + timedelta(days=33)
        db.session.commit()

        steps = db.session.execute(select(ComplaintEvent.from_status, ComplaintEvent.to_status, ComplaintEvent.action)
                                   .where(ComplaintEvent.complaint_id == made.id, ComplaintEvent.action != "factory")
                                   .order_by(ComplaintEvent.at, ComplaintEvent.id)).all()
        assert [tuple(s) for s in steps] == [
            ("received", "acknowledged", "acknowledge"),
            ("acknowledged", "referred", "refer_to_mediator"),
            ("referred", "meeting_due", "schedule_mediation"),
            ("meeting_due", "met", "record_meeting"),
            ("met", "report_due", "record_meeting"),
            (None, None, "submit_report"),
            ("report_due", "report_forwarded", "forward_report"),
            ("report_forwarded", "awaiting_cdu", "put_on_agenda"),
            ("awaiting_cdu", "opinion", "record_opinion"),
            ("opinion", "reply_due", "record_opinion"),
            ("reply_due", "closed", "send_reply"),
        ]
        assert db.session.execute(select(func.count()).select_from(Recommendation)
                                  .where(Recommendation.complaint_id == made.id)).scalar() == 1
        audit_rows = db.session.execute(select(AuditEntry).where(AuditEntry.object_id == str(made.id),
                                                                 AuditEntry.object_type == "complaint")).scalars().all()
        assert {a.action for a in audit_rows} >= {f"complaint.{name}" for name in (
            "acknowledge", "qualify", "refer_to_mediator", "schedule_mediation", "record_meeting", "submit_report",
            "forward_report", "put_on_agenda", "record_opinion", "send_reply")}
        for row in audit_rows:  # no complaint text in the log
            for text in ("six heures", "Compte rendu", "Avis.", "Réponse du directeur", "Afficher"):
                assert text not in row.detail
        notes = db.session.execute(select(Notification).where(Notification.user_id == resident.id)).scalars().all()
        assert len(notes) == 9  # one per service called, qualify excepted
        assert all(json.loads(n.detail)["complaint_id"] == made.id for n in notes)
        members = db.session.execute(select(Notification.user_id).where(
            Notification.kind == "complaint", Notification.user_id != resident.id)).scalars().all()
        assert set(members) >= {cdu.president.id, cdu.ru.id, cdu.ru2.id, cdu.suppleant.id, cdu.other_mediator.id}
    mails = [m for m in mailbox.messages if m["To"] == "plaignant@example.org"]
    assert len(mails) == 9
    assert all("six heures" not in m.get_content() for m in mails)
