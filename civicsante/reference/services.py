"""Reference data use cases: the territorial tree, establishments, approved associations.

Each function does one use case in the caller's transaction and writes its audit row with it; the
route (or the CLI) commits. Refusals are ``DomainError`` naming the form field concerned. The
checks on a single value (``clean_code``, ``clean_finess``, ``check_kind_below``…) are public
because the CSV import applies the very same rules to every row of a file.
"""
from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, func, literal, select, update
from sqlalchemy.exc import IntegrityError

from civicsante import audit
from civicsante.accounts.models import RoleAssignment, User
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.reference.models import (
    APPROVAL_LEVELS,
    ESTABLISHMENT_KINDS,
    TERRITORY_KIND_LABELS,
    TERRITORY_KINDS,
    Association,
    Establishment,
    Territory,
)

# Letters, digits, "-" and "_": INSEE codes (with 2A/2B for Corsica), EPCI SIREN numbers, QPV codes.
CODE_RE = re.compile(r"^[0-9A-Z][0-9A-Z_-]*$")
# Two characters for the département (digits, or 2A/2B in Corsica), then seven digits.
FINESS_RE = re.compile(r"^(?:\d{2}|2[AB])\d{7}$")


def column_length(column) -> int:
    """The declared length of a String column, so texts are checked against the schema itself."""
    return column.property.columns[0].type.length


# Choices for select boxes ---------------------------------------------------------------------

def territory_choices(kind: str | None = None) -> list[tuple[int, str]]:
    """(id, label) of every territory (or of one level) in tree order, for select boxes."""
    query = select(Territory.id, Territory.name, Territory.kind).order_by(Territory.path)
    if kind is not None:
        query = query.where(Territory.kind == kind)
    # Each label translated once, not once per territory (hundreds in a select box).
    labels = {key: str(label) for key, label in TERRITORY_KIND_LABELS.items()}
    # Plain rows from the connection: the ORM's row handling took 3/4 of the time for 200 rows.
    rows = db.session.connection().execute(query)
    return [(id_, f"{name} ({labels[kind]})") for id_, name, kind in rows]


def establishment_choices() -> list[tuple[int, str]]:
    """(id, label) of every establishment by name, for select boxes."""
    rows = db.session.execute(select(Establishment.id, Establishment.name, Establishment.finess)
                              .order_by(Establishment.name)).all()
    return [(row.id, f"{row.name} (FINESS {row.finess})") for row in rows]


# Checks on one value (shared with the CSV import) -----------------------------------------------

def clean_text(value: str | None, field: str, max_length: int) -> str:
    """The text trimmed and single-spaced; refused when empty or longer than its column."""
    text = " ".join((value or "").split())
    if not text:
        raise DomainError(_l("This field is required."), field)
    if len(text) > max_length:
        raise DomainError(_l("%(max)s characters at most.", max=max_length), field)
    return text


def clean_code(value: str | None, field: str = "code") -> str:
    """A territory code in capitals: letters, digits, hyphens and underscores."""
    code = (value or "").strip().upper()
    if not code:
        raise DomainError(_l("This field is required."), field)
    if len(code) > column_length(Territory.code) or not CODE_RE.match(code):
        raise DomainError(
            _l("A code is 1 to 20 letters, digits, hyphens or underscores (INSEE code, EPCI SIREN "
               "number, QPV code)."), field)
    return code


def clean_territory_kind(kind: str | None, field: str = "kind") -> str:
    if kind not in TERRITORY_KINDS:
        raise DomainError(_l("Choose a level from the list."), field)
    return kind


def check_kind_below(kind: str, parent_kind: str, field: str = "parent_code") -> None:
    """A territory sits strictly below its parent in TERRITORY_KINDS (région > département >
    EPCI > commune > quartier). Levels may be skipped: a commune that belongs to no EPCI hangs
    directly under its département. Because ranks strictly grow downwards, the tree can never
    contain a cycle."""
    if TERRITORY_KINDS.index(kind) <= TERRITORY_KINDS.index(parent_kind):
        raise DomainError(
            _l("The parent must be of a higher level than “%(kind)s” (it is “%(parent)s”).",
               kind=TERRITORY_KIND_LABELS[kind], parent=TERRITORY_KIND_LABELS[parent_kind]),
            field)


def clean_finess(value: str | None, field: str = "finess") -> str:
    """A FINESS number: exactly 9 characters, digits, with 2A or 2B first in Corsica."""
    finess = (value or "").strip().upper()
    if not finess:
        raise DomainError(_l("This field is required."), field)
    if not FINESS_RE.match(finess):
        raise DomainError(
            _l("A FINESS number is exactly 9 digits (in Corsica it starts with 2A or 2B)."),
            field)
    return finess


def clean_establishment_kind(kind: str | None, field: str = "kind") -> str:
    if kind not in ESTABLISHMENT_KINDS:
        raise DomainError(_l("Choose a type of establishment from the list."), field)
    return kind


def _taken(condition, model, exclude_id: int | None) -> bool:
    query = select(model.id).where(condition)
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return db.session.execute(query.limit(1)).first() is not None


def territory_by_code(code: str | None, *, field: str, required: bool = True) -> Territory | None:
    """The territory a form names by its code (a select box of 35,000 communes would not do)."""
    if not (code or "").strip():
        if required:
            raise DomainError(_l("This field is required."), field)
        return None
    code = clean_code(code, field)
    territory = db.session.execute(select(Territory).where(Territory.code == code)).scalar_one_or_none()
    if territory is None:
        raise DomainError(_l("No territory has the code %(code)s.", code=code), field)
    return territory


# Deletion: refused while something points at the object -------------------------------------

# The rows that point at each kind of reference object. An area whose tables refer to reference
# data adds its columns with ``register_reference`` so deleting stays a clear refusal.
_REFERENCES: dict[type, list[tuple[object, object]]] = {
    Territory: [
        (Territory.parent_id, _l("sub-territories")),
        (Establishment.territory_id, _l("establishments")),
        (Association.territory_id, _l("approved associations")),
        (User.home_territory_id, _l("people living there")),
        (RoleAssignment.territory_id, _l("roles")),
    ],
    Establishment: [(RoleAssignment.establishment_id, _l("roles"))],
    Association: [],
}


def register_reference(model: type, column, label) -> None:
    """Declare that ``column`` points at ``model`` (a Territory, Establishment or Association)."""
    _REFERENCES[model].append((column, label))


def delete_blockers(obj) -> list[tuple[object, int]]:
    """What still points at ``obj``, as (label, count) pairs; empty when it may be deleted.
    One query whatever the number of referencing tables."""
    references = _REFERENCES[type(obj)]
    if not references:
        return []
    counts = db.session.execute(select(*(
        select(func.count()).where(column == obj.id).scalar_subquery() for column, _label in references
    ))).one()
    return [(label, count) for (_column, label), count in zip(references, counts) if count]


def _delete(obj, action: str, *, by, **detail) -> None:
    blockers = delete_blockers(obj)
    if blockers:
        uses = ", ".join(f"{label} ({count})" for label, count in blockers)
        raise DomainError(_l("It cannot be deleted while it is still used by: %(uses)s.", uses=uses))
    audit.record(by, action, obj, **detail)
    db.session.delete(obj)
    try:
        db.session.flush()
    except IntegrityError as exc:  # a reference nobody registered: still a refusal, not a 500
        raise DomainError(_l("It cannot be deleted: other records still refer to it.")) from exc


def _changes(obj, values: dict) -> list[str]:
    """Apply ``values`` to ``obj``; the names of the fields that really changed, for the audit."""
    changed = sorted(name for name, value in values.items() if getattr(obj, name) != value)
    for name in changed:
        setattr(obj, name, values[name])
    return changed


# Territories ----------------------------------------------------------------------------------

def _path_under(parent: Territory | None, territory_id: int) -> str:
    return f"{parent.path if parent else '/'}{territory_id}/"


def _clean_territory(*, code, name, kind, parent: Territory | None, exclude_id: int | None) -> dict:
    name = clean_text(name, "name", column_length(Territory.name))
    code = clean_code(code)
    if _taken(Territory.code == code, Territory, exclude_id):
        raise DomainError(_l("Another territory already has this code."), "code")
    kind = clean_territory_kind(kind)
    if parent is not None:
        check_kind_below(kind, parent.kind)
    return {"name": name, "code": code, "kind": kind}


def create_territory(*, code: str, name: str, kind: str, parent: Territory | None, by) -> Territory:
    """Add a node to the tree, strictly below its parent's level, with a unique code; its
    ``path`` is its parent's path plus its own id."""
    values = _clean_territory(code=code, name=name, kind=kind, parent=parent, exclude_id=None)
    territory = Territory(**values, parent=parent)
    db.session.add(territory)
    db.session.flush()
    territory.path = _path_under(parent, territory.id)
    audit.record(by, "territory.create", territory, code=territory.code, kind=territory.kind,
                 parent_id=territory.parent_id)
    return territory


def update_territory(territory: Territory, *, code: str, name: str, kind: str,
                     parent: Territory | None, by) -> None:
    """Rename, re-code, change the level of, or move a territory.

    It cannot move under itself or one of its sub-territories, and its sub-territories must stay
    strictly below its (possibly new) level. Moving rewrites the path of the whole subtree.
    """
    if parent is not None and parent.path.startswith(territory.path):
        raise DomainError(
            _l("A territory cannot be placed under itself or one of its sub-territories."),
            "parent_code")
    values = _clean_territory(code=code, name=name, kind=kind, parent=parent, exclude_id=territory.id)
    child_kinds = db.session.execute(
        select(Territory.kind).where(Territory.parent_id == territory.id).distinct()).scalars()
    if any(TERRITORY_KINDS.index(child) <= TERRITORY_KINDS.index(values["kind"]) for child in child_kinds):
        raise DomainError(_l("Its sub-territories must stay below it: choose a higher level."), "kind")
    changed = _changes(territory, values)
    new_parent_id = parent.id if parent else None
    if territory.parent_id != new_parent_id:
        changed.append("parent_id")
        old_path = territory.path
        territory.parent = parent
        _move_subtree(old_path, _path_under(parent, territory.id))
    if changed:
        audit.record(by, "territory.update", territory, changed=changed)


def _move_subtree(old_path: str, new_path: str) -> None:
    """Swap the path prefix of a territory and of all its descendants in one UPDATE."""
    db.session.execute(
        update(Territory)
        .where(Territory.path.startswith(old_path, autoescape=True))
        .values(path=literal(new_path, String)
                + func.substr(Territory.path, len(old_path) + 1, type_=String))
        .execution_options(synchronize_session="fetch")
    )


def delete_territory(territory: Territory, *, by) -> None:
    """Delete a territory nothing refers to (sub-territories, establishments, associations,
    people's home territory, roles)."""
    _delete(territory, "territory.delete", by=by, code=territory.code, name=territory.name)


# Establishments -------------------------------------------------------------------------------

def _clean_establishment(*, finess, name, kind, territory: Territory | None,
                         exclude_id: int | None) -> dict:
    name = clean_text(name, "name", column_length(Establishment.name))
    finess = clean_finess(finess)
    if _taken(Establishment.finess == finess, Establishment, exclude_id):
        raise DomainError(_l("Another establishment already has this FINESS number."), "finess")
    kind = clean_establishment_kind(kind)
    if territory is None:
        raise DomainError(_l("This field is required."), "territory_code")
    return {"name": name, "finess": finess, "kind": kind, "territory_id": territory.id}


def create_establishment(*, finess: str, name: str, kind: str, territory: Territory | None,
                         by) -> Establishment:
    """Register a health establishment under its unique FINESS number, in a territory."""
    establishment = Establishment(**_clean_establishment(
        finess=finess, name=name, kind=kind, territory=territory, exclude_id=None))
    db.session.add(establishment)
    db.session.flush()
    audit.record(by, "establishment.create", establishment, finess=establishment.finess)
    return establishment


def update_establishment(establishment: Establishment, *, finess: str, name: str, kind: str,
                         territory: Territory | None, by) -> None:
    """Correct an establishment; its FINESS number stays unique."""
    changed = _changes(establishment, _clean_establishment(
        finess=finess, name=name, kind=kind, territory=territory, exclude_id=establishment.id))
    if changed:
        audit.record(by, "establishment.update", establishment, changed=changed)


def delete_establishment(establishment: Establishment, *, by) -> None:
    """Delete an establishment no role is scoped to."""
    _delete(establishment, "establishment.delete", by=by, finess=establishment.finess,
            name=establishment.name)


# Approved associations ------------------------------------------------------------------------

def _clean_association(*, name, approval_level, approval_number, approval_expires_on,
                       territory: Territory | None, exclude_id: int | None) -> dict:
    name = clean_text(name, "name", column_length(Association.name))
    if _taken(func.lower(Association.name) == name.lower(), Association, exclude_id):
        raise DomainError(_l("An association with this name already exists."), "name")
    if approval_level not in APPROVAL_LEVELS:
        raise DomainError(_l("Choose national or regional approval."), "approval_level")
    approval_number = clean_text(approval_number, "approval_number",
                                 column_length(Association.approval_number))
    if not isinstance(approval_expires_on, date):
        raise DomainError(_l("This field is required."), "approval_expires_on")
    if territory is not None and territory.kind != "region":
        raise DomainError(_l("Choose a region."), "territory_id")
    if approval_level == "regional" and territory is None:
        raise DomainError(_l("A regional approval is given for one region: choose it."), "territory_id")
    return {"name": name, "approval_level": approval_level, "approval_number": approval_number,
            "approval_expires_on": approval_expires_on,
            "territory_id": territory.id if territory else None}


def create_association(*, name: str, approval_level: str, approval_number: str,
                       approval_expires_on: date, territory: Territory | None, by) -> Association:
    """Record an *association agréée* (L1114-1): approved nationally (by the minister) or
    regionally (by the director general of the ARS of its region), until an expiry date.
    Its name is unique."""
    association = Association(**_clean_association(
        name=name, approval_level=approval_level, approval_number=approval_number,
        approval_expires_on=approval_expires_on, territory=territory, exclude_id=None))
    db.session.add(association)
    db.session.flush()
    audit.record(by, "association.create", association, approval_level=association.approval_level)
    return association


def update_association(association: Association, *, name: str, approval_level: str,
                       approval_number: str, approval_expires_on: date,
                       territory: Territory | None, by) -> None:
    """Correct an association or record its renewed approval (same rules as creating it)."""
    changed = _changes(association, _clean_association(
        name=name, approval_level=approval_level, approval_number=approval_number,
        approval_expires_on=approval_expires_on, territory=territory, exclude_id=association.id))
    if changed:
        audit.record(by, "association.update", association, changed=changed)


def delete_association(association: Association, *, by) -> None:
    """Delete an association nothing refers to."""
    _delete(association, "association.delete", by=by, name=association.name)
