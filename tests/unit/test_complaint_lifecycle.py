"""The lifecycle of a complaint (DESIGN.md §5): every allowed transition, every refused one, the
deadlines each sets, the hospitalised case, two mediators, and what each step writes — the
timeline, the audit (never the complaint's text) and the complainant's notification and e-mail."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from civicsante.accounts.models import User
from civicsante.audit import AuditEntry
from civicsante.complaints import lifecycle
from civicsante.complaints.models import (
    BOTH,
    MEDICAL,
    NON_MEDICAL,
    STATUSES,
    Complaint,
    ComplaintCategory,
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
from civicsante.notifications.links import link_for
from civicsante.notifications.services import message_for
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


# Every allowed transition ------------------------------------------------------------------------

T0 = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _category() -> int:
    return db.session.execute(select(ComplaintCategory.id).order_by(ComplaintCategory.id).limit(1)).scalar_one()


def _refer(c, p, m, now=T0 + DAY):
    lifecycle.qualify(c, nature=NON_MEDICAL, category_id=_category(), by=p.officer)
    return lifecycle.refer_to_mediator(c, non_medical_mediator=p.mediator, by=p.officer, now=now)


def _meet(outcome):
    def step(c, p, m):
        lifecycle.record_meeting(lifecycle.referrals_of(c)[0], outcome=outcome, held_at=T0 + 4 * DAY,
                                 by=p.mediator, now=T0 + 4 * DAY + timedelta(hours=1))
    return step


def _forward(c, p, m):
    lifecycle.submit_report(lifecycle.referrals_of(c)[0], text="Compte rendu.", by=p.mediator, now=T0 + 6 * DAY)
    lifecycle.forward_report(c, by=p.president, now=T0 + 6 * DAY)


# The main road: how each status is left forward (a session is held on T0 + 20 days).
FORWARD = {
    "received": lambda c, p, m: lifecycle.acknowledge(c, by=p.officer, now=T0),
    "acknowledged": _refer,
    "referred": lambda c, p, m: lifecycle.schedule_mediation(
        lifecycle.referrals_of(c)[0], meeting_at=T0 + 4 * DAY, place="Bureau 2", by=p.mediator, now=T0 + 2 * DAY),
    "meeting_due": _meet("met"),
    "report_due": _forward,
    "report_forwarded": lambda c, p, m: lifecycle.put_on_agenda(c, meeting=m, by=p.officer, now=T0 + 7 * DAY),
    "awaiting_cdu": lambda c, p, m: lifecycle.record_opinion(
        c, kind="classement_motive", text="Avis motivé.", meeting=m, by=p.president, now=T0 + 20 * DAY + timedelta(hours=2)),
    "reply_due": lambda c, p, m: lifecycle.send_reply(c, text="Réponse.", by=p.officer, now=T0 + 22 * DAY),
}
_answer = lambda c, p, m: lifecycle.answer_directly(c, text="Réponse directe.", by=p.officer, now=T0 + DAY)  # noqa: E731
_out = lambda c, p, m: lifecycle.mark_out_of_scope(c, kind="recours_gracieux", note="Indemnisation.",  # noqa: E731
                                                   by=p.officer, now=T0 + DAY)
_cdsp = lambda c, p, m: lifecycle.delegate_to_cdsp(c, note="SDRE.", by=p.officer, now=T0 + DAY)  # noqa: E731

# (from, the statuses the call passes through, how) — together, every edge of ALLOWED_TRANSITIONS.
EDGES = [
    ("received", ["acknowledged"], FORWARD["received"]),
    ("received", ["out_of_scope"], _out),
    ("received", ["delegated_cdsp"], _cdsp),
    ("acknowledged", ["answered"], _answer),
    ("acknowledged", ["referred"], _refer),
    ("acknowledged", ["out_of_scope"], _out),
    ("acknowledged", ["delegated_cdsp"], _cdsp),
    ("answered", ["referred"], lambda c, p, m: _refer(c, p, m, now=T0 + 2 * DAY)),
    ("answered", ["closed"], lambda c, p, m: lifecycle.close_after_answer(c, by=p.officer, now=T0 + 3 * DAY)),
    ("answered", ["out_of_scope"], lambda c, p, m: lifecycle.mark_out_of_scope(
        c, kind="recours_juridictionnel", note="", by=p.officer, now=T0 + 2 * DAY)),
    ("referred", ["meeting_due"], FORWARD["referred"]),
    *[("referred", [outcome, "report_due"], _meet(outcome)) for outcome in ("met", "refused", "impossible")],
    *[("meeting_due", [outcome, "report_due"], _meet(outcome)) for outcome in ("met", "refused", "impossible")],
    ("report_due", ["report_forwarded"], _forward),
    ("report_forwarded", ["awaiting_cdu"], FORWARD["report_forwarded"]),
    ("awaiting_cdu", ["opinion", "reply_due"], FORWARD["awaiting_cdu"]),
    ("reply_due", ["closed"], FORWARD["reply_due"]),
]


def _people(cdu):
    return SimpleNamespace(officer=_user(cdu.officer.id), mediator=_user(cdu.other_mediator.id),
                           medical=_user(cdu.medical_mediator.id), president=_user(cdu.president.id))


def _bring(c, p, meeting, status):
    """Drive ``c`` with the services to ``status`` (the direct answer is off the main road)."""
    if status == "answered":
        FORWARD["received"](c, p, meeting)
        _answer(c, p, meeting)
    while c.status != status:
        FORWARD[c.status](c, p, meeting)


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
        c, p, m = db.session.get(Complaint, made.id), _people(cdu), db.session.get(Meeting, session.id)
        _bring(c, p, m, start)
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


# The rules of each step ----------------------------------------------------------------------------

@pytest.fixture
def flow(app, world, cdu):
    """A complaint of a resident with an e-mail, at ``received``, and a CDU session on T0 + 20 days."""
    resident = make_user(app, email="resident.flow@example.org")
    made = make_complaint(app, establishment_id=world.hospital.id, complainant_id=resident.id, status="received",
                          received_at=T0, facts="Texte confidentiel de la plainte.")
    session = make_meeting(app, instance_id=cdu.instance_id, starts_at=T0 + 20 * DAY)
    return SimpleNamespace(complaint_id=made.id, meeting_id=session.id, resident=resident, cdu=cdu)


def _load(flow):
    return (db.session.get(Complaint, flow.complaint_id), _people(flow.cdu), db.session.get(Meeting, flow.meeting_id))


def _field(call) -> str | None:
    with pytest.raises(DomainError) as error:
        call()
    assert not isinstance(error.value, lifecycle.InvalidTransition)
    return error.value.field


def test_acknowledge_sets_the_reference_and_the_first_response_target(app, flow):
    with app.app_context():
        c, p, m = _load(flow)
        c.reference = None
        event = lifecycle.acknowledge(c, by=p.officer, now=T0 + timedelta(hours=1))
        assert c.reference == f"R2027-{c.id:05d}"
        assert c.acknowledged_at == T0 + timedelta(hours=1)
        assert (event.due_on, c.due_on, c.due_step) == (date(2027, 3, 18), date(2027, 3, 18), "first_response")


def test_the_mediator_follows_the_nature_of_the_complaint(app, world, flow):
    stranger = make_user(app, role="mediator", establishment_id=world.other_hospital.id)
    with app.app_context():
        c, p, m = _load(flow)
        lifecycle.acknowledge(c, by=p.officer, now=T0)
        refer = lifecycle.refer_to_mediator
        assert _field(lambda: refer(c, non_medical_mediator=p.mediator, by=p.officer)) == "nature"
        lifecycle.qualify(c, nature=MEDICAL, category_id=_category(), by=p.officer)
        assert _field(lambda: refer(c, by=p.officer)) == "medical_mediator"
        assert _field(lambda: refer(c, medical_mediator=p.medical, non_medical_mediator=p.mediator,
                                    by=p.officer)) == "non_medical_mediator"
        assert _field(lambda: refer(c, medical_mediator=_user(stranger.id), by=p.officer)) == "medical_mediator"
        assert _field(lambda: refer(c, medical_mediator=p.president, by=p.officer)) == "medical_mediator"
        lifecycle.qualify(c, nature=NON_MEDICAL, category_id=_category(), by=p.officer)
        assert _field(lambda: refer(c, medical_mediator=p.medical, by=p.officer)) == "medical_mediator"
        lifecycle.qualify(c, nature=BOTH, category_id=_category(), by=p.officer)
        assert _field(lambda: refer(c, medical_mediator=p.medical, by=p.officer)) == "non_medical_mediator"
        assert _field(lambda: refer(c, medical_mediator=p.mediator, non_medical_mediator=p.mediator,
                                    by=p.officer)) == "non_medical_mediator"
        assert c.status == "acknowledged"
        referrals = refer(c, medical_mediator=p.medical, non_medical_mediator=p.mediator, by=p.officer,
                          now=T0 + DAY)
        assert [(r.kind, r.mediator_id) for r in referrals] == [("medecin", p.medical.id),
                                                                 ("non_medecin", p.mediator.id)]
        assert all(r.meeting_due_on == date(2027, 3, 19) for r in referrals)
        # Once referred, the nature that chose the mediators stays.
        assert _field(lambda: lifecycle.qualify(c, nature=MEDICAL, category_id=_category(), by=p.officer)) == "nature"


@pytest.mark.parametrize(("discharge", "due"), [
    (date(2027, 3, 13), date(2027, 3, 13)),   # leaves before the 8 days: met before leaving
    (date(2027, 3, 11), date(2027, 3, 11)),   # leaves on the day of the referral
    (date(2027, 3, 25), date(2027, 3, 19)),   # leaves after: the 8 days
    (date(2027, 3, 1), date(2027, 3, 19)),    # the discharge date is past: the 8 days
    (None, date(2027, 3, 19)),
])
def test_a_hospitalised_patient_meets_the_mediator_before_discharge(app, flow, discharge, due):
    with app.app_context():
        c, p, m = _load(flow)
        c.patient_hospitalised, c.discharge_expected_on = True, discharge
        lifecycle.acknowledge(c, by=p.officer, now=T0)
        [referral] = _refer(c, p, m, now=T0 + DAY)
        assert referral.meeting_due_on == due == c.due_on


def test_the_discharge_date_counts_only_while_hospitalised(app, flow):
    with app.app_context():
        c, p, m = _load(flow)
        c.patient_hospitalised, c.discharge_expected_on = False, date(2027, 3, 12)
        lifecycle.acknowledge(c, by=p.officer, now=T0)
        [referral] = _refer(c, p, m, now=T0 + DAY)
        assert referral.meeting_due_on == date(2027, 3, 19)


def test_with_two_mediators_the_complaint_moves_when_both_outcomes_are_in(app, flow):
    with app.app_context():
        c, p, m = _load(flow)
        lifecycle.acknowledge(c, by=p.officer, now=T0)
        lifecycle.qualify(c, nature=BOTH, category_id=_category(), by=p.officer)
        medical, other = lifecycle.refer_to_mediator(c, medical_mediator=p.medical, non_medical_mediator=p.mediator,
                                                     by=p.officer, now=T0 + DAY)
        lifecycle.schedule_mediation(other, meeting_at=T0 + 3 * DAY, place="Bureau", by=p.mediator, now=T0 + DAY)
        assert c.status == "meeting_due"
        lifecycle.schedule_mediation(medical, meeting_at=T0 + 6 * DAY, place="Chambre 12", by=p.medical,
                                     now=T0 + 2 * DAY)
        lifecycle.record_meeting(other, outcome="refused", held_at=T0 + 3 * DAY, by=p.mediator, now=T0 + 3 * DAY)
        assert (c.status, c.due_step, c.due_on) == ("meeting_due", "meeting", date(2027, 3, 19))
        lifecycle.submit_report(other, text="La personne a refusé.", by=p.mediator, now=T0 + 4 * DAY)
        assert c.status == "meeting_due"
        lifecycle.record_meeting(medical, outcome="met", held_at=T0 + 6 * DAY, by=p.medical,
                                 now=T0 + 6 * DAY + timedelta(hours=1))
        assert (c.status, c.due_step, c.due_on) == ("report_due", "report", date(2027, 3, 24))
        assert _field(lambda: lifecycle.forward_report(c, by=p.president, now=T0 + 7 * DAY)) is None
        lifecycle.submit_report(medical, text="Compte rendu médical.", by=p.medical, now=T0 + 7 * DAY)
        assert (c.due_step, c.due_on) == ("report", date(2027, 3, 17))  # forwarded "sans délai"
        lifecycle.forward_report(c, by=p.president, now=T0 + 7 * DAY)
        db.session.flush()
        moves = db.session.execute(select(ComplaintEvent.from_status, ComplaintEvent.to_status).where(
            ComplaintEvent.complaint_id == c.id, ComplaintEvent.action == "record_meeting")
            .order_by(ComplaintEvent.id)).all()
        assert [tuple(x) for x in moves] == [(None, None), ("meeting_due", "met"), ("met", "report_due")]


def test_the_meeting_rules(app, world, flow):
    other_cdu = make_cdu(app, establishment_id=world.other_hospital.id, territory_id=world.other_commune.id)
    with app.app_context():
        c, p, m = _load(flow)
        lifecycle.acknowledge(c, by=p.officer, now=T0)
        [referral] = _refer(c, p, m, now=T0 + DAY)
        schedule = lifecycle.schedule_mediation
        assert _field(lambda: schedule(referral, meeting_at=T0, place="Bureau", by=p.mediator)) == "meeting_at"
        assert _field(lambda: schedule(referral, meeting_at=T0 + 2 * DAY, place=" ", by=p.mediator)) == "place"
        for mandate in (flow.cdu.mandate_ids["president"], other_cdu.mandate_ids["ru"]):  # not an RU of this CDU
            assert _field(lambda mandate=mandate: schedule(referral, meeting_at=T0 + 2 * DAY, place="Bureau",
                                                           accompanying_mandate_id=mandate,
                                                           by=p.mediator)) == "accompanying_mandate_id"
        schedule(referral, meeting_at=T0 + 2 * DAY, place="Bureau", accompanying_mandate_id=flow.cdu.mandate_ids["ru"],
                 by=p.mediator, now=T0 + DAY)
        assert referral.accompanying_mandate_id == flow.cdu.mandate_ids["ru"]
        record = lifecycle.record_meeting
        assert _field(lambda: record(referral, outcome="maybe", held_at=T0 + 2 * DAY, by=p.mediator)) == "outcome"
        assert _field(lambda: record(referral, outcome="met", held_at=T0 + 3 * DAY, by=p.mediator,
                                     now=T0 + 2 * DAY)) == "held_at"
        assert _field(lambda: record(referral, outcome="met", held_at=T0, by=p.mediator)) == "held_at"
        with pytest.raises(lifecycle.InvalidTransition):  # the report comes after the meeting
            lifecycle.submit_report(referral, text="Trop tôt.", by=p.mediator)
        record(referral, outcome="impossible", held_at=T0 + 2 * DAY, by=p.mediator, now=T0 + 2 * DAY)
        assert (referral.meeting_at, referral.report_due_on) == (T0 + 2 * DAY, date(2027, 3, 20))
        assert _field(lambda: lifecycle.submit_report(referral, text=" ", by=p.mediator)) == "text"
        lifecycle.submit_report(referral, text="Injoignable.", by=p.mediator, now=T0 + 3 * DAY)
        with pytest.raises(lifecycle.InvalidTransition):
            lifecycle.submit_report(referral, text="Encore.", by=p.mediator)


def test_the_cdu_session_rules(app, world, flow):
    other_cdu = make_cdu(app, establishment_id=world.other_hospital.id, territory_id=world.other_commune.id)
    elsewhere = make_meeting(app, instance_id=other_cdu.instance_id, starts_at=T0 + 20 * DAY)
    past = make_meeting(app, instance_id=flow.cdu.instance_id, starts_at=T0 - 20 * DAY)
    later = make_meeting(app, instance_id=flow.cdu.instance_id, starts_at=T0 + 40 * DAY)
    with app.app_context():
        c, p, m = _load(flow)
        _bring(c, p, m, "report_forwarded")
        now = T0 + 7 * DAY
        agenda = lifecycle.put_on_agenda
        for wrong in (elsewhere, past):
            assert _field(lambda wrong=wrong: agenda(c, meeting=db.session.get(Meeting, wrong.id), by=p.officer,
                                                     now=now)) == "meeting"
        item = agenda(c, meeting=m, by=p.officer, now=now)
        assert (item.meeting_id, item.position) == (m.id, 1)
        opinion = lifecycle.record_opinion
        after = T0 + 20 * DAY + timedelta(hours=1)
        assert _field(lambda: opinion(c, kind="avis", text="Avis.", meeting=m, by=p.president, now=after)) == "kind"
        assert _field(lambda: opinion(c, kind="recommandations", text="Avis.", meeting=m, recommendations=[" "],
                                      by=p.president, now=after)) == "recommendations"
        assert _field(lambda: opinion(c, kind="voies_de_recours", text="Avis.", meeting=db.session.get(
            Meeting, later.id), by=p.president, now=T0 + 41 * DAY)) == "meeting"
        assert _field(lambda: opinion(c, kind="voies_de_recours", text="Avis.", meeting=m, by=p.president,
                                      now=T0 + 19 * DAY)) == "meeting"  # the session has not begun
        opinion(c, kind="recommandations", text="Avis.", meeting=m, recommendations=["Un", "Deux"],
                by=p.president, now=after)
        assert (c.due_step, c.due_on) == ("reply", date(2027, 4, 7))
        recommendations = db.session.execute(select(Recommendation).where(
            Recommendation.complaint_id == c.id)).scalars().all()
        assert [(r.text, r.issued_on, r.establishment_id) for r in recommendations] == [
            ("Un", date(2027, 3, 30), c.establishment_id), ("Deux", date(2027, 3, 30), c.establishment_id)]
        assert _field(lambda: lifecycle.send_reply(c, text="", by=p.officer)) == "text"


def test_out_of_scope_keeps_the_complaint_counted_and_says_the_routes_of_appeal(app, flow):
    with app.app_context():
        c, p, m = _load(flow)
        lifecycle.acknowledge(c, by=p.officer, now=T0)
        assert _field(lambda: lifecycle.mark_out_of_scope(c, kind="autre", note="", by=p.officer)) == "kind"
        event = lifecycle.mark_out_of_scope(c, kind="recours_gracieux", note="Demande d'indemnisation de 2000 €.",
                                            by=p.officer, now=T0 + DAY)
        assert (c.status, c.out_of_scope_kind, c.closed_at) == ("out_of_scope", "recours_gracieux", T0 + DAY)
        assert event.public_note and "2000" not in event.public_note and "2000" in event.internal_note
        db.session.commit()
        assert db.session.execute(select(func.count()).select_from(Complaint).where(
            Complaint.status == "out_of_scope")).scalar() == 1


def test_a_refused_step_sends_nothing_and_a_rolled_back_one_neither(app, flow, mailbox):
    with app.app_context():
        c, p, m = _load(flow)
        lifecycle.acknowledge(c, by=p.officer, now=T0)
        db.session.rollback()
    with app.app_context():
        c, p, m = _load(flow)
        assert c.status == "received"
        with pytest.raises(lifecycle.InvalidTransition):
            lifecycle.forward_report(c, by=p.president)
        db.session.commit()
    assert mailbox.messages == []


def test_the_complainant_is_told_each_step_in_plain_words_without_health_details(app, flow, mailbox):
    with app.app_context():
        c, p, m = _load(flow)
        lifecycle.acknowledge(c, by=p.officer, now=T0)
        db.session.commit()
        notification = db.session.execute(select(Notification).where(
            Notification.user_id == flow.resident.id)).scalar_one()
        assert json.loads(notification.detail) == {"reference": c.reference, "complaint_id": c.id,
                                                   "action": "acknowledge"}
        assert notification.kind == "complaint" and notification.emailed_at is not None  # not e-mailed twice
        assert c.reference in message_for(notification, "fr")
        expected = (f"/reclamations/mes-reclamations/{c.id}" if "complaints.my_complaint" in app.view_functions
                    else "/notifications")
        assert expected in link_for(notification)
        reference = c.reference
    mail = mailbox.wait_for("resident.flow@example.org")
    body = mailbox.body(mail)
    assert reference in body and reference in mail["Subject"]
    assert "confidentiel" not in body


def test_a_complaint_registered_for_someone_without_an_account_notifies_nobody(app, world, cdu, mailbox):
    made = make_complaint(app, establishment_id=world.hospital.id, status="received", received_at=T0)
    with app.app_context():
        c = db.session.get(Complaint, made.id)
        lifecycle.acknowledge(c, by=_user(cdu.officer.id), now=T0)
        db.session.commit()
        assert db.session.execute(select(func.count()).select_from(Notification)).scalar() == 0
        assert db.session.execute(select(func.count()).select_from(ComplaintEvent).where(
            ComplaintEvent.action == "acknowledge")).scalar() == 1
    assert mailbox.messages == []


def test_the_report_is_forwarded_to_the_cdu_members_of_that_establishment_only(app, world, flow):
    other_cdu = make_cdu(app, establishment_id=world.other_hospital.id, territory_id=world.other_commune.id)
    with app.app_context():
        c, p, m = _load(flow)
        _bring(c, p, m, "report_forwarded")
        db.session.flush()
        told = set(db.session.execute(select(Notification.user_id).where(
            Notification.detail.contains('"forward_report"'), Notification.detail.contains('"for_staff"'))).scalars())
        cdu = flow.cdu
        assert told == {cdu.president.id, cdu.ru.id, cdu.ru2.id, cdu.suppleant.id}
        assert not told & {other_cdu.president.id, other_cdu.ru.id, cdu.medical_mediator.id}


def test_the_timeline_is_written_in_french_whoever_acts(app, flow):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        c, p, m = _load(flow)
        event = lifecycle.acknowledge(c, by=p.officer, now=T0)
        assert "18 mars 2027" in event.public_note and "10 mars 2027" in event.public_note


def test_an_immediate_e_mail_subscriber_gets_the_step_once(app, flow, mailbox):
    from civicsante.notifications.services import send_pending_immediate

    with app.app_context():
        _user(flow.resident.id).email_notifications = "immediat"
        db.session.commit()
        c, p, m = _load(flow)
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
        c, p, m = _load(flow)
        _bring(c, p, m, "referred")
        db.session.flush()
        referred = db.session.execute(select(Notification).where(
            Notification.user_id == p.mediator.id)).scalar_one()
        assert json.loads(referred.detail)["for_staff"] is True
        assert c.reference in message_for(referred, "fr")
        expected = (f"/reclamations/{c.id}" if "complaints.complaint_file" in app.view_functions
                    else "/reclamations/suivi")
        assert expected in link_for(referred)
        _bring(c, p, m, "report_forwarded")
        db.session.flush()
        told = set(db.session.execute(select(Notification.user_id).where(
            Notification.detail.contains('"forward_report"'))).scalars())
        assert flow.cdu.suppleant.id not in told and flow.cdu.ru.id in told
