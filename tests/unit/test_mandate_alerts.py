"""The mandates' alerts sent by ``flask remind``: each ending step once and never an earlier one
after a later one, the missing basic training, the seat without holder, who is told (in-app and
by e-mail), and idempotence (twice the same day sends once)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from civicsante.extensions import db
from civicsante.mandates.alerts import ending_step, send_alerts
from civicsante.mandates.models import AlertSent, Mandate
from civicsante.needs.models import Notification
from civicsante.notifications.services import message_for
from tests.support.factories import make_association, make_territory, make_user
from tests.support.mandates import make_association_contact, make_instance, make_mandate, make_training, seat_ids

TODAY = date(2026, 3, 15)


def remind(app, day: date):
    result = app.test_cli_runner().invoke(args=["remind", "--date", day.isoformat()])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def alerts_of(app, user_id: int, kind: str | None = None) -> list[str]:
    with app.app_context():
        query = select(AlertSent.subject).where(AlertSent.recipient_id == user_id).order_by(AlertSent.id)
        if kind:
            query = query.where(AlertSent.kind == kind)
        return list(db.session.execute(query).scalars())


def notifications_of(app, user_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(select(Notification).where(Notification.user_id == user_id)
                                  .order_by(Notification.id)).scalars().all()
        return [(n.kind, message_for(n, "en")) for n in rows]


@pytest.fixture
def setting(app, world):
    """A CDU in Belrive with every seat held until far away, its association and its contact."""
    association = make_association(app, name="Usagers de Belrive", territory_id=world.region.id)
    contact = make_user(app, pseudonym="Contact", email="contact@example.org")
    make_association_contact(app, association_id=association.id, user_id=contact.id)
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=world.hospital.id, name="CDU Belrive")
    seats = seat_ids(app, instance.id)
    for seat_id in seats[1:]:
        make_mandate(app, seat_id=seat_id, user_id=make_user(app).id, association_id=association.id,
                     starts_on=date(2025, 1, 1), ends_on=date(2029, 1, 1), designation_date=date(2015, 1, 1))
    return {"association": association, "contact": contact, "instance": instance, "seat": seats[0]}


def _trained(app, user_id):
    make_training(app, user_id=user_id, starts_on=date(2015, 3, 1), completed_on=date(2015, 3, 2))


def test_ending_step_is_the_latest_crossed():
    assert [ending_step(d) for d in (121, 120, 61, 60, 45, 30, 1, 0)] == [None, 120, 120, 60, 60, 30, 30, 30]


def test_each_step_once_in_order_and_to_holder_and_contact(app, setting, mailbox):
    holder = make_user(app, pseudonym="Alice", email="alice@example.org")
    mandate = make_mandate(app, seat_id=setting["seat"], user_id=holder.id, association_id=setting["association"].id,
                           starts_on=date(2023, 7, 13), ends_on=TODAY + timedelta(days=120),
                           designation_date=date(2015, 1, 1))
    _trained(app, holder.id)
    contact = setting["contact"]
    output = remind(app, TODAY)
    assert "2 (2 fin de mandat, 0 formation de base manquante, 0 siège" in output
    assert alerts_of(app, holder.id) == [f"mandate:{mandate.id}:120"]
    assert alerts_of(app, contact.id) == [f"mandate:{mandate.id}:120"]
    assert {str(m["To"]) for m in mailbox.messages} == {"alice@example.org", "contact@example.org"}
    (kind, mine), = notifications_of(app, holder.id)
    assert kind == "mandate_ending" and "Your mandate" in mine and "in 120 days" in mine
    assert "Alice" in notifications_of(app, contact.id)[0][1]

    assert "Alertes envoyées le 2026-03-16 : 0" in remind(app, TODAY + timedelta(days=1))
    remind(app, TODAY + timedelta(days=61))   # 59 days left: the 60-day step
    remind(app, TODAY + timedelta(days=62))
    remind(app, TODAY + timedelta(days=100))  # 20 days left: the 30-day step (30 was missed)
    assert alerts_of(app, holder.id) == [f"mandate:{mandate.id}:{s}" for s in (120, 60, 30)]
    assert len(mailbox.messages) == 6


def test_a_missed_step_sends_only_the_latest_never_an_earlier_one(app, setting):
    holder = make_user(app)
    _trained(app, holder.id)
    mandate = make_mandate(app, seat_id=setting["seat"], user_id=holder.id, starts_on=date(2023, 7, 13),
                           ends_on=TODAY + timedelta(days=45), designation_date=date(2015, 1, 1))
    remind(app, TODAY)
    assert alerts_of(app, holder.id) == [f"mandate:{mandate.id}:60"]
    # The end date moved back (a correction): the 120-day step is not sent after the 60-day one.
    with app.app_context():
        db.session.get(Mandate, mandate.id).ends_on = TODAY + timedelta(days=110)
        db.session.commit()
    remind(app, TODAY + timedelta(days=1))
    assert alerts_of(app, holder.id) == [f"mandate:{mandate.id}:60"]


def test_remind_twice_sends_once(app, setting, mailbox):
    holder = make_user(app, email="bob@example.org")
    make_mandate(app, seat_id=setting["seat"], user_id=holder.id, association_id=setting["association"].id,
                 starts_on=date(2025, 9, 1), ends_on=TODAY + timedelta(days=30))
    first = remind(app, TODAY)
    sent = len(mailbox.messages)
    second = remind(app, TODAY)
    assert "Alertes envoyées le 2026-03-15 : 4" in first  # ending + training, each to holder and contact
    assert "Alertes envoyées le 2026-03-15 : 0" in second
    assert sent == 4 and len(mailbox.messages) == 4
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(AlertSent)).scalar_one() == 4
        assert db.session.execute(select(func.count()).select_from(Notification)).scalar_one() == 4
        assert db.session.execute(select(func.count()).select_from(AlertSent)
                                  .where(AlertSent.emailed.is_(True))).scalar_one() == 4


def test_training_missing_six_months_after_the_first_designation(app, setting):
    late = make_user(app, pseudonym="Sans formation")
    recent = make_user(app)
    trained = make_user(app)
    before_2016 = make_user(app)
    instance = make_instance(app, territory_id=setting["instance"].territory_id)
    seats = seat_ids(app, instance.id)
    association_id = setting["association"].id
    # Designated on 1 September 2025: 6 months are over on 1 March 2026.
    make_mandate(app, seat_id=seats[0], user_id=late.id, association_id=association_id,
                 starts_on=date(2025, 9, 1), ends_on=date(2028, 8, 31))
    make_mandate(app, seat_id=seats[1], user_id=recent.id, starts_on=date(2025, 9, 16), ends_on=date(2028, 9, 15))
    make_mandate(app, seat_id=seats[2], user_id=trained.id, starts_on=date(2025, 1, 1), ends_on=date(2027, 12, 31))
    make_training(app, user_id=trained.id, starts_on=date(2025, 2, 1), completed_on=date(2025, 2, 2))
    make_mandate(app, seat_id=seats[3], user_id=before_2016.id, starts_on=date(2016, 6, 30), ends_on=date(2027, 6, 29))
    remind(app, TODAY)
    assert alerts_of(app, late.id) == [f"training:{late.id}"]
    assert alerts_of(app, setting["contact"].id, "formation_manquante") == [f"training:{late.id}"]
    assert alerts_of(app, recent.id) == alerts_of(app, trained.id) == alerts_of(app, before_2016.id) == []
    assert "Sans formation" in notifications_of(app, setting["contact"].id)[0][1]
    remind(app, TODAY + timedelta(days=40))
    assert alerts_of(app, late.id) == [f"training:{late.id}"]  # once per person
    assert alerts_of(app, recent.id) == [f"training:{recent.id}"]


def test_seat_without_holder_goes_to_the_contacts_covering_the_territory(app, world, setting):
    elsewhere = make_association(app, territory_id=make_territory(app, kind="region", code="R77").id)
    far_contact = make_user(app)
    make_association_contact(app, association_id=elsewhere.id, user_id=far_contact.id)
    expired = make_association(app, territory_id=world.region.id, expires=date(2025, 12, 31))
    expired_contact = make_user(app)
    make_association_contact(app, association_id=expired.id, user_id=expired_contact.id)
    national = make_association(app, territory_id=None)
    national_contact = make_user(app)
    make_association_contact(app, association_id=national.id, user_id=national_contact.id)
    contact, seat = setting["contact"], setting["seat"]

    output = remind(app, TODAY)
    assert "2 siège sans titulaire ni suppléant" in output
    with app.app_context():
        from civicsante.mandates.models import Instance
        created = db.session.get(Instance, setting["instance"].id).created_at.date()
    assert alerts_of(app, contact.id) == alerts_of(app, national_contact.id) == [f"seat:{seat}:{created.isoformat()}"]
    assert alerts_of(app, far_contact.id) == alerts_of(app, expired_contact.id) == []
    assert notifications_of(app, contact.id)[0][0] == "seat_vacant"
    remind(app, TODAY + timedelta(days=1))
    assert len(alerts_of(app, contact.id)) == 1  # once per seat and vacancy

    # Filled, then vacant again after a resignation: a new vacancy, told again.
    holder = make_user(app)
    _trained(app, holder.id)
    make_mandate(app, seat_id=seat, user_id=holder.id, starts_on=TODAY + timedelta(days=2),
                 ends_on=TODAY + timedelta(days=9), status="actif")
    remind(app, TODAY + timedelta(days=5))
    assert len(alerts_of(app, contact.id, "siege_vacant")) == 1
    remind(app, TODAY + timedelta(days=11))
    assert alerts_of(app, contact.id, "siege_vacant")[-1] == f"seat:{seat}:{(TODAY + timedelta(days=10)).isoformat()}"


def test_concurrent_claims_cannot_both_send(app, setting):
    holder = make_user(app)
    _trained(app, holder.id)
    make_mandate(app, seat_id=setting["seat"], user_id=holder.id, starts_on=date(2023, 7, 13),
                 ends_on=TODAY + timedelta(days=30), designation_date=date(2015, 1, 1))
    with app.app_context():
        from civicsante.mandates import alerts
        pending = alerts.mandate_ending_alerts(TODAY)  # computed before the other run claims them
        first = send_alerts(TODAY)
        assert first["mandat_echeance"] == 1
        assert alerts._claim(pending) == []
