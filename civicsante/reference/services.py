"""Reference data use cases: the territorial tree, establishments, approved associations."""
from __future__ import annotations

from sqlalchemy import select

from civicsante.extensions import db
from civicsante.reference.models import TERRITORY_KIND_LABELS, Establishment, Territory


def territory_choices() -> list[tuple[int, str]]:
    """(id, label) of every territory in tree order, for select boxes."""
    rows = db.session.execute(select(Territory.id, Territory.name, Territory.kind, Territory.path)
                              .order_by(Territory.path)).all()
    return [(row.id, f"{row.name} ({TERRITORY_KIND_LABELS[row.kind]})") for row in rows]


def establishment_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(select(Establishment.id, Establishment.name, Establishment.finess)
                              .order_by(Establishment.name)).all()
    return [(row.id, f"{row.name} (FINESS {row.finess})") for row in rows]


def create_territory(*, code: str, name: str, kind: str, parent: Territory | None, by) -> Territory:
    """Add a node to the tree; its ``path`` is its parent's path plus its own id."""
    territory = Territory(code=code, name=name, kind=kind, parent=parent)
    db.session.add(territory)
    db.session.flush()
    territory.path = f"{parent.path if parent else '/'}{territory.id}/"
    return territory
