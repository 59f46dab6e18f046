"""The lifecycle of a complaint (DESIGN.md §5): every allowed transition, every refused one, the
deadlines each sets, the hospitalised case, two mediators, and what each step writes — the
timeline, the audit (never the complaint's text) and the complainant's notification and e-mail."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from civicsante.audit import AuditEntry
from civicsante.complaints import lifecycle
from civicsante.complaints.models import (
    MEDICAL,
    NON_MEDICAL,
    STATUSES,
    Complaint,
    ComplaintEvent,
    Opinion,
    Recommendation,
    Referral,
    Reply,
    SessionItem,
)
from civicsante.extensions import db
from civicsante.mandates.models import Meeting
from civicsante.needs.models import Notification
from tests.support.complaint_flow import (
    DAY,
    FORWARD,
    T0,
    answer,
    bring,
    cdsp,
    forward,
    meet,
    out_of_scope,
    people,
    refer,
    user,
)
from tests.support.complaints import category_id, make_cdu, make_complaint
from tests.support.factories import make_user
from tests.support.mandates import make_meeting

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def cdu(app, world):
    return make_cdu(app, establishment_id=world.hospital.id, territory_id=world.commune.id)


def test_a_complaint_goes_through_every_step_to_the_reply(app, world, cdu, mailbox):
    resident = make_user(app, email="plaignant@example.org")
    made = make_complaint(app, establishment_id=world.hospital.id, complainant_id=resident.id, status="received",
                          received_at=NOW, facts="Attente de six heures aux urgences.")
    session = make_meeting(app, instance_id=cdu.instance_id, starts_at=NOW + timedelta(days=30))
    delays = category_id(app, "delais")
    with app.app_context():
        complaint = db.session.get(Complaint, made.id)
        officer = user(cdu.officer.id)
        lifecycle.acknowledge(complaint, by=officer, now=NOW)
        assert (complaint.status, complaint.due_step, complaint.due_on) == ("acknowledged", "first_response",
                                                                            date(2027, 3, 18))
        lifecycle.qualify(complaint, nature=NON_MEDICAL, category_id=delays, by=officer)
        [referral] = lifecycle.refer_to_mediator(complaint, non_medical_mediator=user(cdu.other_mediator.id),
                                                 by=officer, now=NOW + timedelta(days=1))
        assert (complaint.status, complaint.due_step, complaint.due_on) == ("referred", "meeting", date(2027, 3, 19))
        mediator = user(cdu.other_mediator.id)
        lifecycle.schedule_mediation(referral, meeting_at=NOW + timedelta(days=5), place="Bureau 2", by=mediator,
                                     now=NOW + timedelta(days=2))
        assert complaint.status == "meeting_due"
        lifecycle.record_meeting(referral, outcome="met", held_at=NOW + timedelta(days=5), by=mediator,
                                 now=NOW + timedelta(days=5, hours=2))
        assert (complaint.status, complaint.due_step, complaint.due_on) == ("report_due", "report", date(2027, 3, 23))
        lifecycle.submit_report(referral, text="Compte rendu.", by=mediator, now=NOW + timedelta(days=7))
        lifecycle.forward_report(complaint, by=user(cdu.president.id), now=NOW + timedelta(days=7))
        assert (complaint.status, complaint.due_on) == ("report_forwarded", None)
        meeting = db.session.get(Meeting, session.id)
        item = lifecycle.put_on_agenda(complaint, meeting=meeting, by=officer, now=NOW + timedelta(days=8))
        assert isinstance(item, SessionItem) and complaint.status == "awaiting_cdu"
        opinion = lifecycle.record_opinion(complaint, kind="recommandations", text="Avis.", meeting=meeting,
                                           recommendations=["Afficher les délais", " "], by=user(cdu.president.id),
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


# Every allowed transition ------------------------------------------------------------------------

# (from, the statuses the call passes through, how) — together, every edge of ALLOWED_TRANSITIONS.
EDGES = [
    ("received", ["acknowledged"], FORWARD["received"]),
    ("received", ["out_of_scope"], out_of_scope),
    ("received", ["delegated_cdsp"], cdsp),
    ("acknowledged", ["answered"], answer),
    ("acknowledged", ["referred"], refer),
    ("acknowledged", ["out_of_scope"], out_of_scope),
    ("acknowledged", ["delegated_cdsp"], cdsp),
    ("answered", ["referred"], lambda c, p, m: refer(c, p, m, now=T0 + 2 * DAY)),
    ("answered", ["closed"], lambda c, p, m: lifecycle.close_after_answer(c, by=p.officer, now=T0 + 3 * DAY)),
    ("answered", ["out_of_scope"], lambda c, p, m: lifecycle.mark_out_of_scope(
        c, kind="recours_juridictionnel", note="", by=p.officer, now=T0 + 2 * DAY)),
    ("referred", ["meeting_due"], FORWARD["referred"]),
    *[("referred", [outcome, "report_due"], meet(outcome)) for outcome in ("met", "refused", "impossible")],
    *[("meeting_due", [outcome, "report_due"], meet(outcome)) for outcome in ("met", "refused", "impossible")],
    ("report_due", ["report_forwarded"], forward),
    ("report_forwarded", ["awaiting_cdu"], FORWARD["report_forwarded"]),
    ("awaiting_cdu", ["opinion", "reply_due"], FORWARD["awaiting_cdu"]),
    ("reply_due", ["closed"], FORWARD["reply_due"]),
]


def test_the_edges_tested_are_the_whole_state_machine():
    tested = set()
    for start, passes, _ in EDGES:
        for a, b in zip([start, *passes], passes, strict=False):
            tested.add((a, b))
    assert tested == {(a, b) for a, targets in lifecycle.ALLOWED_TRANSITIONS.items() for b in targets}


@pytest.mark.parametrize(("start", "passes", "how"), EDGES,
                         ids=[f"{s}->{'->'.join(p)}" for s, p, _ in EDGES])
def test_every_allowed_transition(app, world, cdu, start, passes, how):
    resident = make_user(app)
    made = make_complaint(app, establishment_id=world.hospital.id, complainant_id=resident.id, status="received",
                          received_at=T0)
    session = make_meeting(app, instance_id=cdu.instance_id, starts_at=T0 + 20 * DAY)
    with app.app_context():
        c, p, m = db.session.get(Complaint, made.id), people(cdu), db.session.get(Meeting, session.id)
        bring(c, p, m, start)
        before = db.session.execute(select(func.count()).select_from(ComplaintEvent)
                                    .where(ComplaintEvent.complaint_id == c.id)).scalar()
        how(c, p, m)
        assert c.status == passes[-1]
        db.session.flush()
        events = db.session.execute(select(ComplaintEvent).where(ComplaintEvent.complaint_id == c.id)
                                    .order_by(ComplaintEvent.id).offset(before)).scalars().all()
        moves = [(e.from_status, e.to_status) for e in events if e.to_status]
        assert moves == list(zip([start, *passes], passes, strict=False))
        assert all(e.public_note and e.by_id for e in events)
        assert (c.due_on is None) == (c.due_step is None)
        if c.status in ("closed", "out_of_scope", "delegated_cdsp"):
            assert c.closed_at is not None and c.due_on is None


# Every refused transition --------------------------------------------------------------------------

def _call(action, complaint, referral):
    meeting = Meeting(id=1, instance_id=1, starts_at=T0, ends_at=T0 + DAY)
    calls = {
        "acknowledge": lambda: lifecycle.acknowledge(complaint, by=None),
        "qualify": lambda: lifecycle.qualify(complaint, nature=MEDICAL, category_id=1, by=None),
        "answer_directly": lambda: lifecycle.answer_directly(complaint, text="Réponse.", by=None),
        "close_after_answer": lambda: lifecycle.close_after_answer(complaint, by=None),
        "refer_to_mediator": lambda: lifecycle.refer_to_mediator(complaint, by=None),
        "schedule_mediation": lambda: lifecycle.schedule_mediation(referral, meeting_at=T0, place="Bureau", by=None),
        "record_meeting": lambda: lifecycle.record_meeting(referral, outcome="met", held_at=T0, by=None),
        "submit_report": lambda: lifecycle.submit_report(referral, text="Compte rendu.", by=None),
        "forward_report": lambda: lifecycle.forward_report(complaint, by=None),
        "put_on_agenda": lambda: lifecycle.put_on_agenda(complaint, meeting=meeting, by=None),
        "record_opinion": lambda: lifecycle.record_opinion(complaint, kind="classement_motive", text="Avis.",
                                                           meeting=meeting, by=None),
        "send_reply": lambda: lifecycle.send_reply(complaint, text="Réponse.", by=None),
        "mark_out_of_scope": lambda: lifecycle.mark_out_of_scope(complaint, kind="recours_gracieux", note="", by=None),
        "delegate_to_cdsp": lambda: lifecycle.delegate_to_cdsp(complaint, note="", by=None),
    }
    assert set(calls) == set(lifecycle.ACTIONS)
    return calls[action]()


REFUSED = [(status, action) for action, allowed in lifecycle.ACTIONS.items() for status in STATUSES
           if status not in allowed]


@pytest.mark.parametrize(("status", "action"), REFUSED, ids=[f"{a}@{s}" for s, a in REFUSED])
def test_every_refused_transition(status, action):
    # The status is checked before anything is read or written: plain objects are enough.
    complaint = Complaint(id=1, status=status, establishment_id=1, reference="R2027-00001")
    referral = Referral(id=1, kind="non_medecin", mediator_id=1, referred_at=T0, meeting_due_on=T0.date(),
                        meeting_outcome="met", report_due_on=T0.date())
    referral.complaint = complaint
    with pytest.raises(lifecycle.InvalidTransition):
        _call(action, complaint, referral)
    assert complaint.status == status


def test_the_refused_pairs_are_most_of_them():
    allowed = sum(len(v) for v in lifecycle.ACTIONS.values())
    assert len(REFUSED) + allowed == len(STATUSES) * len(lifecycle.ACTIONS)
    assert len(REFUSED) > 150
