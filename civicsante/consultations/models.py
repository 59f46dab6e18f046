"""Consultations, their candidate priorities, ballots, paper batches and public follow-up.

Ballot secrecy shapes the tables: a secret ballot (``Ballot`` + ``BallotMark``) carries no voter
id, no timestamp and a random id, and the tables are stored in the order of that random id
(``WITHOUT ROWID`` on SQLite), so neither a column nor the insertion order ties a ballot to the
``Participation`` row that records that someone voted.
"""
from __future__ import annotations

import json
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
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
from civicsante.reference.models import Territory, _in
from civicsante.types import UTCDateTime, utcnow

METHODS = ("single", "approval", "borda", "schulze", "points", "majority_judgment")
METHOD_LABELS = {
    "single": _l("Single choice"),
    "approval": _l("Approval vote"),
    "borda": _l("Ranking (Borda count)"),
    "schulze": _l("Ranking (Schulze method)"),
    "points": _l("Sharing out points"),
    "majority_judgment": _l("Majority judgment"),
}
RANKED_METHODS = frozenset({"borda", "schulze"})

SECRET, OPEN = "secret", "ouvert"
SECRECY = (SECRET, OPEN)
LIVE, AFTER_CLOSE = "en_direct", "apres_cloture"
RESULTS_VISIBILITY = (LIVE, AFTER_CLOSE)

# Phases in order; "a_venir" before the collection opens.
UPCOMING, COLLECT, DELIBERATION, VOTE, RESULTS, FOLLOW_UP = (
    "a_venir", "collecte", "deliberation", "vote", "resultats", "suivi")
PHASES = (UPCOMING, COLLECT, DELIBERATION, VOTE, RESULTS, FOLLOW_UP)
PHASE_LABELS = {
    UPCOMING: _l("Upcoming"),
    COLLECT: _l("Collecting needs"),
    DELIBERATION: _l("Deliberation"),
    VOTE: _l("Vote"),
    RESULTS: _l("Results"),
    FOLLOW_UP: _l("Follow-up"),
}
# The date column at which each phase starts.
PHASE_STARTS = {
    COLLECT: "collect_starts_at",
    DELIBERATION: "deliberation_starts_at",
    VOTE: "vote_starts_at",
    RESULTS: "vote_ends_at",
    FOLLOW_UP: "followup_starts_at",
}

DEFAULT_GRADE_LABELS = (_l("To reject"), _l("Insufficient"), _l("Fair"), _l("Fairly good"),
                        _l("Good"), _l("Very good"), _l("Excellent"))

# How a ballot reached the count.
ONLINE, PAPER, ASSISTED = "en_ligne", "papier", "assiste"
BALLOT_CHANNELS = (ONLINE, PAPER, ASSISTED)

# Public follow-up of a priority.
MILESTONE_STATUSES = ("a_l_etude", "engage", "en_cours", "realise", "abandonne")
MILESTONE_STATUS_LABELS = {
    "a_l_etude": _l("Under study"),
    "engage": _l("Committed"),
    "en_cours": _l("In progress"),
    "realise": _l("Done"),
    "abandonne": _l("Abandoned"),
}


def new_ballot_id() -> str:
    return secrets.token_hex(16)


class Consultation(db.Model):
    __tablename__ = "consultation"
    __table_args__ = (
        CheckConstraint(_in("method", METHODS), name="method"),
        CheckConstraint(_in("secrecy", SECRECY), name="secrecy"),
        CheckConstraint(_in("results_visibility", RESULTS_VISIBILITY), name="results_visibility"),
        CheckConstraint("collect_starts_at <= deliberation_starts_at AND deliberation_starts_at <= vote_starts_at"
                        " AND vote_starts_at < vote_ends_at AND vote_ends_at <= followup_starts_at",
                        name="phase_order"),
        CheckConstraint("max_approvals IS NULL OR max_approvals >= 1", name="max_approvals"),
        CheckConstraint("points_budget IS NULL OR points_budget >= 1", name="points_budget"),
        Index("ix_consultation_territory_vote", "territory_id", "vote_starts_at"),
        Index("ix_consultation_vote_ends", "vote_ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text, default="")
    # Eligible voters: residents whose home territory is this one or inside it.
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    method: Mapped[str] = mapped_column(String(20))
    max_approvals: Mapped[int | None] = mapped_column(Integer)   # approval: how many at most
    points_budget: Mapped[int | None] = mapped_column(Integer)   # points: budget per ballot
    grade_labels_json: Mapped[str | None] = mapped_column(Text)  # majority judgment, worst first
    secrecy: Mapped[str] = mapped_column(String(10), default=SECRET)
    results_visibility: Mapped[str] = mapped_column(String(15), default=AFTER_CLOSE)
    collect_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deliberation_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    vote_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    vote_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    followup_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Cached tally (JSON), with the time it was computed and the number of ballots it counted.
    results_json: Mapped[str | None] = mapped_column(Text)
    results_computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the secret ballots were rewritten in a random order after the close (results.seal).
    ballots_sealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    territory: Mapped[Territory] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()
    priorities: Mapped[list[Priority]] = relationship(
        back_populates="consultation", order_by="Priority.position, Priority.id",
        cascade="all, delete-orphan")

    def phase(self, now: datetime | None = None) -> str:
        """The phase at ``now``, from the dates (opening or closing by hand moves the dates)."""
        now = now or utcnow()
        current = UPCOMING
        for phase in PHASES[1:]:
            if now >= getattr(self, PHASE_STARTS[phase]):
                current = phase
        return current

    @property
    def grade_labels(self) -> list[str]:
        if self.grade_labels_json:
            return list(json.loads(self.grade_labels_json))
        return [str(label) for label in DEFAULT_GRADE_LABELS]

    @property
    def tally_options(self) -> dict:
        """Options handed to ``civicsante.voting.tally`` for this consultation's method."""
        if self.method == "points":
            return {"budget": self.points_budget}
        if self.method == "majority_judgment":
            return {"grades": len(self.grade_labels)}
        if self.method == "approval" and self.max_approvals:
            return {"max_approvals": self.max_approvals}
        return {}

    def __repr__(self) -> str:
        return f"<Consultation {self.id} {self.title!r}>"


class Priority(db.Model):
    """A candidate priority put to the vote, usually built from the needs it answers."""

    __tablename__ = "priority"
    __table_args__ = (Index("ix_priority_consultation_position", "consultation_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    consultation: Mapped[Consultation] = relationship(back_populates="priorities")

    @property
    def candidate_id(self) -> str:
        """The id the tally library knows this priority by."""
        return str(self.id)


class PriorityNeed(db.Model):
    """A need a priority answers."""

    __tablename__ = "priority_need"

    priority_id: Mapped[int] = mapped_column(ForeignKey("priority.id", ondelete="CASCADE"), primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)


class Participation(db.Model):
    """The fact that a person voted (one person, one vote: the primary key). For a secret
    consultation this is all that is kept about the voter: no time, no link to the ballot."""

    __tablename__ = "participation"
    __table_args__ = (CheckConstraint(_in("channel", (ONLINE, ASSISTED)), name="channel"),)

    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"),
                                                 primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
    channel: Mapped[str] = mapped_column(String(10), default=ONLINE)
    # Who entered an assisted ballot (the person it was entered for is user_id).
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # Shown on the receipt; reveals nothing about the content of a secret ballot.
    receipt: Mapped[str] = mapped_column(String(20))


class PaperBatch(db.Model):
    """A batch of paper ballots: entered one by one (or by piles of identical ballots) while
    the batch is open, counted only once the facilitator validates it with the declared count."""

    __tablename__ = "paper_batch"
    __table_args__ = (
        CheckConstraint("declared_count >= 1", name="declared_count"),
        Index("ix_paper_batch_consultation", "consultation_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    place: Mapped[str] = mapped_column(String(200))        # where the ballots were collected
    collected_on: Mapped[datetime] = mapped_column(Date)
    declared_count: Mapped[int] = mapped_column(Integer)   # ballots in the box, counted by hand
    # Ballots typed so far, as the tally library reads them, until validation turns them into rows.
    draft_json: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    entered_by: Mapped[User | None] = relationship()

    @property
    def draft(self) -> list:
        return json.loads(self.draft_json or "[]")


class Ballot(db.Model):
    """One counted ballot. ``voter_id`` only for an open consultation (the voter may change it
    until the close); a secret ballot has no voter and no time."""

    __tablename__ = "ballot"
    __table_args__ = (
        CheckConstraint(_in("channel", BALLOT_CHANNELS), name="channel"),
        UniqueConstraint("consultation_id", "voter_id", name="uq_ballot_consultation_voter"),
        Index("ix_ballot_consultation_channel", "consultation_id", "channel"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_ballot_id)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10), default=ONLINE)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("paper_batch.id", ondelete="CASCADE"), index=True)
    voter_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # For the breakdowns (shown only for groups of at least 10): the voter's home territory and
    # age band at the time of the vote; NULL for paper ballots.
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territory.id", ondelete="SET NULL"))
    age_band: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # open ballots only


class BallotMark(db.Model):
    """One priority's value on a ballot: 1 for a single or approval choice, the rank (1 = best)
    for Borda and Schulze, the points, or the grade (0 = worst) for majority judgment."""

    __tablename__ = "ballot_mark"
    __table_args__ = (
        # A consultation's marks in the order of its ballots: a ballot's marks side by side (one
        # page written per ballot), the recount's order, and the tallies' columns (migration 0012).
        Index("ix_ballot_mark_ballots", "consultation_id", "ballot_id", "priority_id", "value"),
        {"sqlite_with_rowid": False},
    )

    ballot_id: Mapped[str] = mapped_column(ForeignKey("ballot.id", ondelete="CASCADE"), primary_key=True)
    priority_id: Mapped[int] = mapped_column(ForeignKey("priority.id", ondelete="CASCADE"), primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(Integer)


class Milestone(db.Model):
    """A step of a priority's public follow-up, posted by a facilitator."""

    __tablename__ = "priority_milestone"
    __table_args__ = (
        CheckConstraint(_in("status", MILESTONE_STATUSES), name="status"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress"),
        CheckConstraint("status <> 'abandonne' OR reason IS NOT NULL", name="abandon_reason"),
        Index("ix_priority_milestone_priority_on", "priority_id", "happened_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    priority_id: Mapped[int] = mapped_column(ForeignKey("priority.id", ondelete="CASCADE"))
    happened_on: Mapped[datetime] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    by: Mapped[User | None] = relationship()
