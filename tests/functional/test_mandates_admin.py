"""The admin's journeys through the mandates screens: type rules, an instance and its seats, a
mandate from proposal to end, association contacts. Forms show errors next to their fields and
keep what was typed; others are refused (403) and nothing is written; lists run a constant
number of queries."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from civicsante.accounts.models import USER_REPRESENTATIVE, User
from civicsante.audit import AuditEntry
from civicsante.extensions import db
from civicsante.mandates.models import AssociationContact, Instance, InstanceType, Mandate, Seat
from tests.conftest import client_for
from tests.support.factories import make_association, make_user
from tests.support.mandates import instance_type_id, make_instance, make_mandate, seat_ids
from tests.support.queries import count_queries

BASE = "/admin/mandats"


def _count(app, model, **where) -> int:
    with app.app_context():
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return db.session.execute(query).scalar_one()


def _error_next_to(html: str, field_id: str) -> bool:
    """The field's error message is shown and tied to its input (aria-describedby)."""
    control = rf'<(?:input|select|textarea)[^>]*aria-describedby="[^"]*\b{field_id}-error\b[^"]*"[^>]*id="{field_id}"'
    return f'id="{field_id}-error"' in html and re.search(control, html) is not None


def _seat_rows(html: str) -> dict[int, dict]:
    rows = re.findall(r'<tr id="seat-(\d+)" data-kind="([a-z_]+)" data-holder="(\d*)" data-vacant="(true|false)"', html)
    return {int(i): {"kind": k, "holder": h, "vacant": v == "true"} for i, k, h, v in rows}


# Instance types ---------------------------------------------------------------------------------

def test_admin_edits_the_rules_of_a_type(app, client, login_as):
    login_as("admin")
    cts = instance_type_id(app, "cts")
    assert 'id="type-cts" data-term-months="60" data-renewal-cap="1"' in client.get(f"{BASE}/types").get_data(as_text=True)
    values = {"name": "CTS modifié", "designating_authority": "DG ARS", "term_months": "0", "renewal_cap": "",
              "hours_per_month": "5", "role_description": "Donner un avis.", "training_offered": "Formation de base."}
    response = client.post(f"{BASE}/types/{cts}", data=values)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _error_next_to(html, "term_months")
    assert 'value="CTS modifié"' in html and "Donner un avis." in html
    response = client.post(f"{BASE}/types/{cts}", data={**values, "term_months": "48", "renewal_cap": "2"})
    assert response.status_code == 303
    assert 'data-term-months="48" data-renewal-cap="2"' in client.get(f"{BASE}/types").get_data(as_text=True)
    assert _count(app, AuditEntry, action="instance_type.edit") == 1
    with app.app_context():
        assert db.session.get(InstanceType, cts).renewal_cap == 2


# Instances and seats ----------------------------------------------------------------------------

def test_admin_creates_a_cdu_with_its_legal_seats(app, client, world, login_as):
    login_as("admin")
    values = {"type_id": str(instance_type_id(app, "cdu")), "name": "CDU du CH de Belrive",
              "territory_id": str(world.commune.id), "default_seats": "y"}
    response = client.post(f"{BASE}/instances/nouvelle", data=values)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and _error_next_to(html, "establishment_id")
    assert 'value="CDU du CH de Belrive"' in html
    response = client.post(f"{BASE}/instances/nouvelle", data={**values, "territory_id": "",
                                                              "establishment_id": str(world.hospital.id)})
    assert response.status_code == 303
    with app.app_context():
        instance = db.session.execute(select(Instance)).scalar_one()
        assert (instance.territory_id, instance.establishment_id) == (world.commune.id, world.hospital.id)
    assert response.headers["Location"].endswith(f"/instances/{instance.id}")
    page = client.get(f"{BASE}/instances/{instance.id}").get_data(as_text=True)
    seats = _seat_rows(page)
    assert [s["kind"] for s in seats.values()] == ["ru_titulaire", "ru_titulaire", "ru_suppleant", "ru_suppleant",
                                                  "mediateur_medecin", "mediateur_non_medecin", "president"]
    assert all(s["vacant"] for s in seats.values())
    titulaires = list(seats)[:2]
    assert f'data-pairs-with="{titulaires[0]}"' in page and f'data-pairs-with="{titulaires[1]}"' in page
    assert _count(app, AuditEntry, action="instance.create") == 1
    assert _count(app, AuditEntry, action="seat.create_defaults") == 1


def test_admin_adds_and_removes_seats(app, client, world, login_as):
    login_as("admin")
    instance = make_instance(app, territory_id=world.departement.id, type_code="cts", seats=("ru_titulaire",))
    titulaire = seat_ids(app, instance.id)[0]
    response = client.post(f"{BASE}/instances/{instance.id}/sieges", data={"kind": "president", "label": "Présidence"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and _error_next_to(html, "kind") and 'value="Présidence"' in html
    response = client.post(f"{BASE}/instances/{instance.id}/sieges",
                           data={"kind": "ru_suppleant", "label": "Suppléant A", "titulaire_seat_id": str(titulaire)})
    assert response.status_code == 303
    added = seat_ids(app, instance.id)[1]
    assert f'data-pairs-with="{titulaire}"' in client.get(f"{BASE}/instances/{instance.id}").get_data(as_text=True)
    assert client.post(f"{BASE}/sieges/{added}/supprimer").status_code == 303
    assert seat_ids(app, instance.id) == [titulaire]
    make_mandate(app, seat_id=titulaire, user_id=make_user(app).id, association_id=world.association.id)
    assert client.post(f"{BASE}/sieges/{titulaire}/supprimer").status_code == 303  # refused, flashed
    assert seat_ids(app, instance.id) == [titulaire]
    assert _count(app, AuditEntry, action="seat.add") == 1 and _count(app, AuditEntry, action="seat.remove") == 1


# A mandate from proposal to end ---------------------------------------------------------------------

def test_a_mandate_from_proposal_to_early_end(app, client, world, login_as):
    login_as("admin")
    person = make_user(app, pseudonym="Mireille")
    expired = make_association(app, name="Agrément échu", expires=date(2020, 12, 31))
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id)
    seat = seat_ids(app, instance.id)[0]
    starts_on = date.today() - timedelta(days=10)
    values = {"email": "personne@example.org", "seat_id": str(seat), "association_id": str(expired.id),
              "starts_on": starts_on.isoformat(), "designation_reference": "ARR-2026-7"}
    url = f"{BASE}/instances/{instance.id}/proposer"
    assert f'<option selected value="{seat}"' in client.get(f"{url}?seat_id={seat}").get_data(as_text=True)
    response = client.post(url, data=values)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and _error_next_to(html, "email") and 'value="ARR-2026-7"' in html
    response = client.post(url, data={**values, "email": person.email})
    assert response.status_code == 422 and _error_next_to(response.get_data(as_text=True), "association_id")
    response = client.post(url, data={**values, "email": person.email, "association_id": str(world.association.id)})
    assert response.status_code == 303
    with app.app_context():
        mandate = db.session.execute(select(Mandate)).scalar_one()
        mandate_id, ends_on = mandate.id, mandate.ends_on
    assert ends_on.year == starts_on.year + 3
    detail = f"{BASE}/mandats/{mandate_id}"
    assert response.headers["Location"].endswith(detail)

    response = client.post(f"{detail}/designer", data={"authority": "DG ARS", "reference": "",
                                                       "designation_date": starts_on.isoformat()})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and _error_next_to(html, "reference") and 'value="DG ARS"' in html
    response = client.post(f"{detail}/designer", data={"authority": "DG ARS", "reference": "ARR-2026-7",
                                                       "designation_date": starts_on.isoformat()})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(User, person.id).has_role(USER_REPRESENTATIVE)
    assert client.post(f"{detail}/activer").status_code == 303
    assert 'data-status="actif"' in client.get(detail).get_data(as_text=True)
    assert _seat_rows(client.get(f"{BASE}/instances/{instance.id}").get_data(as_text=True))[seat]["holder"] == str(person.id)

    assert client.post(f"{detail}/fonction", data={"president": "y"}).status_code == 303
    response = client.post(f"{detail}/fonction", data={"president": "y", "vice_president": "y"})
    assert response.status_code == 422 and _error_next_to(response.get_data(as_text=True), "vice_president")

    response = client.post(f"{detail}/terminer", data={"reason": "demission", "ended_on": (ends_on + timedelta(days=1)).isoformat()})
    assert response.status_code == 422 and _error_next_to(response.get_data(as_text=True), "ended_on")
    yesterday = date.today() - timedelta(days=1)
    assert client.post(f"{detail}/terminer", data={"reason": "demission", "ended_on": yesterday.isoformat()}).status_code == 303
    assert _seat_rows(client.get(f"{BASE}/instances/{instance.id}").get_data(as_text=True))[seat]["vacant"]
    actions = {a for (a,) in _audit_actions(app, mandate_id)}
    assert actions == {"mandate.propose", "mandate.designate", "mandate.activate", "mandate.set_office", "mandate.end"}
    assert _count(app, AuditEntry, action="role.grant") == 1


def _audit_actions(app, mandate_id):
    with app.app_context():
        return db.session.execute(select(AuditEntry.action).where(
            AuditEntry.object_type == "mandate", AuditEntry.object_id == str(mandate_id))).all()


def test_renewal_through_the_web_and_its_cap(app, client, world, login_as):
    login_as("admin")
    instance = make_instance(app, territory_id=world.commune.id, type_code="cts")
    mandate = make_mandate(app, seat_id=seat_ids(app, instance.id)[0], user_id=make_user(app).id,
                           association_id=world.association.id, starts_on=date(2016, 1, 1), ends_on=date(2020, 12, 31),
                           status="termine")
    response = client.post(f"{BASE}/mandats/{mandate.id}/renouveler")
    assert response.status_code == 303
    with app.app_context():
        renewal = db.session.execute(select(Mandate).where(Mandate.renews_id == mandate.id)).scalar_one()
        assert (renewal.status, renewal.renewal_count, renewal.starts_on) == ("propose", 1, date(2021, 1, 1))
    assert response.headers["Location"].endswith(f"/mandats/{renewal.id}")
    assert client.post(f"{BASE}/mandats/{renewal.id}/renouveler").status_code == 303  # cap of 1: refused, flashed
    assert _count(app, Mandate) == 2


# Lists ------------------------------------------------------------------------------------------

def test_mandates_list_filters(app, client, world, login_as):
    login_as("admin")
    cdu = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id)
    cts = make_instance(app, territory_id=world.departement.id, type_code="cts")
    soon = make_mandate(app, seat_id=seat_ids(app, cdu.id)[0], user_id=make_user(app).id,
                        starts_on=date(2024, 1, 1), ends_on=date(2026, 12, 31))
    later = make_mandate(app, seat_id=seat_ids(app, cts.id)[0], user_id=make_user(app).id,
                         starts_on=date(2025, 1, 1), ends_on=date(2029, 12, 31), status="designe")

    def listed(query: str) -> set[int]:
        html = client.get(f"{BASE}/mandats?{query}").get_data(as_text=True)
        return {int(i) for i in re.findall(r'<tr id="mandate-(\d+)"', html)}

    assert listed("") == {soon.id, later.id}
    assert listed("status=designe") == {later.id}
    assert listed(f"type_id={instance_type_id(app, 'cdu')}") == {soon.id}
    assert listed("ending_before=2027-01-01") == {soon.id}
    assert 'id="ending_before-error"' in client.get(f"{BASE}/mandats?ending_before=demain").get_data(as_text=True)
    instances = client.get(f"{BASE}/instances?territory_id={world.departement.id}").get_data(as_text=True)
    assert f'id="instance-{cts.id}"' in instances and f'id="instance-{cdu.id}"' in instances  # the commune is inside
    assert f'id="instance-{cts.id}"' not in client.get(f"{BASE}/instances?territory_id={world.commune.id}").get_data(as_text=True)
    assert f'id="instance-{cdu.id}" data-seats="4" data-held="1"' in instances


def test_htmx_gets_the_results_partial(app, client, world, login_as):
    login_as("admin")
    for path in (f"{BASE}/mandats", f"{BASE}/instances"):
        response = client.get(path, headers={"HX-Request": "true"})
        assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
        assert "HX-Request" in response.headers["Vary"]
        assert "<html" in client.get(path).get_data(as_text=True)


def _fill(app, world, count: int):
    for _ in range(count):
        instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id)
        for seat in seat_ids(app, instance.id)[:2]:
            make_mandate(app, seat_id=seat, user_id=make_user(app).id, association_id=world.association.id)


@pytest.mark.parametrize("path", ["/mandats", "/instances", "/associations"])
def test_lists_run_the_same_queries_with_2_and_8_instances(app, client, world, login_as, path):
    login_as("admin")

    def queries() -> int:
        with count_queries(app) as statements:
            assert client.get(BASE + path).status_code == 200
        return len(statements)

    _fill(app, world, 2)
    few = queries()
    _fill(app, world, 6)
    assert queries() == few


def test_instance_and_mandate_pages_run_constant_queries(app, client, world, login_as):
    login_as("admin")
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id)
    seats = seat_ids(app, instance.id)

    def queries(path) -> int:
        with count_queries(app) as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    first = make_mandate(app, seat_id=seats[0], user_id=make_user(app).id, association_id=world.association.id)
    few = queries(f"{BASE}/instances/{instance.id}")
    for seat in seats[1:]:
        make_mandate(app, seat_id=seat, user_id=make_user(app).id, association_id=world.association.id)
    assert queries(f"{BASE}/instances/{instance.id}") == few
    assert queries(f"{BASE}/mandats/{first.id}") < 20


# Association contacts ---------------------------------------------------------------------------

def test_admin_manages_association_contacts(app, client, world, login_as):
    login_as("admin")
    person = make_user(app, email="contact@example.org")
    url = f"{BASE}/associations/{world.association.id}"
    assert f'id="association-{world.association.id}" data-contacts="0"' in client.get(f"{BASE}/associations").get_data(as_text=True)
    response = client.post(url, data={"email": "inconnu@example.org"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and _error_next_to(html, "email") and 'value="inconnu@example.org"' in html
    assert client.post(url, data={"email": "Contact@example.org"}).status_code == 303
    assert client.post(url, data={"email": person.email}).status_code == 422  # already a contact
    with app.app_context():
        contact_id = db.session.execute(select(AssociationContact.id)).scalar_one()
    assert f'id="contact-{contact_id}" data-user="{person.id}"' in client.get(url).get_data(as_text=True)
    assert client.post(f"{BASE}/contacts/{contact_id}/retirer").status_code == 303
    assert _count(app, AssociationContact) == 0
    assert _count(app, AuditEntry, action="association.contact_add") == 1
    assert _count(app, AuditEntry, action="association.contact_remove") == 1


# Others are refused -----------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["resident", "user_representative", "complaints_officer"])
def test_others_cannot_post_and_nothing_is_written(app, world, role):
    from tests.conftest import _user_for_role

    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id)
    seats = seat_ids(app, instance.id)
    mandate = make_mandate(app, seat_id=seats[0], user_id=make_user(app).id, association_id=world.association.id,
                           status="designe", starts_on=date.today() - timedelta(days=1))
    client = client_for(app, _user_for_role(app, world, role))
    audit_before = _count(app, AuditEntry)
    posts = {
        f"{BASE}/types/{instance_type_id(app, 'cts')}": {"name": "X", "designating_authority": "X", "term_months": "1",
                                                          "hours_per_month": "1"},
        f"{BASE}/instances/nouvelle": {"type_id": str(instance_type_id(app, "cts")), "name": "X",
                                       "territory_id": str(world.commune.id)},
        f"{BASE}/instances/{instance.id}/sieges": {"kind": "ru_titulaire"},
        f"{BASE}/instances/{instance.id}/proposer": {"email": "x@example.org", "seat_id": str(seats[1]),
                                                     "starts_on": "2026-01-01"},
        f"{BASE}/mandats/{mandate.id}/activer": {},
        f"{BASE}/mandats/{mandate.id}/terminer": {"reason": "demission", "ended_on": date.today().isoformat()},
        f"{BASE}/mandats/{mandate.id}/renouveler": {},
        f"{BASE}/sieges/{seats[3]}/supprimer": {},
        f"{BASE}/associations/{world.association.id}": {"email": "x@example.org"},
    }
    for url, data in posts.items():
        assert client.post(url, data=data).status_code == 403, url
    assert client.get(f"{BASE}/mandats/{mandate.id}").status_code == 403
    assert _count(app, AuditEntry) == audit_before
    assert _count(app, Seat) == 4 and _count(app, Mandate) == 1
    with app.app_context():
        assert db.session.get(Mandate, mandate.id).status == "designe"


def test_the_admin_menu_leads_to_the_mandates_sections(app, client, login_as):
    login_as("admin")
    html = client.get("/admin/").get_data(as_text=True)
    for path in ("/types", "/instances", "/mandats", "/associations"):
        assert f'href="{BASE}{path}"' in html
    assert f'href="{BASE}/instances" aria-current="page"' in client.get(f"{BASE}/instances").get_data(as_text=True)
