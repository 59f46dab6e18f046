"""The association contact's pages: only their association's representatives, only the residents
interested in seats of the territories it covers; others get 403; the follow-up."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from civicsante.audit import AuditEntry
from civicsante.extensions import db
from civicsante.mandates.models import SeatInterest
from tests.conftest import client_for
from tests.support.factories import make_association, make_territory, make_user
from tests.support.mandates import make_association_contact, make_instance, make_mandate, make_training, seat_ids
from tests.support.queries import count_queries


def _interest(app, seat_id, user_id, message="Je veux aider."):
    with app.app_context():
        interest = SeatInterest(seat_id=seat_id, user_id=user_id, message=message)
        db.session.add(interest)
        db.session.commit()
        return interest.id


@pytest.fixture
def two(app, world):
    """Association A (the region, Belrive inside) and B (another region), a contact each, a
    representative each, a resident interested in a Belrive seat and one in a seat of B's region."""
    far_region = make_territory(app, kind="region", code="R66", name="Région lointaine")
    a = make_association(app, name="Association A", territory_id=world.region.id)
    b = make_association(app, name="Association B", territory_id=far_region.id)
    contact_a, contact_b = make_user(app, pseudonym="Contact A"), make_user(app, pseudonym="Contact B")
    make_association_contact(app, association_id=a.id, user_id=contact_a.id)
    make_association_contact(app, association_id=b.id, user_id=contact_b.id)
    here = make_instance(app, territory_id=world.commune.id, name="CDU Belrive", establishment_id=world.hospital.id)
    there = make_instance(app, territory_id=far_region.id, type_code="crsa", name="CRSA lointaine")
    here_seats, there_seats = seat_ids(app, here.id), seat_ids(app, there.id)
    rep_a, rep_b = make_user(app, pseudonym="Représentante A"), make_user(app, pseudonym="Représentant B")
    make_mandate(app, seat_id=here_seats[0], user_id=rep_a.id, association_id=a.id,
                 starts_on=date.today() - timedelta(days=100), ends_on=date.today() + timedelta(days=50))
    make_training(app, user_id=rep_a.id, completed_on=date.today() - timedelta(days=20))
    make_mandate(app, seat_id=there_seats[0], user_id=rep_b.id, association_id=b.id)
    resident_here = make_user(app, pseudonym="Habitante de Belrive", email="habitante@example.org")
    resident_there = make_user(app, pseudonym="Habitant lointain", email="lointain@example.org")
    return {"a": a, "b": b, "contact_a": contact_a, "contact_b": contact_b, "rep_a": rep_a, "rep_b": rep_b,
            "here_seats": here_seats, "there_seats": there_seats,
            "interest_here": _interest(app, here_seats[2], resident_here.id),
            "interest_there": _interest(app, there_seats[1], resident_there.id)}


def test_contact_sees_only_their_association_people(app, two):
    client = client_for(app, two["contact_a"])
    page = client.get(f"/associations/{two['a'].id}/representants")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Représentante A" in html and "Représentant B" not in html
    assert 'data-training="done"' in html
    assert client.get(f"/associations/{two['b'].id}/representants").status_code == 403
    assert client.get("/associations/999999/representants").status_code == 404
    mine = client.get("/mon-association").get_data(as_text=True)
    assert f'data-association-id="{two["a"].id}"' in mine and f'data-association-id="{two["b"].id}"' not in mine


def test_contact_sees_only_interests_of_covered_territories_with_the_email(app, two):
    html_a = client_for(app, two["contact_a"]).get("/association/interesses").get_data(as_text=True)
    assert "Habitante de Belrive" in html_a and "habitante@example.org" in html_a
    assert "Habitant lointain" not in html_a and "lointain@example.org" not in html_a
    html_b = client_for(app, two["contact_b"]).get("/association/interesses").get_data(as_text=True)
    assert "Habitant lointain" in html_b and "Habitante de Belrive" not in html_b


def test_people_who_are_no_contact_get_403(app, two):
    for user in (make_user(app), two["rep_a"]):
        client = client_for(app, user)
        assert client.get("/mon-association").status_code == 403
        assert client.get("/association/interesses").status_code == 403
        assert client.get(f"/associations/{two['a'].id}/representants").status_code == 403
        assert client.get(f"/association/interesses/{two['interest_here']}").status_code == 403
    admin = client_for(app, make_user(app, role="admin"))
    assert admin.get(f"/associations/{two['b'].id}/representants").status_code == 200
    html = admin.get("/association/interesses").get_data(as_text=True)
    assert "Habitante de Belrive" in html and "Habitant lointain" in html


def test_follow_up(app, two):
    client = client_for(app, two["contact_a"])
    url = f"/association/interesses/{two['interest_here']}"
    assert client.get(url).status_code == 200
    assert client.post(url, data={"status": "contacte", "note": "Appelée le 3."}).status_code == 303
    with app.app_context():
        interest = db.session.get(SeatInterest, two["interest_here"])
        assert (interest.status, interest.follow_up_note, interest.followed_up_by_id) == (
            "contacte", "Appelée le 3.", two["contact_a"].id)
        assert db.session.execute(select(AuditEntry.id).where(AuditEntry.action == "seat_interest.follow_up")).first()
    assert client.post(url, data={"status": "nope"}).status_code == 422
    assert client.post(url, data={"status": "clos", "note": "n" * 1001}).status_code == 422
    assert client.get(f"/association/interesses/{two['interest_there']}").status_code == 403
    assert client.post(f"/association/interesses/{two['interest_there']}", data={"status": "clos"}).status_code == 403
    assert client.get("/association/interesses/999999").status_code == 404


def test_contact_pages_queries_stay_constant(app, world, two):
    client = client_for(app, two["contact_a"])

    def queries(url) -> int:
        with count_queries(app) as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    people_url = f"/associations/{two['a'].id}/representants"
    before = (queries(people_url), queries("/association/interesses"))
    for _ in range(3):
        instance = make_instance(app, territory_id=world.commune.id)
        seats = seat_ids(app, instance.id)
        rep = make_user(app)
        make_mandate(app, seat_id=seats[0], user_id=rep.id, association_id=two["a"].id)
        make_training(app, user_id=rep.id)
        _interest(app, seats[1], make_user(app).id)
    assert (queries(people_url), queries("/association/interesses")) == before


def test_account_menu_leads_contacts_to_their_association(app, two):
    assert "/mon-association" in client_for(app, two["contact_a"]).get("/compte").get_data(as_text=True)
    assert "/mon-association" not in client_for(app, two["rep_a"]).get("/compte").get_data(as_text=True)
