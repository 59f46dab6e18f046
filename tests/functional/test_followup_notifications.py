"""The public follow-up tells people: a step posted on a priority notifies everyone who voted in
the consultation and everyone who supported a need behind the priority — nobody else —, the
notification centre shows it with a link to the priority's page, and those who chose immediate
e-mails get one with that link."""
from __future__ import annotations

import json
import re

from sqlalchemy import select

from civicsante.accounts.models import User
from civicsante.consultations.models import Consultation
from civicsante.extensions import db
from civicsante.needs import services as need_services
from civicsante.needs.models import Need, Notification
from civicsante.notifications import services as notifications
from civicsante.types import utcnow
from tests.conftest import log_in
from tests.support.consultations import cast, make_consultation, priority_ids
from tests.support.factories import make_need, make_user
from tests.support.mailbox import Mailbox


def _html(response) -> str:
    return response.get_data(as_text=True)


def _milestones_of(app, user_id) -> list[Notification]:
    with app.app_context():
        rows = db.session.execute(select(Notification).where(
            Notification.user_id == user_id, Notification.kind == "milestone")).scalars().all()
        for row in rows:
            db.session.expunge(row)
        return rows


def _setting(app, world):
    """A consultation whose first priority answers a need; a supporter of that need, a voter, a
    supporter of an unrelated need, and a resident who did nothing."""
    facilitator = make_user(app, role="facilitator", territory_id=world.commune.id,
                            home_territory_id=world.commune.id)
    need = make_need(app, territory_id=world.commune.id, title="Pas de centre de santé")
    unrelated = make_need(app, territory_id=world.commune.id, title="Pas de bus vers le CMP")
    supporter, other_supporter = make_user(app), make_user(app)
    bystander = make_user(app, home_territory_id=world.commune.id)
    with app.app_context():
        need_services.support(db.session.get(Need, need.id), db.session.get(User, supporter.id))
        need_services.support(db.session.get(Need, unrelated.id), db.session.get(User, other_supporter.id))
        db.session.commit()
    consultation = make_consultation(app, territory_id=world.commune.id, facilitator_id=facilitator.id,
                                     phase="vote", method="single", need_ids_per_priority={0: [need.id]})
    pid = priority_ids(app, consultation.id)[0]
    voter = make_user(app, home_territory_id=world.quartier.id, language="en")
    cast(app, consultation.id, priority_ids(app, consultation.id)[1], voter_id=voter.id)
    with app.app_context():  # the vote closes
        c = db.session.get(Consultation, consultation.id)
        c.vote_ends_at = c.followup_starts_at = utcnow()
        db.session.commit()
    return facilitator, pid, {"supporter": supporter, "voter": voter, "other_supporter": other_supporter,
                              "bystander": bystander, "need_author_id": need.author_id}


def _post_step(app, facilitator, pid, **data):
    client = app.test_client()
    log_in(client, facilitator.email)
    form = {"happened_on": "2027-04-01", "text": "Le local est trouvé.", "status": "engage", "progress": "25"}
    form.update(data)
    response = client.post(f"/priorites/{pid}/suivi/nouveau", data=form)
    assert response.status_code == 303, _html(response)[:2000]
    return client


def test_a_step_tells_voters_and_supporters_of_the_needs_behind_it_and_nobody_else(app, world):
    facilitator, pid, people = _setting(app, world)
    _post_step(app, facilitator, pid)
    for who in ("supporter", "voter"):
        [notification] = _milestones_of(app, people[who].id)
        detail = json.loads(notification.detail)
        assert notification.need_id is None
        assert (detail["priority_id"], detail["status"], detail["progress"]) == (int(pid), "engage", 25)
    for who in ("other_supporter", "bystander"):
        assert _milestones_of(app, people[who].id) == [], who
    assert _milestones_of(app, facilitator.id) == []


def test_the_notification_centre_shows_the_step_with_a_link_to_the_priority(app, world):
    facilitator, pid, people = _setting(app, world)
    _post_step(app, facilitator, pid, status="en_cours", progress="60")
    client = app.test_client()
    log_in(client, people["supporter"].email)
    html = _html(client.get("/notifications"))
    assert "Priorité 1" in html and "60" in html
    link = re.search(rf'href="(/priorites/{pid})"', html)
    assert link, "no link to the priority's follow-up"
    page = client.get(link.group(1))
    assert page.status_code == 200 and "Le local est trouvé." in _html(page)
    # The needs' own notifications still link to the need.
    assert re.search(r'href="/besoins/\d+"', html)


def test_the_message_names_the_priority_its_status_and_progress(app):
    detail = {"title": "Un centre de santé", "status": "en_cours", "progress": 40, "consultation_id": 1,
              "priority_id": 2}
    with app.app_context():
        text = notifications.message_for(Notification(kind="milestone", detail=json.dumps(detail)), "en")
    assert text == "The priority “Un centre de santé” that you supported or voted on is moving forward: In progress (40 %)."


def test_immediate_emails_link_to_the_priority_page(app, world, mailbox):
    facilitator, pid, people = _setting(app, world)
    with app.app_context():
        db.session.get(User, people["voter"].id).email_notifications = "immediat"
        db.session.commit()
    _post_step(app, facilitator, pid, status="realise", progress="80")
    message = mailbox.wait_for(people["voter"].email)
    body = Mailbox.body(message)
    assert "“Priorité 1” that you supported or voted on is moving forward: Done (100 %)" in body
    assert f"/priorites/{pid}" in body
