"""CDU complaints (DESIGN.md §5, Code de la santé publique R1112-79 to R1112-94, L1112-3): the
complaint file, its timeline of transitions, referrals to mediators, attachments, the medical part
and the patient's consent, CDU session items and recusals, the opinion, the reply,
recommendations, the annual report's free-text sections and the deadline reminders sent.

A complaint is health data (GDPR art. 9): its text never goes to the audit log, and only the
people ``complaints.policy`` names read it — every read is audited.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicsante.accounts.models import User
from civicsante.extensions import db
from civicsante.mandates.models import Mandate, Meeting
from civicsante.reference.models import Establishment, _in
from civicsante.types import UTCDateTime, utcnow

# How the complaint reached the establishment (R1112-91).
ONLINE, LETTER, EMAIL, PHONE, IN_PERSON = "en_ligne", "courrier", "courriel", "telephone", "en_personne"
CHANNELS = (ONLINE, LETTER, EMAIL, PHONE, IN_PERSON)
CHANNEL_LABELS = {ONLINE: _l("Online"), LETTER: _l("Letter"), EMAIL: _l("E-mail"), PHONE: _l("Telephone"),
                  IN_PERSON: _l("In person")}
# Who complains: the patient, a relative, an heir.
PATIENT, RELATIVE, HEIR = "patient", "proche", "ayant_droit"
RELATIONS = (PATIENT, RELATIVE, HEIR)
RELATION_LABELS = {PATIENT: _l("The patient"), RELATIVE: _l("A relative"), HEIR: _l("An heir")}
# The nature decides the mediator (R1112-92): medical for care/medical functioning only,
# non-medical for the rest, both when both apply.
MEDICAL, NON_MEDICAL, BOTH = "medicale", "non_medicale", "mixte"
NATURES = (MEDICAL, NON_MEDICAL, BOTH)
NATURE_LABELS = {MEDICAL: _l("Medical (care, medical functioning)"), NON_MEDICAL: _l("Non-medical"),
                 BOTH: _l("Both medical and non-medical")}

# The state machine of DESIGN.md §5.
RECEIVED, ACKNOWLEDGED, ANSWERED, REFERRED, MEETING_DUE = (
    "received", "acknowledged", "answered", "referred", "meeting_due")
MET, REFUSED, IMPOSSIBLE, REPORT_DUE, REPORT_FORWARDED = (
    "met", "refused", "impossible", "report_due", "report_forwarded")
AWAITING_CDU, OPINION, REPLY_DUE, CLOSED, OUT_OF_SCOPE, DELEGATED_CDSP = (
    "awaiting_cdu", "opinion", "reply_due", "closed", "out_of_scope", "delegated_cdsp")
STATUSES = (RECEIVED, ACKNOWLEDGED, ANSWERED, REFERRED, MEETING_DUE, MET, REFUSED, IMPOSSIBLE,
            REPORT_DUE, REPORT_FORWARDED, AWAITING_CDU, OPINION, REPLY_DUE, CLOSED, OUT_OF_SCOPE,
            DELEGATED_CDSP)
TERMINAL_STATUSES = frozenset({CLOSED, OUT_OF_SCOPE, DELEGATED_CDSP})
STATUS_LABELS = {
    RECEIVED: _l("Received"), ACKNOWLEDGED: _l("Acknowledged"), ANSWERED: _l("Answered by the director"),
    REFERRED: _l("Referred to a mediator"), MEETING_DUE: _l("Mediation meeting due"),
    MET: _l("Mediation meeting held"), REFUSED: _l("Mediation refused"), IMPOSSIBLE: _l("Mediation impossible"),
    REPORT_DUE: _l("Mediator's report due"), REPORT_FORWARDED: _l("Report forwarded"),
    AWAITING_CDU: _l("Awaiting the CDU"), OPINION: _l("CDU opinion given"), REPLY_DUE: _l("Reply due"),
    CLOSED: _l("Closed"), OUT_OF_SCOPE: _l("Out of scope"),
    DELEGATED_CDSP: _l("Referred to the CDSP (psychiatric care)"),
}
# Out of the CDU's scope (R1112-80 I): still recorded and counted, routes of appeal given.
GRACIOUS_APPEAL, JUDICIAL_APPEAL = "recours_gracieux", "recours_juridictionnel"
OUT_OF_SCOPE_KINDS = (GRACIOUS_APPEAL, JUDICIAL_APPEAL)
OUT_OF_SCOPE_LABELS = {GRACIOUS_APPEAL: _l("Request for compensation or annulment (recours gracieux)"),
                       JUDICIAL_APPEAL: _l("Court proceedings (recours juridictionnel)")}


class ComplaintCategory(db.Model):
    """A category of complaint for the annual report; seeded by migration 0007, editable."""

    __tablename__ = "complaint_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(150))
    position: Mapped[int] = mapped_column(Integer, default=0)


# code: label (French, shown as is: categories are data an admin edits).
DEFAULT_CATEGORIES = {
    "accueil": "Accueil et relations avec le personnel",
    "soins_medicaux": "Prise en charge médicale",
    "soins_paramedicaux": "Soins infirmiers et paramédicaux",
    "information": "Information du patient et de ses proches",
    "droits": "Respect des droits (dignité, intimité, confidentialité)",
    "dossier_medical": "Accès au dossier médical",
    "delais": "Délais d'attente et de rendez-vous",
    "hotellerie": "Hôtellerie, restauration, locaux",
    "facturation": "Facturation et frais",
    "biens": "Perte ou détérioration de biens",
    "autre": "Autre",
}


class Complaint(db.Model):
    """One complaint addressed to an establishment. ``due_on``/``due_step`` hold the next legal
    deadline (denormalised by every transition) so the dashboard sorts by urgency in one indexed
    query."""

    __tablename__ = "complaint"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        CheckConstraint(_in("relation", RELATIONS), name="relation"),
        CheckConstraint(f"nature IS NULL OR {_in('nature', NATURES)}", name="nature"),
        CheckConstraint(f"out_of_scope_kind IS NULL OR {_in('out_of_scope_kind', OUT_OF_SCOPE_KINDS)}",
                        name="out_of_scope_kind"),
        Index("ix_complaint_establishment_status", "establishment_id", "status"),
        Index("ix_complaint_establishment_due", "establishment_id", "due_on"),
        Index("ix_complaint_establishment_received", "establishment_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(30), unique=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishment.id"))
    # The resident who filed online (their own file), or None when registered by the office.
    complainant_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"),
                                                       index=True)
    complainant_name: Mapped[str] = mapped_column(String(200), default="")
    complainant_contact: Mapped[str] = mapped_column(String(300), default="")  # address, phone, e-mail
    relation: Mapped[str] = mapped_column(String(15), default=PATIENT)
    patient_hospitalised: Mapped[bool] = mapped_column(Boolean, default=False)
    discharge_expected_on: Mapped[date | None] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(15), default=ONLINE)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # Written down by staff for the person (R1112-91): a copy is handed over at once.
    written_down_for_person: Mapped[bool] = mapped_column(Boolean, default=False)
    copy_handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    facts: Mapped[str] = mapped_column(Text)
    occurred_on: Mapped[date | None] = mapped_column(Date)
    service_concerned: Mapped[str] = mapped_column(String(200), default="")
    expectations: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_category.id"), index=True)
    nature: Mapped[str | None] = mapped_column(String(15))
    status: Mapped[str] = mapped_column(String(20), default=RECEIVED)
    out_of_scope_kind: Mapped[str | None] = mapped_column(String(25))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_on: Mapped[date | None] = mapped_column(Date)
    due_step: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    establishment: Mapped[Establishment] = relationship()
    complainant: Mapped[User | None] = relationship(foreign_keys=[complainant_id])
    category: Mapped[ComplaintCategory | None] = relationship()
    referrals: Mapped[list[Referral]] = relationship(back_populates="complaint", order_by="Referral.id")

    def __repr__(self) -> str:
        return f"<Complaint {self.reference} {self.status}>"


class ComplaintEvent(db.Model):
    """One step of a complaint's timeline: a transition (from → to) or a dated fact, by whom.
    ``public_note`` is the plain-French sentence the complainant reads."""

    __tablename__ = "complaint_event"
    __table_args__ = (Index("ix_complaint_event_complaint_at", "complaint_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))  # the service function's name, e.g. "refer_to_mediator"
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(Date)  # the deadline this step set, if any
    public_note: Mapped[str] = mapped_column(Text, default="")
    internal_note: Mapped[str] = mapped_column(Text, default="")

    by: Mapped[User | None] = relationship()


MEDICAL_MEDIATOR, NON_MEDICAL_MEDIATOR = "medecin", "non_medecin"
MEDIATOR_KINDS = (MEDICAL_MEDIATOR, NON_MEDICAL_MEDIATOR)
MEETING_OUTCOMES = (MET, REFUSED, IMPOSSIBLE)


class Referral(db.Model):
    """A complaint referred to one mediator (R1112-92): the meeting within 8 days (R1112-93),
    the report within 8 days of it (R1112-94)."""

    __tablename__ = "referral"
    __table_args__ = (
        CheckConstraint(_in("kind", MEDIATOR_KINDS), name="kind"),
        CheckConstraint(f"meeting_outcome IS NULL OR {_in('meeting_outcome', MEETING_OUTCOMES)}",
                        name="meeting_outcome"),
        UniqueConstraint("complaint_id", "kind"),
        Index("ix_referral_mediator", "mediator_id", "complaint_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    mediator_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(15))
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    meeting_due_on: Mapped[date] = mapped_column(Date)
    meeting_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # planned, then held
    meeting_place: Mapped[str] = mapped_column(String(300), default="")
    meeting_outcome: Mapped[str | None] = mapped_column(String(15))
    outcome_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The RU member of the CDU who accompanied the complainant, if they asked for one.
    accompanying_mandate_id: Mapped[int | None] = mapped_column(ForeignKey("mandate.id", ondelete="SET NULL"))
    report_due_on: Mapped[date | None] = mapped_column(Date)
    report_text: Mapped[str] = mapped_column(Text, default="")
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    complaint: Mapped[Complaint] = relationship(back_populates="referrals")
    mediator: Mapped[User] = relationship()
    accompanying_mandate: Mapped[Mandate | None] = relationship()


# Attachments: PDF and images, checked by content, stored outside the web root.
ATTACHMENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENTS_PER_COMPLAINT = 5


class Attachment(db.Model):
    """A file joined to a complaint. ``storage_name`` is random: the file lives in the instance
    folder's attachments directory, never under static/, and is served by a route that checks
    the complaint's policy."""

    __tablename__ = "complaint_attachment"
    __table_args__ = (CheckConstraint(_in("content_type", ATTACHMENT_TYPES), name="content_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MedicalPart(db.Model):
    """The complaint's medical details, kept apart: CDU members read them only once the patient's
    (or heirs') prior written consent is recorded — who signed, when, for what (L1112-3)."""

    __tablename__ = "complaint_medical_part"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), primary_key=True)
    details: Mapped[str] = mapped_column(Text, default="")
    consent_signed_by: Mapped[str] = mapped_column(String(200), default="")
    consent_signed_on: Mapped[date | None] = mapped_column(Date)
    consent_scope: Mapped[str] = mapped_column(String(300), default="")
    consent_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    consent_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def has_consent(self) -> bool:
        return self.consent_signed_on is not None and bool(self.consent_signed_by)


class SessionItem(db.Model):
    """A complaint on the agenda of a CDU session (a ``Meeting`` of the establishment's CDU)."""

    __tablename__ = "cdu_session_item"
    __table_args__ = (UniqueConstraint("meeting_id", "complaint_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    meeting: Mapped[Meeting] = relationship()
    complaint: Mapped[Complaint] = relationship()


class Recusal(db.Model):
    """A member concerned by a complaint does not sit on its item; their suppléant is invited
    instead (R1112-87)."""

    __tablename__ = "cdu_recusal"
    __table_args__ = (UniqueConstraint("item_id", "mandate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("cdu_session_item.id", ondelete="CASCADE"))
    mandate_id: Mapped[int] = mapped_column(ForeignKey("mandate.id", ondelete="CASCADE"))
    substitute_mandate_id: Mapped[int | None] = mapped_column(ForeignKey("mandate.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(300), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[SessionItem] = relationship()
    mandate: Mapped[Mandate] = relationship(foreign_keys=[mandate_id])
    substitute_mandate: Mapped[Mandate | None] = relationship(foreign_keys=[substitute_mandate_id])


RECOMMENDATIONS, APPEAL_ROUTES, REASONED_CLOSURE = "recommandations", "voies_de_recours", "classement_motive"
OPINION_KINDS = (RECOMMENDATIONS, APPEAL_ROUTES, REASONED_CLOSURE)
OPINION_LABELS = {RECOMMENDATIONS: _l("Recommendations"), APPEAL_ROUTES: _l("Routes of appeal"),
                  REASONED_CLOSURE: _l("Reasoned closure")}


class Opinion(db.Model):
    """The CDU's opinion on a complaint, given in a session."""

    __tablename__ = "cdu_opinion"
    __table_args__ = (CheckConstraint(_in("kind", OPINION_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), unique=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reply(db.Model):
    """The legal representative's reply to the complainant, the opinion attached; or the direct
    answer when the complaint was answered without a mediator (``direct``)."""

    __tablename__ = "complaint_reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    direct: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


RECOMMENDATION_STATUSES = ("proposee", "en_cours", "realisee", "abandonnee")
RECOMMENDATION_STATUS_LABELS = {"proposee": _l("Proposed"), "en_cours": _l("In progress"),
                                "realisee": _l("Done"), "abandonnee": _l("Dropped")}


class Recommendation(db.Model):
    """A recommendation the CDU issued (from an opinion or on its own), and its follow-up."""

    __tablename__ = "cdu_recommendation"
    __table_args__ = (CheckConstraint(_in("status", RECOMMENDATION_STATUSES), name="status"),
                      Index("ix_cdu_recommendation_establishment", "establishment_id", "issued_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishment.id"))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id", ondelete="SET NULL"), index=True)
    text: Mapped[str] = mapped_column(Text)
    issued_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(15), default="proposee")
    follow_up: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


REPORT_SECTIONS = ("satisfaction", "dossier_medical", "evenements_indesirables", "projet_des_usagers")


class ReportSection(db.Model):
    """A free-text section of a CDU's annual report, written by the CDU."""

    __tablename__ = "cdu_report_section"
    __table_args__ = (CheckConstraint(_in("key", REPORT_SECTIONS), name="key"),
                      UniqueConstraint("establishment_id", "year", "key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishment.id"))
    year: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeadlineReminder(db.Model):
    """A deadline e-mail sent by ``remind`` (the day before, and on the day): the unique key
    makes it once per complaint, step, due date, person and moment."""

    __tablename__ = "complaint_deadline_reminder"
    __table_args__ = (CheckConstraint(_in("moment", ("veille", "jour")), name="moment"),
                      UniqueConstraint("complaint_id", "step", "due_on", "recipient_id", "moment"))

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(20))
    due_on: Mapped[date] = mapped_column(Date)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    moment: Mapped[str] = mapped_column(String(6))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
