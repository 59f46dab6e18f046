"""Intake (R1112-91): filing online and registration by the office, each checked field by field,
given a reference and acknowledged at once; the medical details kept apart; the copy handed
over when the office wrote the complaint down; the patient's consent recorded by the office
only (L1112-3)."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from civicsante.accounts.models import User
from civicsante.audit import AuditEntry
from civicsante.complaints import intake, policy
from civicsante.complaints.models import ACKNOWLEDGED, Complaint, ComplaintEvent, MedicalPart
from civicsante.errors import DomainError, NotAllowed
from civicsante.extensions import db
from civicsante.reference.models import Establishment
from tests.support.complaints import make_cdu, make_complaint
from tests.support.factories import make_user

FACTS = "Attente de six heures aux urgences sans aucune information donnée à la famille."
MEDICAL = "Fracture du poignet gauche, plâtre posé trop serré."


def _online(app, establishment_id, user_id, **overrides):
    with app.app_context():
        user = db.session.get(User, user_id)
        values = dict(establishment=db.session.get(Establishment, establishment_id), complainant=user,
                      facts=FACTS, occurred_on=intake.paris_today() - timedelta(days=3),
                      service_concerned="Urgences", expectations="Des excuses.", relation="proche",
                      patient_hospitalised=False, discharge_expected_on=None, medical_details="", by=user)
        values.update(overrides)
        complaint = intake.file_online(**values)
        db.session.commit()
        return complaint.id


def _register(app, establishment_id, officer_id, **overrides):
    with app.app_context():
        officer = db.session.get(User, officer_id)
        values = dict(establishment=db.session.get(Establishment, establishment_id), channel="telephone",
                      complainant_name="Mme Durand", complainant_contact="06 00 00 00 00",
                      written_down_for_person=False, copy_handed_over=False, facts=FACTS,
                      occurred_on=intake.paris_today(), relation="patient", by=officer)
        values.update(overrides)
        complaint = intake.register(**values)
        db.session.commit()
        return complaint.id


def _refused(app, call, *args, field, **overrides):
    with pytest.raises(DomainError) as raised:
        call(app, *args, **overrides)
    assert raised.value.field == field, raised.value.message
    return raised.value


def test_a_complaint_filed_online_gets_a_reference_is_acknowledged_and_keeps_medical_details_apart(app, world):
    resident = make_user(app)
    complaint_id = _online(app, world.hospital.id, resident.id, medical_details=MEDICAL,
                           patient_hospitalised=True,
                           discharge_expected_on=intake.paris_today() + timedelta(days=3))
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        year = datetime.now(UTC).year
        assert re.fullmatch(rf"0011-{year}-0*{complaint.id}", complaint.reference)
        assert (complaint.status, complaint.channel, complaint.complainant_id) == (ACKNOWLEDGED, "en_ligne", resident.id)
        assert complaint.acknowledged_at is not None and complaint.due_on is not None
        assert complaint.patient_hospitalised and complaint.discharge_expected_on is not None
        assert MEDICAL not in complaint.facts
        assert db.session.get(MedicalPart, complaint.id).details == MEDICAL
        actions = db.session.execute(select(ComplaintEvent.action).where(ComplaintEvent.complaint_id == complaint.id)
                                     .order_by(ComplaintEvent.id)).scalars().all()
        assert actions == ["file_online", "acknowledge"]
        # The audit log holds identifiers only, never what the complaint says.
        details = db.session.execute(select(AuditEntry.detail).where(AuditEntry.object_id == str(complaint.id))
                                     ).scalars().all()
        assert details and not any("urgences" in d.lower() or "poignet" in d.lower() for d in details)


def test_references_are_unique_and_readable(app, world):
    resident = make_user(app)
    first = _online(app, world.hospital.id, resident.id)
    second = _online(app, world.other_hospital.id, resident.id)
    with app.app_context():
        refs = [db.session.get(Complaint, i).reference for i in (first, second)]
    assert refs[0] != refs[1]
    assert refs[0].startswith("0011-") and refs[1].startswith("0029-")


@pytest.mark.parametrize(("overrides", "field"), [
    ({"facts": "Trop court."}, "facts"),
    ({"facts": "   "}, "facts"),
    ({"occurred_on": None}, "occurred_on"),
    ({"relation": "voisin"}, "relation"),
    ({"discharge_expected_on": "tomorrow"}, "discharge_expected_on"),
    ({"establishment": None}, "establishment_id"),
    ({"service_concerned": "x" * 201}, "service_concerned"),
])
def test_filing_online_is_refused_field_by_field_and_creates_nothing(app, world, overrides, field):
    resident = make_user(app)
    if overrides.get("discharge_expected_on") == "tomorrow":  # a discharge date for a patient not in
        overrides = {"discharge_expected_on": intake.paris_today() + timedelta(days=1), "patient_hospitalised": False}
    _refused(app, _online, world.hospital.id, resident.id, field=field, **overrides)
    with app.app_context():
        assert db.session.execute(select(func.count(Complaint.id))).scalar_one() == 0


def test_what_happened_cannot_be_in_the_future(app, world):
    resident = make_user(app)
    _refused(app, _online, world.hospital.id, resident.id, field="occurred_on",
             occurred_on=intake.paris_today() + timedelta(days=1))


def test_nobody_files_online_in_someone_elses_name(app, world):
    resident, other = make_user(app), make_user(app)
    with app.app_context(), pytest.raises(NotAllowed):
        intake.file_online(establishment=db.session.get(Establishment, world.hospital.id),
                           complainant=db.session.get(User, other.id), facts=FACTS,
                           occurred_on=intake.paris_today(), relation="patient", by=db.session.get(User, resident.id))


def test_the_office_registers_a_complaint_written_down_only_once_the_copy_is_handed_over(app, world):
    officer = make_user(app, role="complaints_officer", establishment_id=world.hospital.id)
    _refused(app, _register, world.hospital.id, officer.id, field="copy_handed_over", written_down_for_person=True)
    complaint_id = _register(app, world.hospital.id, officer.id, written_down_for_person=True, copy_handed_over=True,
                             medical_details=MEDICAL)
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        assert complaint.written_down_for_person and complaint.copy_handed_over_at is not None
        assert (complaint.channel, complaint.complainant_id, complaint.registered_by_id) == ("telephone", None, officer.id)
        assert complaint.status == ACKNOWLEDGED and complaint.reference.startswith("0011-")
        assert db.session.get(MedicalPart, complaint.id).details == MEDICAL


def test_registration_checks_the_channel_the_person_and_the_date_of_receipt(app, world):
    officer = make_user(app, role="complaints_officer", establishment_id=world.hospital.id)
    _refused(app, _register, world.hospital.id, officer.id, field="channel", channel="en_ligne")
    _refused(app, _register, world.hospital.id, officer.id, field="complainant_name", complainant_name=" ")
    _refused(app, _register, world.hospital.id, officer.id, field="complainant_contact", complainant_contact="")
    _refused(app, _register, world.hospital.id, officer.id, field="written_down_for_person", channel="courrier",
             written_down_for_person=True, copy_handed_over=True)
    _refused(app, _register, world.hospital.id, officer.id, field="received_on",
             received_on=intake.paris_today() + timedelta(days=1))
    received_on = intake.paris_today() - timedelta(days=4)
    complaint_id = _register(app, world.hospital.id, officer.id, channel="courrier", received_on=received_on,
                             occurred_on=received_on - timedelta(days=2))
    with app.app_context():
        complaint = db.session.get(Complaint, complaint_id)
        assert complaint.received_at.astimezone(intake.PARIS).date() == received_on
        assert complaint.copy_handed_over_at is None


def test_only_the_establishments_office_registers(app, world):
    elsewhere = make_user(app, role="complaints_officer", establishment_id=world.other_hospital.id)
    for person in (make_user(app), elsewhere, make_user(app, role="admin")):
        with pytest.raises(NotAllowed):
            _register(app, world.hospital.id, person.id)


def test_the_office_records_the_patients_consent_and_cdu_members_then_read_the_medical_part(app, world):
    cdu = make_cdu(app, establishment_id=world.hospital.id, territory_id=world.commune.id)
    resident = make_user(app)
    complaint_id = _online(app, world.hospital.id, resident.id, medical_details=MEDICAL)

    def record(user, **overrides):
        with app.app_context():
            values = dict(signed_by="Mme Durand (patiente)", signed_on=intake.paris_today(),
                          scope="Toute la partie médicale", by=db.session.get(User, user.id))
            values.update(overrides)
            intake.record_consent(db.session.get(Complaint, complaint_id), **values)
            db.session.commit()

    def ru_reads() -> bool:
        with app.app_context():
            return policy.can_view_medical_part(db.session.get(User, cdu.ru.id), db.session.get(Complaint, complaint_id),
                                                db.session.get(MedicalPart, complaint_id))

    for person in (cdu.president, cdu.medical_mediator, resident):
        with pytest.raises(NotAllowed):
            record(person)
    for overrides, field in (({"signed_by": ""}, "signed_by"), ({"scope": ""}, "scope"),
                             ({"signed_on": None}, "signed_on"),
                             ({"signed_on": intake.paris_today() + timedelta(days=1)}, "signed_on")):
        with pytest.raises(DomainError) as raised:
            record(cdu.officer, **overrides)
        assert raised.value.field == field
    assert not ru_reads()
    record(cdu.officer)
    assert ru_reads()
    with app.app_context():
        part = db.session.get(MedicalPart, complaint_id)
        assert (part.consent_signed_by, part.consent_recorded_by_id, part.details) == (
            "Mme Durand (patiente)", cdu.officer.id, MEDICAL)
        logged = db.session.execute(select(AuditEntry.detail).where(AuditEntry.action == "complaint.record_consent")
                                    ).scalar_one()
        assert "Durand" not in logged


def test_consent_can_be_recorded_before_any_medical_detail(app, world):
    officer = make_user(app, role="complaints_officer", establishment_id=world.hospital.id)
    complaint_id = _register(app, world.hospital.id, officer.id)
    with app.app_context():
        intake.record_consent(db.session.get(Complaint, complaint_id), signed_by="Le patient",
                              signed_on=intake.paris_today(), scope="Examen par la CDU",
                              by=db.session.get(User, officer.id))
        db.session.commit()
        assert db.session.get(MedicalPart, complaint_id).has_consent


@pytest.mark.parametrize(("status", "due_step"), [
    ("acknowledged", "first_response"), ("meeting_due", "meeting"), ("report_due", "report"),
    ("reply_due", "reply"), ("referred", "unknown_step"),
])
def test_the_next_step_says_what_comes_and_by_which_date(app, world, status, due_step):
    from datetime import date

    from civicsante.complaints import timeline

    complaint = make_complaint(app, establishment_id=world.hospital.id, status=status,
                               due_on=date(2026, 3, 29), due_step=due_step)
    with app.app_context():
        step = timeline.next_step(db.session.get(Complaint, complaint.id))
    assert step.due_on == date(2026, 3, 29)
    assert "29" in step.text and "2026" in step.text


def test_no_next_step_once_closed_and_the_cdu_session_awaited_without_a_date(app, world):
    from civicsante.complaints import timeline

    closed = make_complaint(app, establishment_id=world.hospital.id, status="closed")
    awaiting = make_complaint(app, establishment_id=world.hospital.id, status="awaiting_cdu")
    with app.app_context():
        assert timeline.next_step(db.session.get(Complaint, closed.id)) is None
        step = timeline.next_step(db.session.get(Complaint, awaiting.id))
        assert step is not None and step.due_on is None


def test_an_unknown_category_is_refused(app, world):
    resident = make_user(app)
    _refused(app, _online, world.hospital.id, resident.id, field="category_id", category_id=987654)
