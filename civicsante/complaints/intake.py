"""Intake of a complaint (R1112-91): filed online by a resident, or registered by the
establishment's complaints office when it came by letter, e-mail, phone or in person. Either way
the complaint gets its reference number and is acknowledged at once (``lifecycle.acknowledge``:
the next step and its expected date, on screen and by e-mail).

The medical details are kept apart in ``MedicalPart`` (L1112-3): CDU members read them only once
the patient's written consent is recorded (``record_consent``). They never go into ``facts``.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from civicsante import audit
from civicsante.complaints import attachments as attachment_store
from civicsante.complaints import policy
from civicsante.complaints.models import (
    CHANNELS,
    IN_PERSON,
    ONLINE,
    PHONE,
    RECEIVED,
    RELATIONS,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    MedicalPart,
)
from civicsante.errors import DomainError, NotAllowed
from civicsante.extensions import db
from civicsante.reference.services import column_length
from civicsante.types import utcnow

PARIS = ZoneInfo("Europe/Paris")
# Fewer characters cannot say what happened: the office would have to call back before acting.
FACTS_MIN = 20
FACTS_MAX = 10_000
EXPECTATIONS_MAX = 5_000
MEDICAL_DETAILS_MAX = 10_000
CONSENT_SCOPE_MAX = column_length(MedicalPart.consent_scope)
# Only these channels can be "written down by staff for the person" (R1112-91): a letter or an
# e-mail is already the person's own writing.
WRITTEN_DOWN_CHANNELS = (PHONE, IN_PERSON)


def paris_today() -> date:
    return datetime.now(PARIS).date()


def _text(value: str | None, field: str, max_length: int, *, required: bool = False,
          minimum: int = 0) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(_l("This field is required."), field)
    if minimum and len(text) < minimum:
        raise DomainError(_l("At least %(min)s characters, please: say what happened.", min=minimum), field)
    if len(text) > max_length:
        raise DomainError(_l("%(max)s characters at most.", max=max_length), field)
    return text


def _check_common(*, establishment, facts, occurred_on, service_concerned, expectations, relation,
                  patient_hospitalised, discharge_expected_on, medical_details) -> dict:
    """The checks shared by both ways in; answers the cleaned values."""
    if establishment is None:
        raise DomainError(_l("Choose the establishment concerned."), "establishment_id")
    values = {
        "facts": _text(facts, "facts", FACTS_MAX, required=True, minimum=FACTS_MIN),
        "service_concerned": _text(service_concerned, "service_concerned",
                                   column_length(Complaint.service_concerned)),
        "expectations": _text(expectations, "expectations", EXPECTATIONS_MAX),
        "medical_details": _text(medical_details, "medical_details", MEDICAL_DETAILS_MAX),
    }
    if occurred_on is None:
        raise DomainError(_l("Give the date of what happened (approximately if need be)."), "occurred_on")
    if occurred_on > paris_today():
        raise DomainError(_l("This date is in the future."), "occurred_on")
    if relation not in RELATIONS:
        raise DomainError(_l("Say whether you are the patient, a relative or an heir."), "relation")
    if discharge_expected_on is not None and not patient_hospitalised:
        # The discharge date shortens the mediator's deadline (R1112-93): only for a patient in.
        raise DomainError(_l("A discharge date only applies when the patient is still in hospital."),
                          "discharge_expected_on")
    if discharge_expected_on is not None and discharge_expected_on < paris_today():
        raise DomainError(_l("The expected discharge date is already past."), "discharge_expected_on")
    values.update(occurred_on=occurred_on, relation=relation, patient_hospitalised=bool(patient_hospitalised),
                  discharge_expected_on=discharge_expected_on if patient_hospitalised else None)
    return values


def reference_for(complaint: Complaint) -> str:
    """A unique, readable reference: the establishment's FINESS last 4 digits, the year of receipt
    (Paris) and the complaint's number, e.g. "0011-2026-00042" — the id makes it unique."""
    year = complaint.received_at.astimezone(PARIS).year
    return f"{complaint.establishment.finess[-4:]}-{year}-{complaint.id:05d}"


def _check_category(category_id) -> None:
    if category_id is not None and db.session.get(ComplaintCategory, category_id) is None:
        raise DomainError(_l("Choose a category."), "category_id")


def _create(values: dict, *, establishment, medical_details: str, uploads, by, action: str,
            **columns) -> Complaint:
    """The complaint, its medical part, its attachments and its receipt (a timeline step without a
    public note: the acknowledgement that follows tells the complainant), then acknowledged."""
    _check_category(columns.get("category_id"))
    checked_uploads = attachment_store.check_uploads(uploads)
    complaint = Complaint(establishment=establishment, facts=values["facts"],
                          occurred_on=values["occurred_on"], service_concerned=values["service_concerned"],
                          expectations=values["expectations"], relation=values["relation"],
                          patient_hospitalised=values["patient_hospitalised"],
                          discharge_expected_on=values["discharge_expected_on"], status=RECEIVED, **columns)
    complaint.received_at = complaint.received_at or utcnow()
    db.session.add(complaint)
    db.session.flush()
    complaint.reference = reference_for(complaint)
    if medical_details:
        db.session.add(MedicalPart(complaint_id=complaint.id, details=medical_details))
    db.session.add(ComplaintEvent(complaint_id=complaint.id, to_status=RECEIVED, action=action,
                                  at=complaint.received_at, by_id=getattr(by, "id", None)))
    for upload in checked_uploads:
        attachment_store.store(complaint, upload, by=by)
    db.session.flush()
    # Only identifiers and the way in: complaint text never goes to the log.
    audit.record(by, f"complaint.{action}", complaint, channel=complaint.channel,
                 attachments=len(checked_uploads), medical_part=bool(medical_details))
    from civicsante.complaints import lifecycle

    lifecycle.acknowledge(complaint, by=by)
    return complaint


def file_online(*, establishment, complainant, facts, occurred_on, service_concerned="", expectations="",
                relation, patient_hospitalised=False, discharge_expected_on=None, category_id=None,
                medical_details="", attachments: Sequence = (), by) -> Complaint:
    """A resident files a complaint online about an establishment, in writing (R1112-91): its
    reference is given and it is acknowledged at once. The resident reads it later as a timeline;
    ``attachments`` are (file name, bytes) checked by content (``attachments.check_upload``)."""
    if not policy.can_file_complaint(by) or complainant is None or complainant.id != by.id:
        raise NotAllowed(_l("You may only file a complaint for yourself, once signed in."))
    values = _check_common(establishment=establishment, facts=facts, occurred_on=occurred_on,
                           service_concerned=service_concerned, expectations=expectations,
                           relation=relation, patient_hospitalised=patient_hospitalised,
                           discharge_expected_on=discharge_expected_on, medical_details=medical_details)
    return _create(values, establishment=establishment, medical_details=values["medical_details"],
                   uploads=attachments, by=by, action="file_online",
                   channel=ONLINE,
                   complainant_id=complainant.id, complainant_name=complainant.pseudonym or "",
                   complainant_contact=complainant.email or "", category_id=category_id)


def register(*, establishment, channel, complainant_name, complainant_contact, written_down_for_person=False,
             copy_handed_over=False, facts, occurred_on, service_concerned="", expectations="", relation,
             patient_hospitalised=False, discharge_expected_on=None, received_on: date | None = None,
             category_id=None, medical_details="", attachments: Sequence = (), by) -> Complaint:
    """The complaints office registers a complaint received by letter, e-mail, phone or in person
    (R1112-91). When the office wrote it down for the person, a copy must be handed over to them
    at once (*sans délai*): registration is refused until the copy is confirmed, and the moment is
    recorded. ``received_on`` (not in the future) dates a letter received earlier."""
    if establishment is None or not policy.can_register_complaint(by, establishment.id):
        raise NotAllowed(_l("Only the establishment's complaints office registers complaints."))
    if channel not in CHANNELS or channel == ONLINE:
        raise DomainError(_l("Choose how the complaint was received."), "channel")
    name = _text(complainant_name, "complainant_name", column_length(Complaint.complainant_name), required=True)
    contact = _text(complainant_contact, "complainant_contact", column_length(Complaint.complainant_contact),
                    required=True)
    if written_down_for_person and channel not in WRITTEN_DOWN_CHANNELS:
        raise DomainError(_l("Only a complaint made by phone or in person is written down for the person."),
                          "written_down_for_person")
    if written_down_for_person and not copy_handed_over:
        raise DomainError(_l("Hand the person a copy of what you wrote down, then confirm it (R1112-91)."),
                          "copy_handed_over")
    if received_on is not None and received_on > paris_today():
        raise DomainError(_l("This date is in the future."), "received_on")
    values = _check_common(establishment=establishment, facts=facts, occurred_on=occurred_on,
                           service_concerned=service_concerned, expectations=expectations,
                           relation=relation, patient_hospitalised=patient_hospitalised,
                           discharge_expected_on=discharge_expected_on, medical_details=medical_details)
    now = utcnow()
    received_at = now
    if received_on is not None and received_on < paris_today():
        # Noon in Paris on the day of receipt: the deadlines count from that French day.
        received_at = datetime.combine(received_on, datetime.min.time().replace(hour=12),
                                       tzinfo=PARIS).astimezone(UTC)
    return _create(values, establishment=establishment, medical_details=values["medical_details"],
                   uploads=attachments, by=by, action="register",
                   channel=channel,
                   complainant_name=name, complainant_contact=contact, registered_by_id=by.id,
                   written_down_for_person=bool(written_down_for_person),
                   copy_handed_over_at=now if written_down_for_person else None, received_at=received_at,
                   category_id=category_id)


def is_office_of(user, complaint: Complaint) -> bool:
    """The establishment's complaints office: it records the patient's written consent to the
    medical part (L1112-3) and hands over the acknowledgement of what it registered."""
    return policy.is_officer(user, complaint.establishment_id)


can_record_consent = is_office_of


def record_consent(complaint: Complaint, *, signed_by: str, signed_on: date | None, scope: str, by) -> MedicalPart:
    """Records the patient's (or heirs') prior written consent to CDU members reading the medical
    part (L1112-3): who signed, on what date, for what. The office only; the date cannot be in the
    future. Audited without the names or the medical text."""
    if not can_record_consent(by, complaint):
        raise NotAllowed(_l("Only the complaints office records the patient's consent."))
    signer = _text(signed_by, "signed_by", column_length(MedicalPart.consent_signed_by), required=True)
    scope_text = _text(scope, "scope", CONSENT_SCOPE_MAX, required=True)
    if signed_on is None:
        raise DomainError(_l("Give the date the consent was signed."), "signed_on")
    if signed_on > paris_today():
        raise DomainError(_l("This date is in the future."), "signed_on")
    part = db.session.get(MedicalPart, complaint.id)
    if part is None:
        part = MedicalPart(complaint_id=complaint.id, details="")
        db.session.add(part)
    part.consent_signed_by, part.consent_signed_on, part.consent_scope = signer, signed_on, scope_text
    part.consent_recorded_by_id, part.consent_recorded_at = by.id, utcnow()
    db.session.flush()
    audit.record(by, "complaint.record_consent", complaint, signed_on=signed_on.isoformat())
    return part
