"""Residents' health needs: the need, its supports, comments, reports, status timeline, followers."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
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

# Status timeline (issue: nouveau → en examen → retenu / non retenu / fusionné → intégré → réalisé).
NOUVEAU, EN_EXAMEN, RETENU, NON_RETENU, FUSIONNE, INTEGRE, REALISE = (
    "nouveau", "en_examen", "retenu", "non_retenu", "fusionne", "integre", "realise")
STATUSES = (NOUVEAU, EN_EXAMEN, RETENU, NON_RETENU, FUSIONNE, INTEGRE, REALISE)
STATUS_LABELS = {
    NOUVEAU: _l("New"),
    EN_EXAMEN: _l("Under review"),
    RETENU: _l("Accepted"),
    NON_RETENU: _l("Not accepted"),
    FUSIONNE: _l("Merged"),
    INTEGRE: _l("Part of a priority"),
    REALISE: _l("Done"),
}
# How people contributed: online themselves, or met by a facilitator (recorded on their behalf).
CHANNELS = ("en_ligne", "permanence", "telephone", "papier")
CHANNEL_LABELS = {
    "en_ligne": _l("Online"),
    "permanence": _l("In person, at a drop-in session"),
    "telephone": _l("By phone"),
    "papier": _l("On paper"),
}


class NeedCategory(db.Model):
    """Configurable list of categories (seeded by the migration)."""

    __tablename__ = "need_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label_fr: Mapped[str] = mapped_column(String(100))
    label_en: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def label(self, locale: str) -> str:
        return self.label_en if locale == "en" else self.label_fr


class Need(db.Model):
    __tablename__ = "need"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
        Index("ix_need_territory_status_created", "territory_id", "status", "created_at"),
        Index("ix_need_visible_created", "hidden", "created_at"),
        Index("ix_need_visible_supports", "hidden", "supports_count"),
        # Covers the public list's filters and its page count (tests/bench/bench_needs_list.py
        # measures the list with 50,000 needs; figures in the closing note of issue 3).
        Index("ix_need_visible_filters", "hidden", "status", "category_id", "territory_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int] = mapped_column(ForeignKey("need_category.id"), index=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id"))
    public_concerned: Mapped[str | None] = mapped_column(String(200))
    # NULL for a person without an account met by a facilitator, or once the author is erased.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20), default="en_ligne")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Private: never shown publicly (assisted entry for someone without an account).
    assisted_name: Mapped[str | None] = mapped_column(String(120))
    assisted_contact: Mapped[str | None] = mapped_column(String(200))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=NOUVEAU)
    status_reason: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("need.id"), index=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    # Hidden automatically after too many reports, waiting for a facilitator's decision.
    pending_review: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    supports_count: Mapped[int] = mapped_column(Integer, default=0)
    comments_count: Mapped[int] = mapped_column(Integer, default=0)
    # Lower-case, unaccented title + description: what the full-text index searches.
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    category: Mapped[NeedCategory] = relationship(lazy="joined")
    territory: Mapped[Territory] = relationship(lazy="joined")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="joined")
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    merged_into: Mapped[Need | None] = relationship(remote_side=[id])

    @property
    def is_assisted(self) -> bool:
        """Entered by a facilitator for someone met in person, by phone or on paper: shown as
        "recueilli lors d'une permanence", never with the person's name."""
        return self.channel != "en_ligne"


class Support(db.Model):
    """"Moi aussi": one per person per need, enforced by the database."""

    __tablename__ = "need_support"
    __table_args__ = (
        UniqueConstraint("need_id", "user_id", name="uq_need_support_need_user"),
        CheckConstraint(_in("channel", CHANNELS), name="channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20), default="en_ligne")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    assisted_name: Mapped[str | None] = mapped_column(String(120))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Follower(db.Model):
    __tablename__ = "need_follower"

    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)


class StatusChange(db.Model):
    """One step of a need's public timeline."""

    __tablename__ = "need_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Comment(db.Model):
    __tablename__ = "need_comment"
    __table_args__ = (Index("ix_need_comment_need_created", "need_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    pending_review: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    report_count: Mapped[int] = mapped_column(Integer, default=0)

    author: Mapped[User | None] = relationship(lazy="joined")


class AbuseReport(db.Model):
    """A person reports a need or a comment; one report per person per item."""

    __tablename__ = "abuse_report"
    __table_args__ = (
        UniqueConstraint("reporter_id", "need_id", "comment_id", name="uq_abuse_report_item"),
        CheckConstraint("(need_id IS NULL) <> (comment_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int | None] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("need_comment.id", ondelete="CASCADE"),
                                                   index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Notification(db.Model):
    """In-app notification; e-mailed at once or in the weekly digest per the person's choice."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    need_id: Mapped[int | None] = mapped_column(ForeignKey("need.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON: what the message shows
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
