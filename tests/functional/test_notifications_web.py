"""The notification centre, the unread count in the menu, the e-mail preference in the profile,
e-mails after a status change, and the one-click unsubscribe page."""
from __future__ import annotations

import json
import re

from sqlalchemy import select

from civicsante.accounts.models import User
from civicsante.extensions import db
from civicsante.needs import services as needs
from civicsante.needs.models import Need, Notification
from civicsante.notifications import services
from civicsante.types import utcnow
from tests.conftest import log_in
from tests.support.factories import make_need, make_user
from tests.support.html import without_csrf
from tests.support.mailbox import Mailbox
from tests.support.queries import count_queries


def _prefer(app, user, mode: str) -> None:
    with app.app_context():
        db.session.get(User, user.id).email_notifications = mode
        db.session.commit()


def _notify(app, user, need, status="en_examen") -> None:
    with app.app_context():
        db.session.add(Notification(user_id=user.id, need_id=need.id, kind="status", created_at=utcnow(),
                                    detail=json.dumps({"title": need.title, "status": status, "reason": None})))
        db.session.commit()


def _unread_badge(html: str) -> str | None:
    found = re.search(r'<span class="badge" aria-hidden="true">(\d+)</span>', html)
    return found.group(1) if found else None


def test_the_centre_lists_ones_own_notifications_only(app, client, world):
    mine = make_need(app, territory_id=world.commune.id, title="Bus vers le CMP de Belrive")
    theirs = make_need(app, territory_id=world.commune.id, title="Maison de santé à Montclair")
    me, other = make_user(app, language="en"), make_user(app)
    _notify(app, me, mine, status="retenu")
    _notify(app, other, theirs)
    log_in(client, me.email)
    page = client.get("/notifications").get_data(as_text=True)
    assert "The need “Bus vers le CMP de Belrive” that you follow is now: Accepted." in page
    assert f'href="/besoins/{mine.id}"' in page
    assert "Montclair" not in page
    assert 'class="tag">Unread</strong>' in page


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_unread_count_in_the_menu_falls_to_zero_after_mark_all_read(app, client, world):
    need = make_need(app, territory_id=world.commune.id)
    me, other = make_user(app, language="en"), make_user(app)
    for person in (me, me, other):
        _notify(app, person, need)
    log_in(client, me.email)
    home = client.get("/").get_data(as_text=True)
    assert _unread_badge(home) == "2" and "(2 unread)" in home

    response = client.post("/notifications/tout-lu")
    assert response.status_code == 303
    page = client.get("/notifications").get_data(as_text=True)
    assert _unread_badge(page) is None and 'class="tag">Unread' not in page
    with app.app_context():  # someone else's stay unread
        assert services.unread_count(db.session.get(User, other.id)) == 1


def test_the_centre_answers_its_list_to_htmx_and_runs_few_queries(app, client, world):
    need = make_need(app, territory_id=world.commune.id)
    me = make_user(app)
    for _ in range(3):
        _notify(app, me, need)
    log_in(client, me.email)
    with count_queries(app) as few:
        client.get("/notifications")
    for _ in range(30):
        _notify(app, me, need)
    with count_queries(app) as many:
        full = client.get("/notifications").get_data(as_text=True)
    assert len(many) == len(few) + 1  # the same, and the total counted once the page is full
    partial = client.get("/notifications", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and without_csrf(partial).strip() in without_csrf(full)
    assert 'rel="next"' in full  # 33 notifications: more than one page


def test_profile_saves_the_email_preference(app, client):
    me = make_user(app)
    log_in(client, me.email)
    assert 'name="email_notifications"' in client.get("/compte").get_data(as_text=True)
    response = client.post("/compte", data={"pseudonym": me.pseudonym, "home_territory_id": "",
                                            "age_band": "", "sex": "", "language": "fr",
                                            "email_notifications": "hebdomadaire"})
    assert response.status_code == 303
    refused = client.post("/compte", data={"pseudonym": me.pseudonym, "home_territory_id": "",
                                           "age_band": "", "sex": "", "language": "fr",
                                           "email_notifications": "toutes-les-heures"})
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.get(User, me.id).email_notifications == "hebdomadaire"


def test_a_status_change_emails_supporters_who_chose_immediate_only(app, world, mailbox):
    facilitator = make_user(app, role="facilitator", territory_id=world.commune.id)
    eager, quiet = make_user(app, language="en"), make_user(app)
    _prefer(app, eager, "immediat")
    need = make_need(app, territory_id=world.commune.id, title="Pas de pédiatre à Belrive")
    with app.app_context():
        for person in (eager, quiet):
            needs.support(db.session.get(Need, need.id), db.session.get(User, person.id))
        needs.set_status(db.session.get(Need, need.id), "retenu", db.session.get(User, facilitator.id),
                         "Inscrit au contrat local de santé")
        db.session.commit()
        services.deliver_immediate()
    message = mailbox.wait_for(eager.email)
    body = Mailbox.body(message)
    assert "“Pas de pédiatre à Belrive” that you follow is now: Accepted" in body
    assert "Inscrit au contrat local de santé" in body and f"/besoins/{need.id}" in body
    assert "/desabonnement/" in body and message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [str(m["To"]) for m in mailbox.messages] == [eager.email]  # not the author nor "aucun"


def test_the_emailed_unsubscribe_link_works_in_one_click_without_csrf_token(app, client, world, mailbox):
    app.config["WTF_CSRF_ENABLED"] = True  # as in production
    person = make_user(app)
    _prefer(app, person, "immediat")
    _notify(app, person, make_need(app, territory_id=world.commune.id))
    with app.app_context():
        services.send_pending_immediate()
    message = mailbox.wait_for(person.email)
    url = message["List-Unsubscribe"].strip()[1:-1]
    path = url[url.index("/desabonnement/"):]
    assert path in Mailbox.body(message)

    page = client.get(path)
    assert page.status_code == 200
    assert f'<form method="post" action="{path}">' in page.get_data(as_text=True)
    # What a mail client sends for RFC 8058: a bare POST, no session, no token.
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(User, person.id).email_notifications == "aucun"
    assert "button" not in client.get(path).get_data(as_text=True).split("<main", 1)[1]
    # Other POSTs still need their token.
    assert client.post("/notifications/tout-lu").status_code == 400


def test_a_forged_unsubscribe_link_answers_400_in_french(app, client):
    person = make_user(app)
    _prefer(app, person, "immediat")
    with app.app_context():
        forged = services.unsubscribe_token(person.id)[:-3] + "abc"
    for method in ("GET", "POST"):
        response = client.open(f"/desabonnement/{forged}", method=method)
        assert response.status_code == 400
        assert "Lien non valide" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(User.email_notifications).where(User.id == person.id)).scalar_one() \
            == "immediat"


def test_changing_a_status_through_the_page_emails_at_once(app, client, world, mailbox):
    """The moderation route delivers immediate e-mails right after its commit (no cron needed)."""
    facilitator = make_user(app, role="facilitator", territory_id=world.commune.id)
    eager = make_user(app)
    _prefer(app, eager, "immediat")
    need = make_need(app, territory_id=world.commune.id, title="Pas de kiné à Belrive")
    with app.app_context():
        needs.support(db.session.get(Need, need.id), db.session.get(User, eager.id))
        db.session.commit()
    log_in(client, facilitator.email)
    response = client.post(f"/besoins/{need.id}/statut", data={"status": "en_examen", "reason": ""})
    assert response.status_code == 303
    assert "Pas de kiné à Belrive" in Mailbox.body(mailbox.wait_for(eager.email))
