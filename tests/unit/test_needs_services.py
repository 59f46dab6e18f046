"""Needs: status transitions, supports, merge, reports (the rules of civicsante/needs/services.py)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civicsante.accounts.models import User
from civicsante.errors import DomainError, NotAllowed
from civicsante.extensions import db
from civicsante.needs import services
from civicsante.needs.models import Follower, Need, Notification, StatusChange, Support
from tests.support.factories import make_need, make_user


@pytest.fixture
def facilitator(app, world):
    return make_user(app, role="facilitator", territory_id=world.commune.id)


def _get(model, ident):
    return db.session.get(model, ident)


@pytest.mark.parametrize("path,allowed", [
    (["en_examen", "retenu", "integre", "realise"], True),
    (["non_retenu", "en_examen", "retenu"], True),
    (["realise"], False),               # nouveau → réalisé skips the review
    (["retenu", "non_retenu"], False),  # retenu must go back to review first
    (["integre"], False),
])
def test_status_transitions(app, world, facilitator, path, allowed):
    need = make_need(app, territory_id=world.quartier.id)
    with app.app_context():
        by, target = _get(User, facilitator.id), _get(Need, need.id)
        if allowed:
            for status in path:
                services.set_status(target, status, by, "raison publique")
            assert target.status == path[-1]
        else:
            with pytest.raises(DomainError):
                for status in path:
                    services.set_status(target, status, by, "raison publique")


def test_not_accepted_needs_a_public_reason(app, world, facilitator):
    need = make_need(app, territory_id=world.commune.id)
    with app.app_context():
        with pytest.raises(DomainError) as refused:
            services.set_status(_get(Need, need.id), "non_retenu", _get(User, facilitator.id), " ")
        assert refused.value.field == "reason"


def test_status_change_is_refused_outside_the_facilitated_territory(app, world):
    other = make_user(app, role="facilitator", territory_id=world.other_commune.id)
    resident = make_user(app)
    need = make_need(app, territory_id=world.quartier.id)
    with app.app_context():
        for actor in (other, resident):
            with pytest.raises(NotAllowed):
                services.set_status(_get(Need, need.id), "en_examen", _get(User, actor.id), None)


def test_status_change_writes_timeline_and_notifies_author_and_supporters(app, world, facilitator):
    need = make_need(app, territory_id=world.commune.id, supports=2)
    with app.app_context():
        services.set_status(_get(Need, need.id), "en_examen", _get(User, facilitator.id), None)
        db.session.commit()
        steps = db.session.execute(select(StatusChange.to_status).where(StatusChange.need_id == need.id)
                                   .order_by(StatusChange.id)).scalars().all()
        assert steps == ["nouveau", "en_examen"]
        notified = db.session.execute(select(func.count()).select_from(Notification)).scalar_one()
        assert notified == 3  # the author and the two supporters


def test_supporting_twice_counts_once_and_withdrawing_decrements(app, world):
    need = make_need(app, territory_id=world.commune.id)
    resident = make_user(app)
    with app.app_context():
        target, person = _get(Need, need.id), _get(User, resident.id)
        assert services.support(target, person) is True
        assert services.support(target, person) is False
        db.session.commit()
        db.session.refresh(target)
        assert target.supports_count == 1
        assert services.withdraw_support(target, person) is True
        db.session.commit()
        db.session.refresh(target)
        assert target.supports_count == 0


def test_merge_moves_supports_without_counting_a_person_twice(app, world, facilitator):
    kept = make_need(app, territory_id=world.commune.id, title="Pas de médecin généraliste")
    duplicate = make_need(app, territory_id=world.quartier.id, title="Plus de médecin traitant")
    both, only_dup, only_kept = make_user(app), make_user(app), make_user(app)
    with app.app_context():
        k, d = _get(Need, kept.id), _get(Need, duplicate.id)
        for person in (both, only_kept):
            services.support(k, _get(User, person.id))
        for person in (both, only_dup):
            services.support(d, _get(User, person.id))
        db.session.commit()
        services.merge_needs(d, k, _get(User, facilitator.id), "Même besoin")
        db.session.commit()
        db.session.refresh(k)
        db.session.refresh(d)
        assert k.supports_count == 3  # both, only_kept, only_dup — not 4
        supporters = set(db.session.execute(select(Support.user_id).where(Support.need_id == k.id)).scalars())
        assert supporters == {both.id, only_dup.id, only_kept.id}
        assert d.status == "fusionne" and d.merged_into_id == k.id and d.supports_count == 0
        followers = set(db.session.execute(select(Follower.user_id).where(Follower.need_id == k.id)).scalars())
        assert {only_dup.id, duplicate.author_id} <= followers
        told = set(db.session.execute(select(Notification.user_id).where(Notification.kind == "merged")).scalars())
        assert told == {duplicate.author_id, both.id, only_dup.id}


def test_reports_hide_automatically_after_the_threshold(app, world):
    need = make_need(app, territory_id=world.commune.id)
    reporters = [make_user(app) for _ in range(3)]
    with app.app_context():
        target = _get(Need, need.id)
        services.report(target, _get(User, reporters[0].id), "propos blessants", auto_hide_after=3)
        services.report(target, _get(User, reporters[0].id), "encore", auto_hide_after=3)  # same person
        services.report(target, _get(User, reporters[1].id), "propos blessants", auto_hide_after=3)
        assert target.hidden is False and target.report_count == 2
        services.report(target, _get(User, reporters[2].id), "propos blessants", auto_hide_after=3)
        assert target.hidden is True and target.pending_review is True


def test_search_text_is_lower_case_and_unaccented(app, world):
    need = make_need(app, territory_id=world.commune.id, title="Médecin Généraliste à Saint-Œuf")
    assert need.search_text.startswith("medecin generaliste a saint-oeuf")
