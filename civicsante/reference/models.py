"""Reference data every area points to: territories, health establishments, approved associations."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civicsante.extensions import db

# The territorial tree, from the largest to the smallest level.
TERRITORY_KINDS = ("region", "departement", "epci", "commune", "quartier")
TERRITORY_KIND_LABELS = {
    "region": _l("Region"),
    "departement": _l("Department"),
    "epci": _l("Inter-municipality (EPCI)"),
    "commune": _l("Municipality"),
    "quartier": _l("Neighbourhood"),
}
ESTABLISHMENT_KINDS = (
    "centre_hospitalier",
    "chu",
    "clinique",
    "etablissement_psychiatrique",
    "ssr",
    "ehpad",
    "centre_de_sante",
    "centre_de_sante_communautaire",
    "autre",
)
APPROVAL_LEVELS = ("national", "regional")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Territory(db.Model):
    """A node of the territorial tree (région > département > EPCI > commune > quartier).

    ``path`` is the materialised chain of ancestor ids ("/1/4/9/"), so "everything inside this
    territory" is one indexed prefix query instead of a recursive walk.
    """

    __tablename__ = "territory"
    __table_args__ = (
        CheckConstraint(_in("kind", TERRITORY_KINDS), name="kind"),
        Index("ix_territory_path", "path"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150))
    kind: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(20), unique=True)  # INSEE code (or QPV code)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("territory.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), default="")

    parent: Mapped[Territory | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Territory]] = relationship(back_populates="parent", order_by="Territory.name")

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)

    def __repr__(self) -> str:
        return f"<Territory {self.code} {self.name}>"


class Establishment(db.Model):
    """A health establishment, identified by its 9-character FINESS number."""

    __tablename__ = "establishment"
    __table_args__ = (CheckConstraint(_in("kind", ESTABLISHMENT_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    finess: Mapped[str] = mapped_column(String(9), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id"), index=True)

    territory: Mapped[Territory] = relationship()

    def __repr__(self) -> str:
        return f"<Establishment {self.finess} {self.name}>"


class Association(db.Model):
    """An *association agréée* (L1114-1): only its members may hold user-representative seats."""

    __tablename__ = "association"
    __table_args__ = (CheckConstraint(_in("approval_level", APPROVAL_LEVELS), name="approval_level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    approval_level: Mapped[str] = mapped_column(String(10))
    approval_number: Mapped[str] = mapped_column(String(50))
    approval_expires_on: Mapped[date]
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territory.id"), index=True)

    territory: Mapped[Territory | None] = relationship()

    def approval_valid_on(self, day: date) -> bool:
        return day <= self.approval_expires_on
