"""The rules of each step of a complaint's lifecycle (R1112-80 to R1112-94): the mediator chosen by
the nature of the complaint, the hospitalised patient met before discharge, two mediators, the
meeting and the report, the CDU session and its opinion, out of scope."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from civicsante.complaints import lifecycle
from civicsante.complaints.models import BOTH, MEDICAL, NON_MEDICAL, Complaint, ComplaintEvent, Recommendation
from civicsante.extensions import db
from civicsante.mandates.models import Meeting
from tests.support.complaint_flow import DAY, T0, bring, category, field_refused, load, make_flow, refer, user
from tests.support.complaints import make_cdu
from tests.support.factories import make_user
from tests.support.mandates import make_meeting


@pytest.fixture
def flow(app, world):
    cdu = make_cdu(app, establishment_id=world.hospital.id, territory_id=world.commune.id)
    return make_flow(app, world, cdu)


def test_acknowledge_sets_the_reference_and_the_first_response_target(app, flow):
    with app.app_context():
        c, p, m = load(flow)
        c.reference = None
        event = lifecycle.acknowledge(c, by=p.officer, now=T0 + timedelta(hours=1))
        assert c.reference == f"R2027-{c.id:05d}"
        assert c.acknowledged_at == T0 + timedelta(hours=1)
        assert (event.due_on, c.due_on, c.due_step) == (date(2027, 3, 18), date(2027, 3, 18), "first_response")


def test_the_mediator_follows_the_nature_of_the_complaint(app, world, flow):
    stranger = make_user(app, role="mediator", establishment_id=world.other_hospital.id)
    with app.app_context():
        c, p, m = load(flow)
        lifecycle.acknowledge(c, by=p.officer, now=T0)
        refer = lifecycle.refer_to_mediator
        assert field_refused(lambda: refer(c, non_medical_mediator=p.mediator, by=p.officer)) == "nature"
        lifecycle.qualify(c, nature=MEDICAL, category_id=category(), by=p.officer)
        assert field_refused(lambda: refer(c, by=p.officer)) == "medical_mediator"
        assert field_refused(lambda: refer(c, medical_mediator=p.medical, non_medical_mediator=p.mediator,
                                    by=p.officer)) == "non_medical_mediator"
        assert field_refused(lambda: refer(c, medical_mediator=user(stranger.id), by=p.officer)) == "medical_mediator"
        assert field_refused(lambda: refer(c, medical_mediator=p.president, by=p.officer)) == "medical_mediator"
        lifecycle.qualify(c, nature=NON_MEDICAL, category_id=category(), by=p.officer)
        assert field_refused(lambda: refer(c, medical_mediator=p.medical, by=p.officer)) == "medical_mediator"
        lifecycle.qualify(c, nature=BOTH, category_id=category(), by=p.officer)
        assert field_refused(lambda: refer(c, medical_mediator=p.medical, by=p.officer)) == "non_medical_mediator"
        assert field_refused(lambda: refer(c, medical_mediator=p.mediator, non_medical_mediator=p.mediator,
                                    by=p.officer)) == "non_medical_mediator"
        assert c.status == "acknowledged"
        referrals = refer(c, medical_mediator=p.medical, non_medical_mediator=p.mediator, by=p.officer,
                          now=T0 + DAY)
        assert [(r.kind, r.mediator_id) for r in referrals] == [("medecin", p.medical.id),
                                                                 ("non_medecin", p.mediator.id)]
        assert all(r.meeting_due_on == date(2027, 3, 19) for r in referrals)
        # Once referred, the nature that chose the mediators stays.
        assert field_refused(lambda: lifecycle.qualify(c, nature=MEDICAL, category_id=category(), by=p.officer)) == "nature"


@pytest.mark.parametrize(("discharge", "due"), [
    (date(2027, 3, 13), date(2027, 3, 13)),   # leaves before the 8 days: met before leaving
    (date(2027, 3, 11), date(2027, 3, 11)),   # leaves on the day of the referral
    (date(2027, 3, 25), date(2027, 3, 19)),   # leaves after: the 8 days
    (date(2027, 3, 1), date(2027, 3, 19)),    # the discharge date is past: the 8 days
    (None, date(2027, 3, 19)),
])
def test_a_hospitalised_patient_meets_the_mediator_before_discharge(app, flow, discharge, due):
    with app.app_context():
        c, p, m = load(flow)
        c.patient_hospitalised, c.discharge_expected_on = True, discharge
        lifecycle.acknowledge(c, by=p.officer, now=T0)
        [referral] = refer(c, p, m, now=T0 + DAY)
        assert referral.meeting_due_on == due == c.due_on


def test_the_discharge_date_counts_only_while_hospitalised(app, flow):
    with app.app_context():
        c, p, m = load(flow)
        c.patient_hospitalised, c.discharge_expected_on = False, date(2027, 3, 12)
        lifecycle.acknowledge(c, by=p.officer, now=T0)
        [referral] = refer(c, p, m, now=T0 + DAY)
        assert referral.meeting_due_on == date(2027, 3, 19)


def test_with_two_mediators_the_complaint_moves_when_both_outcomes_are_in(app, flow):
    with app.app_context():
        c, p, m = load(flow)
        lifecycle.acknowledge(c, by=p.officer, now=T0)
        lifecycle.qualify(c, nature=BOTH, category_id=category(), by=p.officer)
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
        assert field_refused(lambda: lifecycle.forward_report(c, by=p.president, now=T0 + 7 * DAY)) is None
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
        c, p, m = load(flow)
        lifecycle.acknowledge(c, by=p.officer, now=T0)
        [referral] = refer(c, p, m, now=T0 + DAY)
        schedule = lifecycle.schedule_mediation
        assert field_refused(lambda: schedule(referral, meeting_at=T0, place="Bureau", by=p.mediator)) == "meeting_at"
        assert field_refused(lambda: schedule(referral, meeting_at=T0 + 2 * DAY, place=" ", by=p.mediator)) == "place"
        for mandate in (flow.cdu.mandate_ids["president"], other_cdu.mandate_ids["ru"]):  # not an RU of this CDU
            assert field_refused(lambda mandate=mandate: schedule(referral, meeting_at=T0 + 2 * DAY, place="Bureau",
                                                           accompanying_mandate_id=mandate,
                                                           by=p.mediator)) == "accompanying_mandate_id"
        schedule(referral, meeting_at=T0 + 2 * DAY, place="Bureau", accompanying_mandate_id=flow.cdu.mandate_ids["ru"],
                 by=p.mediator, now=T0 + DAY)
        assert referral.accompanying_mandate_id == flow.cdu.mandate_ids["ru"]
        record = lifecycle.record_meeting
        assert field_refused(lambda: record(referral, outcome="maybe", held_at=T0 + 2 * DAY, by=p.mediator)) == "outcome"
        assert field_refused(lambda: record(referral, outcome="met", held_at=T0 + 3 * DAY, by=p.mediator,
                                     now=T0 + 2 * DAY)) == "held_at"
        assert field_refused(lambda: record(referral, outcome="met", held_at=T0, by=p.mediator)) == "held_at"
        with pytest.raises(lifecycle.InvalidTransition):  # the report comes after the meeting
            lifecycle.submit_report(referral, text="Trop tôt.", by=p.mediator)
        record(referral, outcome="impossible", held_at=T0 + 2 * DAY, by=p.mediator, now=T0 + 2 * DAY)
        assert (referral.meeting_at, referral.report_due_on) == (T0 + 2 * DAY, date(2027, 3, 20))
        assert field_refused(lambda: lifecycle.submit_report(referral, text=" ", by=p.mediator)) == "text"
        lifecycle.submit_report(referral, text="Injoignable.", by=p.mediator, now=T0 + 3 * DAY)
        with pytest.raises(lifecycle.InvalidTransition):
            lifecycle.submit_report(referral, text="Encore.", by=p.mediator)


def test_the_cdu_session_rules(app, world, flow):
    other_cdu = make_cdu(app, establishment_id=world.other_hospital.id, territory_id=world.other_commune.id)
    elsewhere = make_meeting(app, instance_id=other_cdu.instance_id, starts_at=T0 + 20 * DAY)
    past = make_meeting(app, instance_id=flow.cdu.instance_id, starts_at=T0 - 20 * DAY)
    later = make_meeting(app, instance_id=flow.cdu.instance_id, starts_at=T0 + 40 * DAY)
    with app.app_context():
        c, p, m = load(flow)
        bring(c, p, m, "report_forwarded")
        now = T0 + 7 * DAY
        agenda = lifecycle.put_on_agenda
        for wrong in (elsewhere, past):
            assert field_refused(lambda wrong=wrong: agenda(c, meeting=db.session.get(Meeting, wrong.id), by=p.officer,
                                                     now=now)) == "meeting"
        item = agenda(c, meeting=m, by=p.officer, now=now)
        assert (item.meeting_id, item.position) == (m.id, 1)
        opinion = lifecycle.record_opinion
        after = T0 + 20 * DAY + timedelta(hours=1)
        assert field_refused(lambda: opinion(c, kind="avis", text="Avis.", meeting=m, by=p.president, now=after)) == "kind"
        assert field_refused(lambda: opinion(c, kind="recommandations", text="Avis.", meeting=m, recommendations=[" "],
                                      by=p.president, now=after)) == "recommendations"
        assert field_refused(lambda: opinion(c, kind="voies_de_recours", text="Avis.", meeting=db.session.get(
            Meeting, later.id), by=p.president, now=T0 + 41 * DAY)) == "meeting"
        assert field_refused(lambda: opinion(c, kind="voies_de_recours", text="Avis.", meeting=m, by=p.president,
                                      now=T0 + 19 * DAY)) == "meeting"  # the session has not begun
        opinion(c, kind="recommandations", text="Avis.", meeting=m, recommendations=["Un", "Deux"],
                by=p.president, now=after)
        assert (c.due_step, c.due_on) == ("reply", date(2027, 4, 7))
        recommendations = db.session.execute(select(Recommendation).where(
            Recommendation.complaint_id == c.id)).scalars().all()
        assert [(r.text, r.issued_on, r.establishment_id) for r in recommendations] == [
            ("Un", date(2027, 3, 30), c.establishment_id), ("Deux", date(2027, 3, 30), c.establishment_id)]
        assert field_refused(lambda: lifecycle.send_reply(c, text="", by=p.officer)) == "text"


def test_out_of_scope_keeps_the_complaint_counted_and_says_the_routes_of_appeal(app, flow):
    with app.app_context():
        c, p, m = load(flow)
        lifecycle.acknowledge(c, by=p.officer, now=T0)
        assert field_refused(lambda: lifecycle.mark_out_of_scope(c, kind="autre", note="", by=p.officer)) == "kind"
        event = lifecycle.mark_out_of_scope(c, kind="recours_gracieux", note="Demande d'indemnisation de 2000 €.",
                                            by=p.officer, now=T0 + DAY)
        assert (c.status, c.out_of_scope_kind, c.closed_at) == ("out_of_scope", "recours_gracieux", T0 + DAY)
        assert event.public_note and "2000" not in event.public_note and "2000" in event.internal_note
        db.session.commit()
        assert db.session.execute(select(func.count()).select_from(Complaint).where(
            Complaint.status == "out_of_scope")).scalar() == 1
