"""The representative's desk through the web: pages, forms (errors next to the field, what was
typed kept), a representative never reaching another's data, and a constant number of queries."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from civicsante.extensions import db
from civicsante.mandates.desk import paris_today
from civicsante.mandates.models import CalendarFeed, HoursEntry, LeaveRequest, Training
from tests.conftest import client_for
from tests.support.factories import make_user
from tests.support.mandates import make_instance, make_mandate, make_meeting, make_training, seat_ids
from tests.support.queries import count_queries


@pytest.fixture
def rep(app, world):
    """A representative with a CDU mandate ending in 45 days, a past and a coming meeting."""
    user = make_user(app, pseudonym="Odile Martin")
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id,
                             name="CDU du CH de Belrive")
    today = paris_today()
    mandate = make_mandate(app, seat_id=seat_ids(app, instance.id)[0], user_id=user.id,
                           starts_on=today - timedelta(days=1000), ends_on=today + timedelta(days=45))
    now = datetime.now(UTC).replace(microsecond=0)
    past = make_meeting(app, instance_id=instance.id, starts_at=now - timedelta(days=3), title="Séance de printemps")
    coming = make_meeting(app, instance_id=instance.id, starts_at=now + timedelta(days=12), title="Séance d'été")
    return user, instance, mandate, past, coming


def test_desk_shows_mandate_days_remaining_ends_soon_meetings_training_leave_and_feed(app, rep):
    user, instance, mandate, past, coming = rep
    client = client_for(app, user)
    response = client.get("/mon-bureau")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'id="mandate-{mandate.id}"' in html
    assert 'data-days-remaining="45"' in html and 'data-ends-soon="yes"' in html
    assert "CDU du CH de Belrive" in html
    assert f'id="next-meeting-{coming.id}"' in html and f'id="next-meeting-{past.id}"' not in html
    assert 'data-status="en_retard"' in html  # designated 1000 days ago, no basic training
    assert 'data-allowed="18" data-used="0" data-remaining="18"' in html
    with app.app_context():
        token = db.session.get(CalendarFeed, user.id).token
    assert f"/calendrier/{token}.ics" in html
    assert response.headers["Vary"].count("HX-Request")


def test_calendar_feed_by_token_and_regenerate(app, rep):
    user, _instance, _mandate, past, coming = rep
    client = client_for(app, user)
    client.get("/mon-bureau")
    with app.app_context():
        token = db.session.get(CalendarFeed, user.id).token
    anonymous = app.test_client()
    feed = anonymous.get(f"/calendrier/{token}.ics")
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert f"meeting-{coming.id}@".encode() in feed.data and f"meeting-{past.id}@".encode() in feed.data
    assert anonymous.get("/calendrier/not-a-token.ics").status_code == 404
    page = client.get("/mon-bureau").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/mon-bureau/calendrier/nouvelle-adresse", data={"csrf_token": csrf}).status_code == 303
    assert anonymous.get(f"/calendrier/{token}.ics").status_code == 404
    with app.app_context():
        assert db.session.get(CalendarFeed, user.id).token != token


def _csrf(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_log_hours_for_a_meeting_then_errors_next_to_fields_keep_what_was_typed(app, rep):
    user, _instance, mandate, past, _coming = rep
    client = client_for(app, user)
    path = f"/mon-bureau/mandats/{mandate.id}/heures"
    page = client.get(path)
    assert page.status_code == 200 and f'value="{past.id}"' in page.get_data(as_text=True)
    worked_on = past.starts_at.date().isoformat()
    done = client.post(path, data={"csrf_token": _csrf(client, path), "worked_on": worked_on, "minutes": "150",
                                   "meeting_id": str(past.id), "description": "Séance et préparation"})
    assert done.status_code == 303
    html = client.get(path).get_data(as_text=True)
    assert 'data-minutes="150"' in html and f"/reunions/{past.id}/attestation" in html
    future = (paris_today() + timedelta(days=2)).isoformat()
    refused = client.post(path, data={"csrf_token": _csrf(client, path), "worked_on": future, "minutes": "2000",
                                      "description": "Texte gardé"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="minutes-error"' in html and 'value="2000"' in html and 'value="Texte gardé"' in html
    refused = client.post(path, data={"csrf_token": _csrf(client, path), "worked_on": future, "minutes": "30"})
    assert refused.status_code == 422
    assert 'id="worked_on-error"' in refused.get_data(as_text=True)
    assert f'value="{future}"' in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(HoursEntry).count() == 1


def test_leave_request_with_late_warning_and_refusal_beyond_balance(app, rep):
    user, _instance, mandate, _past, _coming = rep
    client = client_for(app, user)
    soon = paris_today() + timedelta(days=5)
    data = {"mandate_id": str(mandate.id), "absence_on": soon.isoformat(), "half_days": "2",
            "requested_on": paris_today().isoformat(), "note": "Réunion CDU"}
    done = client.post("/mon-bureau/conges", data={"csrf_token": _csrf(client, "/mon-bureau/conges"), **data})
    assert done.status_code == 303
    page = client.get("/mon-bureau/conges").get_data(as_text=True)
    assert "flash--warning" in page  # the warning: fewer than 15 days before the absence
    assert 'class="tag tag--warning late-request"' in page
    used = 2 if soon.year == paris_today().year else 0  # counted in the year of the absence
    assert f'data-year="{paris_today().year}" data-allowed="18" data-used="{used}"' in page
    refused = client.post("/mon-bureau/conges", data={"csrf_token": _csrf(client, "/mon-bureau/conges"),
                                                      **data, "half_days": "17"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="half_days-error"' in html and 'value="17"' in html and 'value="Réunion CDU"' in html
    with app.app_context():
        assert db.session.query(LeaveRequest).count() == 1


def test_trainings_page_records_a_training_and_the_indemnity_once(app, rep):
    user, _instance, _mandate, _past, _coming = rep
    client = client_for(app, user)
    path = "/mon-bureau/formations"
    refused = client.post(path, data={"csrf_token": _csrf(client, path), "kind": "formation_de_base", "title": "",
                                      "organiser": "URAASS", "starts_on": "2025-03-03", "half_days": "4"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="title-error"' in html and 'value="URAASS"' in html
    done = client.post(path, data={"csrf_token": _csrf(client, path), "kind": "formation_de_base",
                                   "title": "Formation de base", "organiser": "URAASS", "starts_on": "2025-03-03",
                                   "half_days": "4", "completed_on": "2025-03-04"})
    assert done.status_code == 303
    page = client.get(path).get_data(as_text=True)
    assert 'data-status="faite"' in page and 'id="indemnity-form"' in page
    paid = client.post("/mon-bureau/formations/indemnite", data={"csrf_token": _csrf(client, path),
                                                                 "paid_on": "2025-04-01"})
    assert paid.status_code == 303
    assert 'id="indemnity-paid"' in client.get(path).get_data(as_text=True)
    again = client.post("/mon-bureau/formations/indemnite", data={"csrf_token": _csrf(client, path),
                                                                  "paid_on": "2025-05-01"})
    assert again.status_code == 422
    with app.app_context():
        assert db.session.execute(select(Training.indemnity_paid_on)).scalar_one() == date(2025, 4, 1)


def test_a_representative_never_reaches_anothers_desk_data(app, world, rep):
    owner, instance, mandate, past, _coming = rep
    other = make_user(app)
    elsewhere = make_instance(app, territory_id=world.commune.id)
    make_mandate(app, seat_id=seat_ids(app, elsewhere.id)[0], user_id=other.id)
    with app.app_context():
        db.session.add(LeaveRequest(user_id=owner.id, mandate_id=mandate.id, requested_on=paris_today(),
                                    absence_on=paris_today() + timedelta(days=30), half_days=3, note="secret-note"))
        db.session.commit()
    make_training(app, user_id=owner.id, title="Formation-privée")
    owner_client = client_for(app, owner)
    owner_client.get("/mon-bureau")
    with app.app_context():
        token = db.session.get(CalendarFeed, owner.id).token
    client = client_for(app, other)
    desk = client.get("/mon-bureau").get_data(as_text=True)
    assert "CDU du CH de Belrive" not in desk and token not in desk
    assert client.get(f"/mon-bureau/mandats/{mandate.id}/heures").status_code == 403
    assert client.post(f"/mon-bureau/mandats/{mandate.id}/heures", data={}).status_code == 403
    assert "secret-note" not in client.get("/mon-bureau/conges").get_data(as_text=True)
    assert "Formation-privée" not in client.get("/mon-bureau/formations").get_data(as_text=True)
    assert client.get(f"/reunions/{past.id}").status_code == 403
    assert client.get(f"/reunions/{past.id}.ics").status_code == 403
    assert client.get(f"/reunions/{past.id}/attestation").status_code == 403
    assert client.get(f"/mon-bureau/mandats/{mandate.id + 999}/heures").status_code == 404


def _add(app, world, user, n: int):
    """``n`` more mandates for ``user``, each in its own instance with two coming meetings and hours."""
    from civicsante.accounts.models import User
    from civicsante.mandates import desk
    from civicsante.mandates.models import Mandate

    for _ in range(n):
        instance = make_instance(app, territory_id=world.commune.id)
        mandate = make_mandate(app, seat_id=seat_ids(app, instance.id)[0], user_id=user.id)
        for days in (5, 40):
            make_meeting(app, instance_id=instance.id,
                         starts_at=datetime.now(UTC).replace(microsecond=0) + timedelta(days=days))
        with app.app_context():
            desk.log_hours(db.session.get(Mandate, mandate.id), worked_on=paris_today(), minutes=60,
                           by=db.session.get(User, user.id))
            db.session.commit()


def test_desk_runs_the_same_number_of_queries_as_mandates_and_meetings_grow(app, world, rep, record_property):
    user = rep[0]
    client = client_for(app, user)
    client.get("/mon-bureau")  # the calendar address is created at the first visit

    def measure():
        with count_queries(app) as statements:
            assert client.get("/mon-bureau").status_code == 200
        return len(statements)

    _add(app, world, user, 1)
    few = measure()
    _add(app, world, user, 6)
    many = measure()
    record_property("desk_queries", many)
    assert many == few, (few, many)
