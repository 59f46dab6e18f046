"""The admin screens for territories, establishments and approved associations, as an
administrator (and others) goes through them."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select

from civicsante.audit import AuditEntry
from civicsante.extensions import db
from civicsante.reference.models import Association, Establishment, Territory
from tests.support.factories import make_territory

LISTS = ("/admin/territoires", "/admin/etablissements", "/admin/associations")


def _pages(world) -> list[tuple[str, str]]:
    """(method, url) of every reference data screen."""
    urls = []
    for base, obj_id in (("territoires", world.quartier.id), ("etablissements", world.other_hospital.id),
                         ("associations", world.association.id)):
        urls += [("GET", f"/admin/{base}"), ("GET", f"/admin/{base}/nouveau"), ("POST", f"/admin/{base}/nouveau"),
                 ("GET", f"/admin/{base}/{obj_id}/modifier"), ("POST", f"/admin/{base}/{obj_id}/modifier"),
                 ("GET", f"/admin/{base}/{obj_id}/supprimer"), ("POST", f"/admin/{base}/{obj_id}/supprimer")]
    return urls


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars())


def _one(app, model, **where):
    with app.app_context():
        return db.session.execute(select(model).filter_by(**where)).scalar_one_or_none()


# Who may come -----------------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_the_login_page(client, world):
    for method, url in _pages(world):
        response = client.open(url, method=method)
        assert response.status_code == 302, url
        assert "/connexion" in response.headers["Location"]


def test_other_roles_are_refused_and_nothing_changes(app, client, world, login_as):
    login_as("facilitator")
    for method, url in _pages(world):
        assert client.open(url, method=method).status_code == 403, (method, url)
    assert _one(app, Territory, id=world.quartier.id) is not None
    assert _one(app, Establishment, id=world.other_hospital.id) is not None


def test_admin_menu_links_to_the_reference_screens(client, world, login_as):
    login_as("admin")
    page = client.get("/admin/").get_data(as_text=True)
    for url in LISTS:
        assert f'href="{url}"' in page


def test_unknown_objects_are_404(client, world, login_as):
    login_as("admin")
    for base in ("territoires", "etablissements", "associations"):
        assert client.get(f"/admin/{base}/999999/modifier").status_code == 404
        assert client.post(f"/admin/{base}/999999/supprimer").status_code == 404


# Territories ------------------------------------------------------------------------------------

def test_territory_list_shows_the_tree_and_filters(client, world, login_as):
    login_as("admin")
    page = client.get("/admin/territoires").get_data(as_text=True)
    assert "<caption>" in page and '<th scope="col">' in page and '<th scope="row">' in page
    for code in ("R01", "D01", "01001", "01002", "Q01001"):
        assert f"<td>{code}</td>" in page
    # Tree order: the region before its département before its communes.
    assert page.index("<td>R01</td>") < page.index("<td>D01</td>") < page.index("<td>01001</td>")
    only_quartiers = client.get("/admin/territoires?kind=quartier").get_data(as_text=True)
    assert "<td>Q01001</td>" in only_quartiers and "<td>D01</td>" not in only_quartiers
    assert '<option value="quartier" selected>' in only_quartiers
    search = client.get("/admin/territoires?q=montcl").get_data(as_text=True)
    assert "<td>01002</td>" in search and "<td>01001</td>" not in search
    assert 'value="montcl"' in search


def test_territory_list_makes_the_same_queries_whatever_the_number_of_rows(app, client, world, login_as):
    login_as("admin")

    def queries_for_list() -> int:
        statements = []

        def count(*_args):
            statements.append(1)
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/admin/territoires").status_code == 200
        finally:
            with app.app_context():
                event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    few = queries_for_list()
    for _ in range(6):
        make_territory(app, kind="quartier", parent_id=world.other_commune.id)
    assert queries_for_list() == few


def test_admin_creates_a_territory(app, client, world, login_as):
    admin = login_as("admin")
    response = client.post("/admin/territoires/nouveau", data={
        "name": "Les Acacias", "code": "q01002", "kind": "quartier", "parent_code": "01002"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/territoires")
    created = _one(app, Territory, code="Q01002")
    assert created.parent_id == world.other_commune.id
    assert created.path == f"/{world.region.id}/{world.departement.id}/{world.other_commune.id}/{created.id}/"
    entries = _audit(app, "territory.create")
    assert entries[-1].actor_id == admin.id and entries[-1].object_id == str(created.id)


def test_a_territory_form_error_keeps_what_was_typed(app, client, world, login_as):
    login_as("admin")
    response = client.post("/admin/territoires/nouveau", data={
        "name": "Les Acacias", "code": "Q01002", "kind": "quartier", "parent_code": "NOWHERE"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Les Acacias"' in page and 'value="Q01002"' in page and 'value="NOWHERE"' in page
    assert '<option selected value="quartier">' in page
    assert 'id="parent_code-error"' in page and 'aria-invalid="true"' in page
    assert _one(app, Territory, code="Q01002") is None
    # A level that is not strictly below the parent's: the error sits next to the parent field.
    response = client.post("/admin/territoires/nouveau", data={
        "name": "Bis", "code": "R02", "kind": "region", "parent_code": "D01"})
    assert response.status_code == 422 and 'id="parent_code-error"' in response.get_data(as_text=True)
    # A code already taken.
    response = client.post("/admin/territoires/nouveau", data={"name": "Bis", "code": "d01", "kind": "departement"})
    assert response.status_code == 422 and 'id="code-error"' in response.get_data(as_text=True)


def test_admin_edits_and_moves_a_territory(app, client, world, login_as):
    login_as("admin")
    other = make_territory(app, name="Autre département", kind="departement", code="D02",
                           parent_id=world.region.id)
    form = client.get(f"/admin/territoires/{world.commune.id}/modifier").get_data(as_text=True)
    assert 'value="Belrive"' in form and 'value="D01"' in form  # the current parent's code
    response = client.post(f"/admin/territoires/{world.commune.id}/modifier", data={
        "name": "Belrive-le-Haut", "code": "01001", "kind": "commune", "parent_code": "D02"})
    assert response.status_code == 303
    commune = _one(app, Territory, id=world.commune.id)
    assert commune.name == "Belrive-le-Haut" and commune.parent_id == other.id
    quartier = _one(app, Territory, id=world.quartier.id)
    assert quartier.path == f"/{world.region.id}/{other.id}/{world.commune.id}/{world.quartier.id}/"
    assert _audit(app, "territory.update")[-1].detail_dict["changed"] == ["name", "parent_id"]


def test_a_territory_cannot_be_moved_under_its_own_subtree(app, client, world, login_as):
    login_as("admin")
    response = client.post(f"/admin/territoires/{world.departement.id}/modifier", data={
        "name": "Département Test", "code": "D01", "kind": "departement", "parent_code": "01001"})
    assert response.status_code == 422
    assert 'id="parent_code-error"' in response.get_data(as_text=True)
    assert _one(app, Territory, id=world.departement.id).parent_id == world.region.id


def test_admin_deletes_a_territory_after_confirming(app, client, world, login_as):
    login_as("admin")
    confirm = client.get(f"/admin/territoires/{world.quartier.id}/supprimer")
    assert confirm.status_code == 200
    assert f'action="/admin/territoires/{world.quartier.id}/supprimer"' in confirm.get_data(as_text=True)
    response = client.post(f"/admin/territoires/{world.quartier.id}/supprimer")
    assert response.status_code == 303
    assert _one(app, Territory, id=world.quartier.id) is None
    assert _audit(app, "territory.delete")[-1].object_id == str(world.quartier.id)


def test_a_territory_in_use_is_not_deleted(app, client, world, login_as):
    login_as("admin")
    confirm = client.get(f"/admin/territoires/{world.departement.id}/supprimer").get_data(as_text=True)
    assert 'id="blockers"' in confirm and "(2)" in confirm  # two communes
    assert 'class="button button--danger"' not in confirm
    response = client.post(f"/admin/territoires/{world.departement.id}/supprimer")
    assert response.status_code == 422
    assert 'id="blockers"' in response.get_data(as_text=True)
    assert _one(app, Territory, id=world.departement.id) is not None
    assert _audit(app, "territory.delete") == []


# Establishments ---------------------------------------------------------------------------------

def test_admin_creates_edits_and_deletes_an_establishment(app, client, world, login_as):
    admin = login_as("admin")
    response = client.post("/admin/etablissements/nouveau", data={
        "name": "EHPAD Les Tilleuls", "finess": "010000052", "kind": "ehpad", "territory_code": "Q01001"})
    assert response.status_code == 303
    created = _one(app, Establishment, finess="010000052")
    assert created.territory_id == world.quartier.id
    assert "010000052" in client.get("/admin/etablissements").get_data(as_text=True)

    form = client.get(f"/admin/etablissements/{created.id}/modifier").get_data(as_text=True)
    assert 'value="Q01001"' in form
    response = client.post(f"/admin/etablissements/{created.id}/modifier", data={
        "name": "EHPAD des Tilleuls", "finess": "010000052", "kind": "ehpad", "territory_code": "01001"})
    assert response.status_code == 303
    edited = _one(app, Establishment, id=created.id)
    assert edited.name == "EHPAD des Tilleuls" and edited.territory_id == world.commune.id

    assert client.get(f"/admin/etablissements/{created.id}/supprimer").status_code == 200
    assert client.post(f"/admin/etablissements/{created.id}/supprimer").status_code == 303
    assert _one(app, Establishment, id=created.id) is None
    for action in ("establishment.create", "establishment.update", "establishment.delete"):
        assert _audit(app, action)[-1].actor_id == admin.id


def test_an_establishment_form_error_keeps_what_was_typed(app, client, world, login_as):
    login_as("admin")
    response = client.post("/admin/etablissements/nouveau", data={
        "name": "Clinique du Lac", "finess": "01000001", "kind": "clinique", "territory_code": "01001"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Clinique du Lac"' in page and 'value="01000001"' in page and 'value="01001"' in page
    assert 'id="finess-error"' in page
    duplicate = client.post("/admin/etablissements/nouveau", data={
        "name": "Clinique du Lac", "finess": world.hospital.finess, "kind": "clinique", "territory_code": "01001"})
    assert duplicate.status_code == 422 and 'id="finess-error"' in duplicate.get_data(as_text=True)
    unknown = client.post("/admin/etablissements/nouveau", data={
        "name": "Clinique du Lac", "finess": "010000060", "kind": "clinique", "territory_code": "99999"})
    assert unknown.status_code == 422 and 'id="territory_code-error"' in unknown.get_data(as_text=True)
    assert _one(app, Establishment, name="Clinique du Lac") is None


def test_an_establishment_with_staff_roles_is_not_deleted(app, client, world, login_as):
    login_as("complaints_officer")  # scoped to world.hospital
    client.post("/deconnexion")
    login_as("admin")
    response = client.post(f"/admin/etablissements/{world.hospital.id}/supprimer")
    assert response.status_code == 422
    assert _one(app, Establishment, id=world.hospital.id) is not None


# Approved associations --------------------------------------------------------------------------

def test_admin_creates_edits_and_deletes_an_association(app, client, world, login_as):
    admin = login_as("admin")
    form = client.get("/admin/associations/nouveau").get_data(as_text=True)
    assert f'<option value="{world.region.id}">' in form  # regions only
    assert f'<option value="{world.commune.id}">' not in form
    response = client.post("/admin/associations/nouveau", data={
        "name": "Collectif Santé Test", "approval_level": "regional", "approval_number": "ARS-01-2025",
        "approval_expires_on": "2030-05-31", "territory_id": str(world.region.id)})
    assert response.status_code == 303
    created = _one(app, Association, name="Collectif Santé Test")
    assert created.approval_expires_on.isoformat() == "2030-05-31" and created.territory_id == world.region.id

    response = client.post(f"/admin/associations/{created.id}/modifier", data={
        "name": "Collectif Santé Test", "approval_level": "national", "approval_number": "N-2025-4",
        "approval_expires_on": "2031-01-15", "territory_id": ""})
    assert response.status_code == 303
    edited = _one(app, Association, id=created.id)
    assert (edited.approval_level, edited.territory_id) == ("national", None)

    assert client.post(f"/admin/associations/{created.id}/supprimer").status_code == 303
    assert _one(app, Association, id=created.id) is None
    for action in ("association.create", "association.update", "association.delete"):
        assert _audit(app, action)[-1].actor_id == admin.id


@pytest.mark.parametrize("changes, field", [
    ({"territory_id": ""}, "territory_id"),               # regional approval without its region
    ({"approval_expires_on": "31/05/2030"}, "approval_expires_on"),
    ({"name": "usagers test"}, "name"),                   # world's association, other capitals
])
def test_an_association_form_error_keeps_what_was_typed(app, client, world, login_as, changes, field):
    login_as("admin")
    data = {"name": "Collectif Santé Test", "approval_level": "regional", "approval_number": "ARS-01-2025",
            "approval_expires_on": "2030-05-31", "territory_id": str(world.region.id)}
    data.update(changes)
    response = client.post("/admin/associations/nouveau", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    assert f'value="{data["name"]}"' in page and 'value="ARS-01-2025"' in page
    assert f'value="{data["approval_expires_on"]}"' in page
    assert _one(app, Association, approval_number="ARS-01-2025") is None


def test_establishment_and_association_lists_search_also_in_english(app, client, world, login_as):
    login_as("admin")
    client.post("/langue", data={"lang": "en", "next": "/"})
    assert "CH de Belrive" in client.get("/admin/etablissements?q=010000011").get_data(as_text=True)
    assert "Clinique de Montclair" not in client.get("/admin/etablissements?q=belrive").get_data(as_text=True)
    assert "Usagers Test" in client.get("/admin/associations?q=usagers").get_data(as_text=True)
    assert "Usagers Test" not in client.get("/admin/associations?q=zzz").get_data(as_text=True)
