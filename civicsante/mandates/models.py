"""User representatives' mandates: instance types and their rules, instances, seats, mandates,
trainings, meetings and attendance, hours, *congé de représentation*, alerts sent, and residents'
interest in vacant seats (DESIGN.md §6).

Rules that the law leaves to each instance type (term length, renewal cap) are data on
``InstanceType`` that an admin edits; the defaults are seeded by migration 0006 from
``DEFAULT_INSTANCE_TYPES``.
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
from civicsante.reference.models import Association, Establishment, Territory, _in
from civicsante.types import UTCDateTime, utcnow

# Instance types --------------------------------------------------------------------------------
CDU, CONSEIL_SURVEILLANCE, CTS, CRSA, CCI, CLSM, CLS, OTHER = (
    "cdu", "conseil_surveillance", "cts", "crsa", "cci", "clsm", "cls", "autre")
INSTANCE_TYPE_CODES = (CDU, CONSEIL_SURVEILLANCE, CTS, CRSA, CCI, CLSM, CLS, OTHER)

# code: (name, designating authority, term in months, renewal cap (None: no limit),
#        hours a month one can expect, what the role involves, training offered)
DEFAULT_INSTANCE_TYPES = {
    CDU: ("Commission des usagers (CDU)", "Directeur général de l'ARS", 36, None, 6,
          "Examiner les plaintes et réclamations de l'établissement, rencontrer les personnes qui "
          "se plaignent, proposer des améliorations de la qualité et de l'accueil, rédiger le "
          "rapport annuel.",
          "Formation de base des représentants des usagers (2 jours), puis modules sur les plaintes "
          "et la médiation."),
    CONSEIL_SURVEILLANCE: ("Conseil de surveillance", "Préfet", 60, None, 3,
                           "Se prononcer sur la stratégie de l'hôpital, son budget et son projet "
                           "d'établissement, au nom des usagers.",
                           "Formation de base des représentants des usagers (2 jours)."),
    CTS: ("Conseil territorial de santé (CTS)", "Directeur général de l'ARS", 60, 1, 4,
          "Participer au diagnostic de santé du territoire et donner un avis sur le projet "
          "régional de santé.",
          "Formation de base des représentants des usagers (2 jours)."),
    CRSA: ("Conférence régionale de la santé et de l'autonomie (CRSA)", "Directeur général de l'ARS",
           60, None, 4,
           "Débattre de la politique régionale de santé et rédiger le rapport sur les droits des "
           "usagers.",
           "Formation de base des représentants des usagers (2 jours)."),
    CCI: ("Commission de conciliation et d'indemnisation (CCI)", "Ministre chargé de la santé",
          36, None, 4,
          "Examiner les demandes d'indemnisation des personnes victimes d'un accident médical.",
          "Formation de base, puis formation à l'indemnisation des accidents médicaux."),
    CLSM: ("Conseil local de santé mentale (CLSM)", "Élu·e local·e et ARS", 36, None, 2,
           "Construire avec les élus, les soignants et les usagers une politique locale de santé "
           "mentale.",
           "Formation de base des représentants des usagers (2 jours)."),
    CLS: ("Contrat local de santé (CLS)", "Collectivité et ARS", 60, None, 2,
          "Suivre les actions du contrat local de santé et faire entendre les habitants.",
          "Formation de base des représentants des usagers (2 jours)."),
    OTHER: ("Autre instance", "À préciser", 36, None, 2,
            "Représenter les usagers dans une instance de santé.",
            "Formation de base des représentants des usagers (2 jours)."),
}
# The CDU president: 3 years, renewable twice (DESIGN.md §6).
CDU_PRESIDENT_RENEWAL_CAP = 2


class InstanceType(db.Model):
    """A kind of body with user-representative seats, and its rules, editable by an admin."""

    __tablename__ = "instance_type"
    __table_args__ = (
        CheckConstraint(_in("code", INSTANCE_TYPE_CODES), name="code"),
        CheckConstraint("term_months > 0", name="term_months"),
        CheckConstraint("renewal_cap IS NULL OR renewal_cap >= 0", name="renewal_cap"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(150))
    designating_authority: Mapped[str] = mapped_column(String(150))
    term_months: Mapped[int] = mapped_column(Integer)
    renewal_cap: Mapped[int | None] = mapped_column(Integer)  # None: renewable without limit
    hours_per_month: Mapped[int] = mapped_column(Integer, default=4)
    role_description: Mapped[str] = mapped_column(Text, default="")
    training_offered: Mapped[str] = mapped_column(Text, default="")

    @property
    def is_cdu(self) -> bool:
        return self.code == CDU

    def __repr__(self) -> str:
        return f"<InstanceType {self.code}>"


class Instance(db.Model):
    """One body: the CDU of an establishment, the CTS of a territory… ``territory_id`` is always
    set (for an establishment's instance, the establishment's territory) so that the vacant-seat
    board and the statistics group by territory with one indexed query."""

    __tablename__ = "instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("instance_type.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    establishment_id: Mapped[int | None] = mapped_column(ForeignKey("establishment.id"), index=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    type: Mapped[InstanceType] = relationship(lazy="joined")
    establishment: Mapped[Establishment | None] = relationship()
    territory: Mapped[Territory] = relationship()
    seats: Mapped[list[Seat]] = relationship(back_populates="instance", order_by="Seat.position",
                                             cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Instance {self.id} {self.name}>"


# Seats -----------------------------------------------------------------------------------------
RU_TITULAIRE, RU_SUPPLEANT = "ru_titulaire", "ru_suppleant"
MEDIATEUR_MEDECIN, MEDIATEUR_NON_MEDECIN, PRESIDENT = (
    "mediateur_medecin", "mediateur_non_medecin", "president")
SEAT_KINDS = (RU_TITULAIRE, RU_SUPPLEANT, MEDIATEUR_MEDECIN, MEDIATEUR_NON_MEDECIN, PRESIDENT)
RU_SEAT_KINDS = frozenset({RU_TITULAIRE, RU_SUPPLEANT})
CDU_ONLY_SEAT_KINDS = frozenset({MEDIATEUR_MEDECIN, MEDIATEUR_NON_MEDECIN, PRESIDENT})
SEAT_KIND_LABELS = {
    RU_TITULAIRE: _l("User representative (full member)"),
    RU_SUPPLEANT: _l("User representative (substitute)"),
    MEDIATEUR_MEDECIN: _l("Medical mediator"),
    MEDIATEUR_NON_MEDECIN: _l("Non-medical mediator"),
    PRESIDENT: _l("President (legal representative or appointee)"),
}
# The category of a seat for the CDU presidency rule: the vice-president must come from a
# category other than the president's (R1112-83): legal representative, mediators, RU.
SEAT_CATEGORY = {RU_TITULAIRE: "ru", RU_SUPPLEANT: "ru", MEDIATEUR_MEDECIN: "mediateur",
                 MEDIATEUR_NON_MEDECIN: "mediateur", PRESIDENT: "representant_legal"}


class Seat(db.Model):
    """A seat of an instance. A suppléant seat names the titulaire seat it stands in for."""

    __tablename__ = "seat"
    __table_args__ = (CheckConstraint(_in("kind", SEAT_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    label: Mapped[str] = mapped_column(String(100), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    titulaire_seat_id: Mapped[int | None] = mapped_column(
        ForeignKey("seat.id", ondelete="SET NULL"), index=True)

    instance: Mapped[Instance] = relationship(back_populates="seats")
    titulaire_seat: Mapped[Seat | None] = relationship(remote_side=[id], foreign_keys=[titulaire_seat_id])

    @property
    def is_ru(self) -> bool:
        return self.kind in RU_SEAT_KINDS

    def __repr__(self) -> str:
        return f"<Seat {self.id} {self.kind}>"


# Mandates --------------------------------------------------------------------------------------
PROPOSED, DESIGNATED, ACTIVE, ENDED = "propose", "designe", "actif", "termine"
MANDATE_STATUSES = (PROPOSED, DESIGNATED, ACTIVE, ENDED)
MANDATE_STATUS_LABELS = {
    PROPOSED: _l("Proposed"), DESIGNATED: _l("Designated"), ACTIVE: _l("Active"), ENDED: _l("Ended"),
}
# Statuses that occupy the seat: a seat is vacant when no mandate in one of these covers the day.
HOLDING_STATUSES = (DESIGNATED, ACTIVE)
TERM_REACHED, RESIGNATION, EARLY_END = "echeance", "demission", "fin_anticipee"
END_REASONS = (TERM_REACHED, RESIGNATION, EARLY_END)
END_REASON_LABELS = {
    TERM_REACHED: _l("Term reached"), RESIGNATION: _l("Resignation"), EARLY_END: _l("Ended early"),
}


class Mandate(db.Model):
    """One person's seat in one instance for a term (``starts_on`` to ``ends_on`` inclusive).

    A renewal is a new row pointing to the mandate it renews, with ``renewal_count`` one more:
    the cap of the instance type is checked on that count.
    """

    __tablename__ = "mandate"
    __table_args__ = (
        CheckConstraint(_in("status", MANDATE_STATUSES), name="status"),
        CheckConstraint(f"end_reason IS NULL OR {_in('end_reason', END_REASONS)}", name="end_reason"),
        CheckConstraint("ends_on >= starts_on", name="dates"),
        CheckConstraint("renewal_count >= 0", name="renewal_count"),
        CheckConstraint("NOT (is_president AND is_vice_president)", name="one_office"),
        Index("ix_mandate_seat_dates", "seat_id", "status", "ends_on"),
        Index("ix_mandate_user_status", "user_id", "status"),
        Index("ix_mandate_ends_on", "status", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("seat.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    association_id: Mapped[int | None] = mapped_column(ForeignKey("association.id"), index=True)
    designation_authority: Mapped[str] = mapped_column(String(150), default="")
    designation_reference: Mapped[str] = mapped_column(String(100), default="")
    designation_date: Mapped[date | None] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=PROPOSED)
    end_reason: Mapped[str | None] = mapped_column(String(15))
    ended_on: Mapped[date | None] = mapped_column(Date)
    renewal_count: Mapped[int] = mapped_column(Integer, default=0)
    renews_id: Mapped[int | None] = mapped_column(ForeignKey("mandate.id", ondelete="SET NULL"))
    is_president: Mapped[bool] = mapped_column(Boolean, default=False)
    is_vice_president: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    seat: Mapped[Seat] = relationship(lazy="joined")
    user: Mapped[User] = relationship()
    association: Mapped[Association | None] = relationship()
    renews: Mapped[Mandate | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Mandate {self.id} seat={self.seat_id} user={self.user_id} {self.status}>"


class AssociationContact(db.Model):
    """A person who speaks for an approved association: told of its representatives' alerts and
    of residents interested in a vacant seat; sees only their association's people."""

    __tablename__ = "association_contact"
    __table_args__ = (UniqueConstraint("association_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("association.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    association: Mapped[Association] = relationship()
    user: Mapped[User] = relationship()


# Trainings -------------------------------------------------------------------------------------
BASIC_TRAINING, OTHER_TRAINING = "formation_de_base", "autre"
TRAINING_KINDS = (BASIC_TRAINING, OTHER_TRAINING)
# Basic training is compulsory for any RU designated on or after this date; it lasts 2 days.
BASIC_TRAINING_REQUIRED_FROM = date(2016, 7, 1)
BASIC_TRAINING_DAYS = 2
# An alert goes when the basic training is not done this long after the designation.
TRAINING_ALERT_MONTHS = 6


class Training(db.Model):
    """A training a person followed (or is registered for: ``completed_on`` empty). The basic
    training's indemnity is paid once per person, whatever the number of mandates."""

    __tablename__ = "training"
    __table_args__ = (
        CheckConstraint(_in("kind", TRAINING_KINDS), name="kind"),
        CheckConstraint("half_days > 0", name="half_days"),
        Index("ix_training_user_kind", "user_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    organiser: Mapped[str] = mapped_column(String(200), default="")
    starts_on: Mapped[date] = mapped_column(Date)
    half_days: Mapped[int] = mapped_column(Integer, default=4)
    completed_on: Mapped[date | None] = mapped_column(Date)
    indemnity_paid_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


# Meetings --------------------------------------------------------------------------------------
# CDU agenda: sent at least 8 days before the meeting, at least one clear day when urgent.
CDU_AGENDA_NOTICE_DAYS = 8
CDU_URGENT_AGENDA_NOTICE_DAYS = 1


class Meeting(db.Model):
    """A meeting of an instance. ``ical_uid`` is stable so calendars update the event in place."""

    __tablename__ = "meeting"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="dates"),
        Index("ix_meeting_instance_starts", "instance_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instance.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(300), default="")
    visio_url: Mapped[str] = mapped_column(String(500), default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    agenda_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    minutes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    instance: Mapped[Instance] = relationship()


PRESENT, EXCUSED, REPLACED = "present", "excuse", "remplace"
ATTENDANCE_STATUSES = (PRESENT, EXCUSED, REPLACED)
ATTENDANCE_LABELS = {
    PRESENT: _l("Present"), EXCUSED: _l("Excused"), REPLACED: _l("Replaced by the substitute"),
}


class Attendance(db.Model):
    """Whether the holder of a mandate attended a meeting."""

    __tablename__ = "attendance"
    __table_args__ = (
        CheckConstraint(_in("status", ATTENDANCE_STATUSES), name="status"),
        UniqueConstraint("meeting_id", "mandate_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    mandate_id: Mapped[int] = mapped_column(ForeignKey("mandate.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10))

    meeting: Mapped[Meeting] = relationship()
    mandate: Mapped[Mandate] = relationship()


class HoursEntry(db.Model):
    """Time a representative spent on a mandate (a meeting, its preparation, a mediation…)."""

    __tablename__ = "hours_entry"
    __table_args__ = (
        CheckConstraint("minutes > 0 AND minutes <= 1440", name="minutes"),
        Index("ix_hours_entry_mandate_day", "mandate_id", "worked_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mandate_id: Mapped[int] = mapped_column(ForeignKey("mandate.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="SET NULL"), index=True)
    worked_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mandate: Mapped[Mandate] = relationship()
    meeting: Mapped[Meeting | None] = relationship()


# Congé de représentation (L3142-60 code du travail): 9 working days a year by default, taken in
# half-days, asked for at least 15 days before the absence.
LEAVE_HALF_DAYS_PER_YEAR = 18
LEAVE_NOTICE_DAYS = 15


class LeaveRequest(db.Model):
    """A *congé de représentation* asked of the employer: ``half_days`` from ``absence_on``."""

    __tablename__ = "leave_request"
    __table_args__ = (
        CheckConstraint("half_days > 0", name="half_days"),
        Index("ix_leave_request_user_day", "user_id", "absence_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    mandate_id: Mapped[int | None] = mapped_column(ForeignKey("mandate.id", ondelete="SET NULL"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="SET NULL"))
    requested_on: Mapped[date] = mapped_column(Date)
    absence_on: Mapped[date] = mapped_column(Date)
    half_days: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mandate: Mapped[Mandate | None] = relationship()


# Alerts ----------------------------------------------------------------------------------------
MANDATE_ENDING_DAYS = (120, 60, 30)
ALERT_MANDATE_ENDING, ALERT_TRAINING_MISSING, ALERT_SEAT_VACANT = (
    "mandat_echeance", "formation_manquante", "siege_vacant")
ALERT_KINDS = (ALERT_MANDATE_ENDING, ALERT_TRAINING_MISSING, ALERT_SEAT_VACANT)


class AlertSent(db.Model):
    """One alert given to one person: the unique key makes ``remind`` idempotent. ``subject``
    names what it is about and its step, e.g. "mandate:12:60" or "seat:4:2026-12-02"."""

    __tablename__ = "alert_sent"
    __table_args__ = (
        CheckConstraint(_in("kind", ALERT_KINDS), name="kind"),
        UniqueConstraint("kind", "subject", "recipient_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(25))
    subject: Mapped[str] = mapped_column(String(80))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    emailed: Mapped[bool] = mapped_column(Boolean, default=False)


# Vacant-seat board -----------------------------------------------------------------------------
# A seat shows on the board when it is vacant now or will be within this many months.
BOARD_HORIZON_MONTHS = 6
INTEREST_NEW, INTEREST_CONTACTED, INTEREST_CLOSED = "nouveau", "contacte", "clos"
INTEREST_STATUSES = (INTEREST_NEW, INTEREST_CONTACTED, INTEREST_CLOSED)
INTEREST_STATUS_LABELS = {
    INTEREST_NEW: _l("New"), INTEREST_CONTACTED: _l("Contacted"), INTEREST_CLOSED: _l("Closed"),
}


class SeatInterest(db.Model):
    """A resident's "Je suis intéressé·e" for a seat, followed up by the association contacts."""

    __tablename__ = "seat_interest"
    __table_args__ = (
        CheckConstraint(_in("status", INTEREST_STATUSES), name="status"),
        UniqueConstraint("seat_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("seat.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(10), default=INTEREST_NEW)
    followed_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    follow_up_note: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    seat: Mapped[Seat] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class CalendarFeed(db.Model):
    """The private address of a representative's iCalendar feed. Whoever has the token can read
    the meetings, so it is long and random, and regenerating it retires the old address."""

    __tablename__ = "calendar_feed"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
