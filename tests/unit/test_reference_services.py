"""Reference data rules: the territorial tree, FINESS numbers, approved associations, and
deletions refused while something still refers to the object."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, select

from civicsante.audit import AuditEntry
from civicsante.errors import DomainError
from civicsante.extensions import db
from civicsante.reference import services
from civicsante.reference.models import Association, Establishment, Territory
from tests.support.factories import make_association, make_establishment, make_territory, make_user


def _territory(territory_id: int) -> Territory:
    return db.session.get(Territory, territory_id)


def _actions() -> list[str]:
    return list(db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def _update_territory(territory: Territory, **changes) -> None:
    values = {"code": territory.code, "name": territory.name, "kind": territory.kind,
              "parent": territory.parent}
    values.update(changes)
    services.update_territory(territory, **values, by=None)


# The tree ---------------------------------------------------------------------------------------

def test_create_territory_builds_the_path_normalises_the_code_and_audits(app):
    with app.app_context():
        region = services.create_territory(code=" r01 ", name="  Région   Test ", kind="region",
                                           parent=None, by=None)
        departement = services.create_territory(code="D01", name="Département", kind="departement",
                                                parent=region, by=None)
        db.session.commit()
        assert (region.code, region.name) == ("R01", "Région Test")
        assert region.path == f"/{region.id}/"
        assert departement.path == f"/{region.id}/{departement.id}/"
        assert _actions() == ["territory.create", "territory.create"]


@pytest.mark.parametrize("parent_kind, kind", [
    ("region", "region"), ("departement", "departement"), ("commune", "epci"),
    ("quartier", "commune"), ("epci", "departement"),
])
def test_a_child_must_be_strictly_below_its_parent(app, parent_kind, kind):
    parent = make_territory(app, kind=parent_kind)
    with app.app_context():
        with pytest.raises(DomainError) as refused:
            services.create_territory(code="X1", name="X", kind=kind, parent=_territory(parent.id), by=None)
        assert refused.value.field == "parent_code"


@pytest.mark.parametrize("parent_kind, kind", [
    ("region", "departement"), ("departement", "epci"), ("epci", "commune"),
    ("departement", "commune"),  # a commune that belongs to no EPCI
    ("commune", "quartier"),
])
def test_allowed_parent_levels(app, parent_kind, kind):
    parent = make_territory(app, kind=parent_kind)
    with app.app_context():
        child = services.create_territory(code="X1", name="X", kind=kind, parent=_territory(parent.id), by=None)
        assert child.parent_id == parent.id


@pytest.mark.parametrize("code", ["", "A B", "é01", "X" * 21, "-01"])
def test_invalid_codes_are_refused(app, code):
    with app.app_context():
        with pytest.raises(DomainError) as refused:
            services.create_territory(code=code, name="X", kind="commune", parent=None, by=None)
        assert refused.value.field == "code"


def test_territory_code_is_unique(app, world):
    with app.app_context():
        with pytest.raises(DomainError) as refused:
            services.create_territory(code="d01", name="Autre", kind="departement", parent=None, by=None)
        assert refused.value.field == "code"
        # Keeping its own code while editing is not a clash.
        _update_territory(_territory(world.departement.id), name="Département renommé")


def test_a_territory_cannot_become_its_own_ancestor(app, world):
    with app.app_context():
        departement = _territory(world.departement.id)
        for new_parent in (departement, _territory(world.commune.id)):
            with pytest.raises(DomainError) as refused:
                _update_territory(departement, parent=new_parent)
            assert refused.value.field == "parent_code"


def test_a_new_level_must_stay_above_the_sub_territories(app, world):
    with app.app_context():
        with pytest.raises(DomainError) as refused:
            _update_territory(_territory(world.commune.id), kind="quartier")  # it has a quartier
        assert refused.value.field == "kind"


def _count_updates(statements: list[str]):
    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE TERRITORY"):
            statements.append(statement)
    return before


def test_moving_rewrites_the_paths_of_the_whole_subtree_in_one_update(app, world):
    other = make_territory(app, name="Autre département", kind="departement", code="D02",
                           parent_id=world.region.id)
    extra = [make_territory(app, kind="quartier", parent_id=world.commune.id) for _ in range(3)]
    statements: list[str] = []
    with app.app_context():
        listener = _count_updates(statements)
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            _update_territory(_territory(world.commune.id), parent=_territory(other.id))
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        base = f"/{world.region.id}/{other.id}/{world.commune.id}/"
        assert _territory(world.commune.id).path == base
        for child in [world.quartier, *extra]:
            assert _territory(child.id).path == f"{base}{child.id}/"
        # Untouched: the sibling commune under the old département.
        assert _territory(world.other_commune.id).path == (
            f"/{world.region.id}/{world.departement.id}/{world.other_commune.id}/")
        assert "territory.update" in _actions()
    # One UPDATE for the moved row's parent, one for every path — whatever the subtree's size.
    assert len(statements) == 2


def test_moving_to_the_top_of_the_tree(app, world):
    with app.app_context():
        _update_territory(_territory(world.commune.id), parent=None, kind="commune")
        db.session.commit()
        assert _territory(world.quartier.id).path == f"/{world.commune.id}/{world.quartier.id}/"


# Establishments ---------------------------------------------------------------------------------

@pytest.mark.parametrize("finess, stored", [
    ("010000045", "010000045"), (" 750712184 ", "750712184"), ("2A0000012", "2A0000012"),
    ("2b0000013", "2B0000013"),
])
def test_valid_finess_numbers(app, world, finess, stored):
    with app.app_context():
        establishment = services.create_establishment(
            finess=finess, name="Clinique", kind="clinique", territory=_territory(world.commune.id), by=None)
        assert establishment.finess == stored


@pytest.mark.parametrize("finess", ["", "12345678", "1234567890", "2C0000001", "A10000001",
                                    "01000001X", "01 000 001"])
def test_invalid_finess_numbers_are_refused(app, world, finess):
    with app.app_context():
        with pytest.raises(DomainError) as refused:
            services.create_establishment(finess=finess, name="Clinique", kind="clinique",
                                          territory=_territory(world.commune.id), by=None)
        assert refused.value.field == "finess"


def test_finess_is_unique(app, world):
    with app.app_context():
        with pytest.raises(DomainError) as refused:
            services.create_establishment(finess=world.hospital.finess, name="Doublon", kind="chu",
                                          territory=_territory(world.commune.id), by=None)
        assert refused.value.field == "finess"


def test_establishment_needs_a_known_kind_and_a_territory(app, world):
    with app.app_context():
        with pytest.raises(DomainError) as refused:
            services.create_establishment(finess="010000037", name="X", kind="spa",
                                          territory=_territory(world.commune.id), by=None)
        assert refused.value.field == "kind"
        with pytest.raises(DomainError) as refused:
            services.create_establishment(finess="010000037", name="X", kind="chu", territory=None, by=None)
        assert refused.value.field == "territory_code"


def test_update_establishment_audits_the_changed_fields(app, world):
    with app.app_context():
        hospital = db.session.get(Establishment, world.hospital.id)
        services.update_establishment(hospital, finess=hospital.finess, name="CH renommé", kind="chu",
                                      territory=_territory(world.other_commune.id), by=None)
        db.session.commit()
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "establishment.update")).scalar_one()
        assert entry.detail_dict["changed"] == ["kind", "name", "territory_id"]


# Associations -----------------------------------------------------------------------------------

def _association_values(**changes) -> dict:
    values = {"name": "France Usagers Test", "approval_level": "national", "approval_number": "N-1",
              "approval_expires_on": date(2030, 1, 1), "territory": None}
    values.update(changes)
    return values


def test_association_rules(app, world):
    with app.app_context():
        region = _territory(world.region.id)
        services.create_association(**_association_values(), by=None)
        refusals = [
            (_association_values(name="usagers test"), "name"),  # world's, whatever the case
            (_association_values(name="B", approval_level="local"), "approval_level"),
            (_association_values(name="B", approval_expires_on=None), "approval_expires_on"),
            (_association_values(name="B", approval_level="regional"), "territory_id"),
            (_association_values(name="B", approval_level="regional",
                                 territory=_territory(world.commune.id)), "territory_id"),
        ]
        for values, field in refusals:
            with pytest.raises(DomainError) as refused:
                services.create_association(**values, by=None)
            assert refused.value.field == field, values
        regional = services.create_association(
            **_association_values(name="B", approval_level="regional", territory=region), by=None)
        assert regional.territory_id == region.id


# Deletion ---------------------------------------------------------------------------------------

def _refers_to(app, world, kind: str) -> int:
    """A fresh leaf territory that ``kind`` of record refers to; returns its id."""
    leaf = make_territory(app, kind="commune", parent_id=world.departement.id)
    if kind == "child":
        make_territory(app, kind="quartier", parent_id=leaf.id)
    elif kind == "establishment":
        make_establishment(app, territory_id=leaf.id)
    elif kind == "home":
        make_user(app, home_territory_id=leaf.id)
    elif kind == "role":
        make_user(app, role="facilitator", territory_id=leaf.id)
    elif kind == "association":
        make_association(app, territory_id=leaf.id)
    return leaf.id


@pytest.mark.parametrize("kind", ["child", "establishment", "home", "role", "association"])
def test_a_territory_in_use_cannot_be_deleted(app, world, kind):
    territory_id = _refers_to(app, world, kind)
    with app.app_context():
        territory = _territory(territory_id)
        assert len(services.delete_blockers(territory)) == 1
        with pytest.raises(DomainError):
            services.delete_territory(territory, by=None)
        db.session.rollback()
        assert _territory(territory_id) is not None


def test_a_territory_nobody_uses_is_deleted_and_audited(app, world):
    with app.app_context():
        services.delete_territory(_territory(world.quartier.id), by=None)
        db.session.commit()
        assert _territory(world.quartier.id) is None
        assert _actions()[-1] == "territory.delete"


def test_delete_blockers_counts_every_reference(app, world):
    with app.app_context():
        blockers = {str(label): count for label, count in
                    services.delete_blockers(_territory(world.departement.id))}
        assert list(blockers.values()) == [2]  # Belrive and Montclair
        region = {str(label): count for label, count in services.delete_blockers(_territory(world.region.id))}
        assert sorted(region.values()) == [1, 1]  # the département and the association


def test_an_establishment_with_roles_cannot_be_deleted(app, world):
    make_user(app, role="complaints_officer", establishment_id=world.hospital.id)
    with app.app_context():
        with pytest.raises(DomainError):
            services.delete_establishment(db.session.get(Establishment, world.hospital.id), by=None)
        db.session.rollback()
        services.delete_establishment(db.session.get(Establishment, world.other_hospital.id), by=None)
        db.session.commit()
        assert db.session.get(Establishment, world.other_hospital.id) is None
        assert db.session.get(Establishment, world.hospital.id) is not None


def test_delete_association(app, world):
    with app.app_context():
        services.delete_association(db.session.get(Association, world.association.id), by=None)
        db.session.commit()
        assert db.session.get(Association, world.association.id) is None
        assert _actions()[-1] == "association.delete"
