"""Notifications: wording per kind, the centre's counters, e-mails sent once (immediately or in a
weekly digest, only to people who chose it), the unsubscribe token, GDPR export and erasure."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from civicsante.accounts import services as accounts
from civicsante.accounts.models import User
from civicsante.errors import DomainError, NotAllowed
from civicsante.extensions import db
from civicsante.needs.models import Notification
from civicsante.notifications import services
from civicsante.types import utcnow
from tests.support.factories import PASSWORD, make_need, make_user
from tests.support.mailbox import Mailbox


def _prefer(app, user, mode: str) -> None:
    with app.app_context():
        db.session.get(User, user.id).email_notifications = mode
        db.session.commit()


def _notify(app, user, need, *, kind="status", created_at=None, **detail) -> int:
    """A notification row as needs.services.notify_followers writes it."""
    detail = detail or {"status": "en_examen", "reason": None}
    with app.app_context():
        notification = Notification(user_id=user.id, need_id=need.id, kind=kind,
                                    detail=json.dumps({"title": need.title, **detail}),
                                    created_at=created_at or utcnow())
        db.session.add(notification)
        db.session.commit()
        return notification.id


def _emailed(app) -> set[int]:
    with app.app_context():
        return set(db.session.execute(
            select(Notification.id).where(Notification.emailed_at.is_not(None))).scalars())


@pytest.fixture
def need(app, world):
    return make_need(app, territory_id=world.commune.id, title="Plus de médecin traitant à Belrive")


# Wording ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,detail,expected", [
    ("status", {"title": "Bus vers le CMP", "status": "retenu", "reason": "Inscrit au contrat local de santé"},
     ("The need “Bus vers le CMP” that you follow is now: Accepted. "
      "Explanation: Inscrit au contrat local de santé")),
    ("status", {"title": "Bus vers le CMP", "status": "en_examen", "reason": None},
     "The need “Bus vers le CMP” that you follow is now: Under review."),
    ("merged", {"title": "Bus CMP", "target_id": 7, "target_title": "Bus vers le CMP"},
     "The need “Bus CMP” has been merged with “Bus vers le CMP”: your supports have been carried over to it."),
    ("something_new", {"title": "Bus vers le CMP"}, "There is news about the need “Bus vers le CMP”."),
])
def test_each_kind_reads_as_a_plain_sentence(app, kind, detail, expected):
    with app.app_context():
        assert services.message_for(Notification(kind=kind, detail=json.dumps(detail)), "en") == expected


def test_a_title_with_percent_signs_is_shown_as_typed(app):
    detail = json.dumps({"title": "100 % des habitants sans %(x)s", "status": "retenu", "reason": None})
    with app.app_context():
        assert "“100 % des habitants sans %(x)s”" in services.message_for(
            Notification(kind="status", detail=detail), "en")


# The centre ------------------------------------------------------------------------------------

def test_unread_count_and_marking_as_read_concern_only_ones_own(app, need):
    mine, other = make_user(app), make_user(app)
    first, _second = _notify(app, mine, need), _notify(app, mine, need)
    theirs = _notify(app, other, need)
    with app.app_context():
        me, them = db.session.get(User, mine.id), db.session.get(User, other.id)
        assert services.unread_count(me) == 2
        with pytest.raises(NotAllowed):
            services.mark_read(db.session.get(Notification, theirs), me)
        services.mark_read(db.session.get(Notification, first), me)
        db.session.commit()
        assert services.unread_count(me) == 1
        assert services.mark_all_read(me) == 1
        db.session.commit()
        assert services.unread_count(me) == 0
        assert services.unread_count(them) == 1


# E-mails ---------------------------------------------------------------------------------------

def test_immediate_emails_go_only_to_people_who_chose_them_and_only_once(app, need, mailbox):
    eager, weekly, quiet = make_user(app), make_user(app), make_user(app)
    _prefer(app, eager, "immediat")
    _prefer(app, weekly, "hebdomadaire")
    ids = {_notify(app, eager, need), _notify(app, eager, need, kind="merged", target_id=need.id,
                                             target_title="Médecins à Belrive")}
    _notify(app, weekly, need)
    _notify(app, quiet, need)
    with app.app_context():
        assert services.send_pending_immediate() == 1
    assert [str(m["To"]) for m in mailbox.messages] == [eager.email]  # both in one e-mail
    body = Mailbox.body(mailbox.messages[0])
    assert "Plus de médecin traitant à Belrive" in body and "Médecins à Belrive" in body
    assert f"/besoins/{need.id}" in body
    assert _emailed(app) == ids

    with app.app_context():
        assert services.send_pending_immediate() == 0  # idempotent: nothing twice
    assert len(mailbox.messages) == 1


def test_weekly_digest_groups_a_persons_notifications_once(app, need, mailbox):
    weekly, eager = make_user(app, language="en"), make_user(app)
    _prefer(app, weekly, "hebdomadaire")
    _prefer(app, eager, "immediat")
    for status in ("en_examen", "retenu"):
        _notify(app, weekly, need, status=status, reason=None)
    _notify(app, eager, need)
    with app.app_context():
        assert services.send_weekly_digest(utcnow()) == 1
        assert services.send_weekly_digest(utcnow() + timedelta(days=7)) == 0
    [digest] = mailbox.messages
    assert str(digest["To"]) == weekly.email
    assert "weekly digest (2 updates)" in str(digest["Subject"])
    body = Mailbox.body(digest)
    assert body.startswith("Hello ") and "Under review" in body and "Accepted" in body


def test_emails_are_written_in_each_persons_language(app, need, mailbox):
    french, english = make_user(app, language="fr"), make_user(app, language="en")
    for person in (french, english):
        _prefer(app, person, "immediat")
        _notify(app, person, need)
    with app.app_context():
        services.send_pending_immediate()
    assert Mailbox.body(mailbox.wait_for(french.email)).startswith("Bonjour ")
    assert Mailbox.body(mailbox.wait_for(english.email)).startswith("Hello ")


def test_every_email_carries_the_one_click_unsubscribe_link_and_headers(app, need, mailbox):
    person = make_user(app)
    _prefer(app, person, "immediat")
    _notify(app, person, need)
    app.config["PUBLIC_URL"] = "https://civicsante.example.fr"
    with app.app_context():
        services.send_pending_immediate()
        link = "https://civicsante.example.fr/desabonnement/" + services.unsubscribe_token(person.id)
    message = mailbox.wait_for(person.email)
    assert link in Mailbox.body(message)
    assert f"https://civicsante.example.fr/besoins/{need.id}" in Mailbox.body(message)
    assert message["List-Unsubscribe"].strip() == f"<{link}>"  # may be folded after the colon
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_deleted_accounts_and_old_notifications_are_not_emailed(app, need, mailbox):
    gone, late = make_user(app), make_user(app)
    for person in (gone, late):
        _prefer(app, person, "immediat")
    _notify(app, gone, need)
    _notify(app, late, need, created_at=utcnow() - services.EMAIL_LOOKBACK - timedelta(hours=1))
    with app.app_context():
        # Deleted without its notifications erased (they would be by delete_account): still skipped.
        db.session.get(User, gone.id).deleted_at = utcnow()
        db.session.commit()
        assert services.send_pending_immediate() == 0
    assert mailbox.messages == []
    assert _emailed(app) == set()


def test_unreachable_mail_server_leaves_notifications_for_the_next_run(app, need, mailbox):
    person = make_user(app)
    _prefer(app, person, "immediat")
    _notify(app, person, need)
    port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = 1  # nothing listens there
    with app.app_context():
        services.deliver_immediate()  # never raises: the action that caused it is done
    assert _emailed(app) == set()
    app.config["MAIL_PORT"] = port
    with app.app_context():
        assert services.send_pending_immediate() == 1
    mailbox.wait_for(person.email)


def test_notify_command_sends_immediate_and_with_digest_the_weekly_ones(app, need, mailbox):
    eager, weekly = make_user(app), make_user(app)
    _prefer(app, eager, "immediat")
    _prefer(app, weekly, "hebdomadaire")
    _notify(app, eager, need)
    _notify(app, weekly, need)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notify"])
    assert result.exit_code == 0 and "1 immédiat" in result.output
    result = runner.invoke(args=["notify", "--digest"])
    assert result.exit_code == 0 and "0 immédiat" in result.output and "1 récapitulatif" in result.output
    again = runner.invoke(args=["notify", "--digest"]).output
    assert "0 immédiat" in again and "0 récapitulatif" in again
    assert sorted(str(m["To"]) for m in mailbox.messages) == sorted([eager.email, weekly.email])


# Unsubscribe -----------------------------------------------------------------------------------

def test_unsubscribe_token_names_its_person_and_cannot_be_forged(app):
    person = make_user(app)
    _prefer(app, person, "hebdomadaire")
    with app.app_context():
        token = services.unsubscribe_token(person.id)
        user = services.user_for_unsubscribe_token(token)
        assert user.id == person.id
        services.unsubscribe(user)
        db.session.commit()
        assert db.session.get(User, person.id).email_notifications == "aucun"
        reset = accounts.password_reset_token(user, app.config["SECRET_KEY"])
        for bad in (token[:-2] + "xx", "not-a-token", reset):  # another salt is another proof
            with pytest.raises(DomainError):
                services.user_for_unsubscribe_token(bad)


def test_unsubscribe_token_of_a_deleted_account_is_refused(app):
    person = make_user(app)
    with app.app_context():
        token = services.unsubscribe_token(person.id)
        accounts.delete_account(db.session.get(User, person.id), PASSWORD)
        db.session.commit()
        with pytest.raises(DomainError):
            services.user_for_unsubscribe_token(token)


# GDPR ------------------------------------------------------------------------------------------

def test_notifications_are_exported_and_erased_with_the_account(app, need):
    person = make_user(app)
    _notify(app, person, need, status="retenu", reason="Au programme")
    with app.app_context():
        user = db.session.get(User, person.id)
        exported = json.loads(accounts.export_personal_data(user))["notifications"]
        assert exported["email_notifications"] == "aucun"
        assert exported["items"][0]["need_id"] == need.id and "Au programme" in exported["items"][0]["message"]
        accounts.delete_account(user, PASSWORD)
        db.session.commit()
        assert db.session.execute(select(func.count()).select_from(Notification)).scalar_one() == 0
