"""The public vacant-seat board, the residents' interest, the representativeness page and CSV,
and the profile's employment status."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from civicsante.accounts.models import User
from civicsante.extensions import db
from civicsante.mandates.models import SeatInterest
from civicsante.needs.models import Notification
from tests.conftest import client_for
from tests.support.factories import make_association, make_territory, make_user
from tests.support.mandates import make_association_contact, make_instance, make_mandate, seat_ids
from tests.support.queries import count_queries


@pytest.fixture
def board(app, world):
    """A CTS in Belrive: seat 0 held, seat 1 vacant; an association covering the region with a
    contact, an association elsewhere with another contact."""
    association = make_association(app, territory_id=world.region.id)
    contact = make_user(app, pseudonym="Contact régional")
    make_association_contact(app, association_id=association.id, user_id=contact.id)
    far = make_association(app, territory_id=make_territory(app, kind="region", code="R55").id)
    far_contact = make_user(app)
    make_association_contact(app, association_id=far.id, user_id=far_contact.id)
    instance = make_instance(app, territory_id=world.commune.id, type_code="cts", name="CTS de Belrive",
                             seats=("ru_titulaire", "ru_suppleant"))
    held, vacant = seat_ids(app, instance.id)
    make_mandate(app, seat_id=held, user_id=make_user(app).id, starts_on=date.today() - timedelta(days=10),
                 ends_on=date.today() + timedelta(days=1000))
    return {"held": held, "vacant": vacant, "contact": contact, "far_contact": far_contact, "instance": instance}


def _seat_ids_on(html: str) -> list[int]:
    import re
    return [int(x) for x in re.findall(r'data-seat-id="(\d+)"', html)]


def test_board_lists_vacant_seats_with_what_the_role_involves(client, board):
    response = client.get("/sieges-vacants")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _seat_ids_on(html) == [board["vacant"]]
    assert "CTS de Belrive" in html and "diagnostic de santé du territoire" in html  # role_description
    assert 'data-total="1"' in html
    assert f'/sieges-vacants/{board["vacant"]}/interet' in html


def test_board_filters_and_htmx_partial(app, client, world, board):
    other = make_instance(app, territory_id=world.other_commune.id, type_code="clsm", seats=("ru_titulaire",))
    (other_seat,) = seat_ids(app, other.id)
    assert set(_seat_ids_on(client.get("/sieges-vacants").get_data(as_text=True))) == {board["vacant"], other_seat}
    assert _seat_ids_on(client.get(f"/sieges-vacants?territory_id={world.commune.id}").get_data(as_text=True)) == [
        board["vacant"]]
    assert _seat_ids_on(client.get("/sieges-vacants?type=clsm").get_data(as_text=True)) == [other_seat]
    assert _seat_ids_on(client.get("/sieges-vacants?type=nope&territory_id=abc").get_data(as_text=True))
    partial = client.get("/sieges-vacants?type=clsm", headers={"HX-Request": "true"})
    assert "<html" not in partial.get_data(as_text=True) and "HX-Request" in partial.headers["Vary"]
    assert _seat_ids_on(partial.get_data(as_text=True)) == [other_seat]


def test_board_queries_stay_constant_as_seats_grow(app, client, world, board):
    def queries() -> int:
        with count_queries(app) as statements:
            assert client.get("/sieges-vacants").status_code == 200
        return len(statements)

    client.get("/sieges-vacants")
    few = queries()
    for _ in range(6):
        make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id)
    many = queries()
    assert many == few, (few, many)


def test_anonymous_is_sent_to_log_in_and_back(client, board):
    url = f"/sieges-vacants/{board['vacant']}/interet"
    response = client.get(url)
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert "interet" in response.headers["Location"]
    assert client.post(url).status_code == 302


def test_interest_notifies_the_covering_associations_once(app, board, mailbox):
    resident = make_user(app, pseudonym="Camille")
    client = client_for(app, resident)
    url = f"/sieges-vacants/{board['vacant']}/interet"
    page = client.get(url)
    assert page.status_code == 200 and 'id="interest-form"' in page.get_data(as_text=True)
    response = client.post(url, data={"message": "Disponible le mardi."})
    assert response.status_code == 303 and response.headers["Location"].endswith("/sieges-vacants")
    with app.app_context():
        interest = db.session.execute(select(SeatInterest)).scalar_one()
        assert (interest.user_id, interest.seat_id, interest.message) == (resident.id, board["vacant"],
                                                                          "Disponible le mardi.")
        told = db.session.execute(select(Notification.user_id, Notification.kind, Notification.detail)).all()
    assert [(u, k) for u, k, _ in told] == [(board["contact"].id, "seat_interest")]
    assert json.loads(told[0][2])["person"] == "Camille"
    # The contact's notification centre leads to the list of interested residents.
    centre = client_for(app, board["contact"]).get("/notifications").get_data(as_text=True)
    assert "Camille" in centre and "/association/interesses" in centre
    # Second time: a friendly message, nothing new.
    again = client.post(url, data={"message": "Encore"}, follow_redirects=True)
    assert again.status_code == 200
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(SeatInterest)).scalar_one() == 1
    assert 'data-interested="true"' in client.get("/sieges-vacants").get_data(as_text=True)
    assert 'id="already-interested"' in client.get(url).get_data(as_text=True)


def test_interest_form_errors_and_seats_not_on_the_board(app, board):
    client = client_for(app, make_user(app))
    response = client.post(f"/sieges-vacants/{board['vacant']}/interet", data={"message": "x" * 1001})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="message-error"' in html and "x" * 1001 in html  # kept, error next to the field
    assert client.get(f"/sieges-vacants/{board['held']}/interet").status_code == 404
    assert client.post(f"/sieges-vacants/{board['held']}/interet").status_code == 404
    assert client.get("/sieges-vacants/999999/interet").status_code == 404


def test_representativeness_page_and_csv(app, client, board):
    page = client.get("/representativite")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="seats-type-table"' in html and "<caption" in html
    assert 'data-key="cts" data-filled="1" data-vacant="1"' in html
    assert 'id="representatives-count" data-count="suppressed"' in html  # 1 person: fewer than 10
    response = client.get("/representativite.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert any(r[1].startswith("Conseil territorial") and r[2:4] == ["1", "1"] for r in rows)
    people = [r for r in rows[1:] if r[4]]
    assert people and all(not r[4].isdigit() for r in people)  # every people figure suppressed
    assert client.get("/representativite", headers={"HX-Request": "true"}).get_data(as_text=True).find("<html") == -1


def test_profile_employment_status_saved_and_exported(app):
    user = make_user(app, email="emploi@example.org")
    client = client_for(app, user)
    form = {"pseudonym": user.pseudonym, "home_territory_id": "", "age_band": "", "sex": "",
            "employment_status": "retraite", "language": "fr", "email_notifications": "aucun"}
    assert client.post("/compte", data=form).status_code == 303
    with app.app_context():
        assert db.session.get(User, user.id).employment_status == "retraite"
    assert 'selected value="retraite"' in client.get("/compte").get_data(as_text=True)
    assert client.post("/compte", data={**form, "employment_status": "pirate"}).status_code == 422
    export = json.loads(client.post("/compte/mes-donnees").get_data(as_text=True))
    assert export["representativeness_profile"] == {"employment_status": "retraite"}


def test_contacts_who_chose_immediate_emails_hear_of_the_interest_at_once(app, board, mailbox):
    with app.app_context():
        db.session.get(User, board["contact"].id).email_notifications = "immediat"
        db.session.commit()
    client = client_for(app, make_user(app, pseudonym="Dominique"))
    assert client.post(f"/sieges-vacants/{board['vacant']}/interet", data={"message": ""}).status_code == 303
    message = mailbox.wait_for(board["contact"].email)
    body = message.get_body(("plain",)).get_content()
    assert "Dominique" in body and "/association/interesses" in body


def test_deleting_the_account_erases_employment_status_and_interests(app, board):
    from tests.support.factories import PASSWORD

    user = make_user(app)
    client = client_for(app, user)
    with app.app_context():
        db.session.get(User, user.id).employment_status = "etudiant"
        db.session.commit()
    assert client.post(f"/sieges-vacants/{board['vacant']}/interet", data={"message": "Oui"}).status_code == 303
    assert client.post("/compte/supprimer", data={"password": PASSWORD, "confirm": "y"}).status_code == 303
    with app.app_context():
        assert db.session.get(User, user.id).employment_status is None
        assert db.session.execute(select(func.count()).select_from(SeatInterest)).scalar_one() == 0


def test_interest_posts_are_rate_limited(_migrated, mailbox_server):
    from tests.conftest import app_on_empty_database
    from tests.support.factories import make_world

    with app_on_empty_database(_migrated, mailbox_server.port, RATELIMIT_ENABLED=True,
                               RATELIMIT_SEAT_INTEREST="2 per minute") as limited:
        world = make_world(limited)
        instance = make_instance(limited, territory_id=world.commune.id, seats=("ru_titulaire",) * 3)
        client = client_for(limited, make_user(limited))
        statuses = [client.post(f"/sieges-vacants/{seat}/interet").status_code for seat in seat_ids(limited, instance.id)]
        assert statuses == [303, 303, 429]
        assert client.get(f"/sieges-vacants/{seat_ids(limited, instance.id)[2]}/interet").status_code == 200
