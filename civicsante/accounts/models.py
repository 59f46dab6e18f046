"""Accounts, server-side sessions and scoped roles."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicsante.extensions import db
from civicsante.reference.models import Establishment, Territory, _in
from civicsante.types import UTCDateTime, utcnow

AGE_BANDS = ("moins_de_25", "25_34", "35_49", "50_64", "65_74", "75_et_plus")
SEXES = ("femme", "homme", "autre")
# For the representativeness statistics (optional, like age band and sex).
EMPLOYMENT_STATUSES = ("en_activite", "retraite", "sans_emploi", "etudiant", "autre")
LANGUAGES = ("fr", "en")
# E-mail about followed needs: never, at once, or in a weekly digest (opt-in: "aucun" by default).
EMAIL_NOTIFICATION_MODES = ("aucun", "immediat", "hebdomadaire")

# Role names as stored. "resident" is not stored: every active account is a resident.
FACILITATOR = "facilitator"
USER_REPRESENTATIVE = "user_representative"
COMPLAINTS_OFFICER = "complaints_officer"
MEDIATOR = "mediator"
ADMIN = "admin"
ROLES = (FACILITATOR, USER_REPRESENTATIVE, COMPLAINTS_OFFICER, MEDIATOR, ADMIN)
# What each role is scoped to (DESIGN.md §2). A user representative's scope is their mandates,
# which the mandates area holds; the role itself carries no scope column.
ROLE_SCOPE = {
    FACILITATOR: "territory",
    USER_REPRESENTATIVE: None,
    COMPLAINTS_OFFICER: "establishment",
    MEDIATOR: "establishment",
    ADMIN: None,
}


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(f"age_band IS NULL OR {_in('age_band', AGE_BANDS)}", name="age_band"),
        CheckConstraint(f"sex IS NULL OR {_in('sex', SEXES)}", name="sex"),
        CheckConstraint(f"employment_status IS NULL OR {_in('employment_status', EMPLOYMENT_STATUSES)}",
                        name="employment_status"),
        CheckConstraint(_in("language", LANGUAGES), name="language"),
        CheckConstraint(_in("email_notifications", EMAIL_NOTIFICATION_MODES), name="email_notifications"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Both are NULL once the account is deleted (GDPR erasure); unique otherwise.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    pseudonym: Mapped[str | None] = mapped_column(String(40))
    pseudonym_key: Mapped[str | None] = mapped_column(String(40), unique=True)  # case-folded
    password_hash: Mapped[str | None] = mapped_column(String(255))
    home_territory_id: Mapped[int | None] = mapped_column(
        ForeignKey("territory.id", ondelete="SET NULL"), index=True
    )
    age_band: Mapped[str | None] = mapped_column(String(20))
    sex: Mapped[str | None] = mapped_column(String(10))
    employment_status: Mapped[str | None] = mapped_column(String(15))
    language: Mapped[str] = mapped_column(String(2), default="fr")
    email_notifications: Mapped[str] = mapped_column(String(15), default="aucun", server_default="aucun")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    home_territory: Mapped[Territory | None] = relationship()
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", foreign_keys="RoleAssignment.user_id", cascade="all, delete-orphan",
        lazy="selectin",
    )

    # Key of the server-side session this object was loaded for (see accounts.sessions).
    session_key = None  # plain attribute, not a column

    def get_id(self) -> str | None:  # Flask-Login stores this in the cookie
        return self.session_key

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None

    @property
    def public_name(self) -> str:
        return self.pseudonym if self.deleted_at is None and self.pseudonym else "compte supprimé"

    def has_role(self, role: str, *, territory_id: int | None = None,
                 establishment_id: int | None = None) -> bool:
        for assignment in self.roles:
            if assignment.role != role:
                continue
            if territory_id is not None and assignment.territory_id != territory_id:
                continue
            if establishment_id is not None and assignment.establishment_id != establishment_id:
                continue
            return True
        return False

    @property
    def is_admin(self) -> bool:
        return self.has_role(ADMIN)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.pseudonym}>"


class UserSession(db.Model):
    """One signed-in browser. The cookie carries ``key``; logging out deletes the row, so a
    replayed cookie finds nothing and is refused."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the cookie key
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship()


class RoleAssignment(db.Model):
    """A role granted to a user, scoped to a territory or an establishment where the role says so."""

    __tablename__ = "role_assignment"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint(
            "(role = 'facilitator' AND territory_id IS NOT NULL AND establishment_id IS NULL)"
            " OR (role IN ('complaints_officer', 'mediator')"
            "     AND establishment_id IS NOT NULL AND territory_id IS NULL)"
            " OR (role IN ('admin', 'user_representative')"
            "     AND territory_id IS NULL AND establishment_id IS NULL)",
            name="scope",
        ),
        Index("ix_role_assignment_role_scope", "role", "territory_id", "establishment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territory.id"))
    establishment_id: Mapped[int | None] = mapped_column(
        ForeignKey("establishment.id"), index=True
    )
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])
    territory: Mapped[Territory | None] = relationship(lazy="joined")
    establishment: Mapped[Establishment | None] = relationship(lazy="joined")
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])
