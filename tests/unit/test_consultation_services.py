"""The rules of a consultation, through its services: phases, who may vote, one person one vote,
open and secret ballots, priorities, paper and assisted ballots, the public follow-up."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from civicsante.accounts.models import User
from civicsante.audit import AuditEntry
from civicsante.consultations import results, services
from civicsante.consultations.models import (
    Ballot,
    BallotMark,
    Consultation,
    Participation,
    Priority,
)
from civicsante.errors import DomainError, NotAllowed
from civicsante.extensions import db
from civicsante.needs.models import Need, Notification
from civicsante.types import utcnow
from tests.support.consultations import make_consultation, phase_dates, priority_ids
from tests.support.factories import make_need, make_user


def _facilitator(app, world):
    return make_user(app, role="facilitator", territory_id=world.commune.id, home_territory_id=world.commune.id)


def _resident(app, world, **kw):
    kw.setdefault("home_territory_id", world.commune.id)
    return make_user(app, **kw)


def _load(consultation_id, *user_ids):
    return (db.session.get(Consultation, consultation_id), *(db.session.get(User, uid) for uid in user_ids))


def _count(model, **where):
    query = select(func.count()).select_from(model)
    for column, value in where.items():
        query = query.where(getattr(model, column) == value)
    return db.session.execute(query).scalar_one()


def _grades(c: Consultation, *grades):
    return dict(zip(services.candidates(c), grades, strict=True))


# Phases -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("phase", ["a_venir", "collecte", "deliberation", "vote", "resultats", "suivi"])
def test_the_phase_follows_the_dates(app, world, phase):
    consultation = make_consultation(app, territory_id=world.commune.id, phase=phase)
    with app.app_context():
        consultation = db.session.get(Consultation, consultation.id)
        assert consultation.phase() == phase
        timeline = services.phases_timeline(consultation)
        assert [step["state"] for step in timeline if step["phase"] == phase] == (
            ["current"] if phase != "a_venir" else [])
        assert all(step["state"] == "future" for step in timeline) == (phase == "a_venir")


def test_a_facilitator_opens_the_vote_early_then_closes_it_by_hand(app, world):
    facilitator = _facilitator(app, world)
    consultation = make_consultation(app, territory_id=world.commune.id, facilitator_id=facilitator.id,
                                     phase="collecte")
    with app.app_context():
        c, by = _load(consultation.id, facilitator.id)
        followup = c.followup_starts_at
        services.start_phase_now(c, "vote", by)
        db.session.commit()  # the dates still satisfy the phase order constraint
        assert c.phase() == "vote"
        assert c.deliberation_starts_at <= utcnow() and c.vote_starts_at <= utcnow()
        assert c.vote_ends_at > utcnow()
        # A few seconds of vote, then the facilitator closes it: the results are out.
        services.start_phase_now(c, "resultats", by, now=utcnow() + timedelta(seconds=5))
        db.session.commit()
        assert c.phase(utcnow() + timedelta(seconds=6)) == "resultats"
        assert c.followup_starts_at == followup
        actions = db.session.execute(select(AuditEntry.action).where(
            AuditEntry.action == "consultation.phase")).scalars().all()
        assert len(actions) == 2


def test_a_phase_already_started_cannot_be_started_again(app, world):
    facilitator = _facilitator(app, world)
    consultation = make_consultation(app, territory_id=world.commune.id, facilitator_id=facilitator.id,
                                     phase="vote")
    with app.app_context():
        c, by = _load(consultation.id, facilitator.id)
        before = c.vote_starts_at
        for phase in ("collecte", "deliberation", "vote"):
            with pytest.raises(DomainError) as refused:
                services.start_phase_now(c, phase, by)
            assert refused.value.field == "phase"
        assert c.vote_starts_at == before


def test_closing_a_vote_that_never_opened_is_refused_and_changes_nothing(app, world):
    facilitator = _facilitator(app, world)
    consultation = make_consultation(app, territory_id=world.commune.id, facilitator_id=facilitator.id,
                                     phase="deliberation")
    with app.app_context():
        c, by = _load(consultation.id, facilitator.id)
        dates = [c.deliberation_starts_at, c.vote_starts_at, c.vote_ends_at]
        with pytest.raises(DomainError) as refused:
            services.start_phase_now(c, "resultats", by)
        assert refused.value.field == "phase"
        assert [c.deliberation_starts_at, c.vote_starts_at, c.vote_ends_at] == dates
        assert c.phase() == "deliberation"


def test_only_a_facilitator_of_the_territory_opens_a_phase(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, phase="deliberation")
    other = make_user(app, role="facilitator", territory_id=world.other_commune.id,
                      home_territory_id=world.other_commune.id)
    resident = _resident(app, world)
    with app.app_context():
        c, elsewhere, neighbour = _load(consultation.id, other.id, resident.id)
        for person in (elsewhere, neighbour):
            with pytest.raises(NotAllowed):
                services.start_phase_now(c, "vote", person)
        assert c.phase() == "deliberation"


# Who votes ----------------------------------------------------------------------------------------

def test_residents_inside_the_territory_vote_others_are_refused(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id)
    inside = _resident(app, world, home_territory_id=world.quartier.id)   # a quartier of the commune
    here = _resident(app, world)
    outside = _resident(app, world, home_territory_id=world.other_commune.id)
    nowhere = make_user(app)                                              # no home territory given
    ballot = dict(zip(priority_ids(app, consultation.id), (6, 3, 0), strict=True))
    with app.app_context():
        c, *people = _load(consultation.id, inside.id, here.id, outside.id, nowhere.id)
        for voter in people[:2]:
            services.cast_ballot(c, voter, ballot)
        for voter in people[2:]:
            with pytest.raises(NotAllowed):
                services.cast_ballot(c, voter, ballot)
        db.session.commit()
        assert _count(Participation, consultation_id=c.id) == 2
        assert _count(Ballot, consultation_id=c.id) == 2


@pytest.mark.parametrize("phase", ["a_venir", "collecte", "deliberation", "resultats", "suivi"])
def test_nobody_votes_outside_the_vote_phase(app, world, phase):
    consultation = make_consultation(app, territory_id=world.commune.id, phase=phase)
    voter = _resident(app, world)
    with app.app_context():
        c, person = _load(consultation.id, voter.id)
        with pytest.raises(DomainError) as refused:
            services.cast_ballot(c, person, _grades(c, 1, 2, 3))
        assert not isinstance(refused.value, services.AlreadyVoted)
        assert _count(Ballot, consultation_id=c.id) == 0


def test_one_person_one_vote(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id)
    voter = _resident(app, world)
    with app.app_context():
        c, person = _load(consultation.id, voter.id)
        participation = services.cast_ballot(c, person, _grades(c, 6, 5, 4))
        db.session.commit()
        assert participation.receipt and participation.channel == "en_ligne"
        with pytest.raises(services.AlreadyVoted):
            services.cast_ballot(c, person, _grades(c, 0, 0, 0))
        db.session.rollback()
        assert _count(Participation, consultation_id=c.id) == 1
        assert _count(Ballot, consultation_id=c.id) == 1
        assert sorted(db.session.execute(select(BallotMark.value)).scalars()) == [4, 5, 6]


def test_an_open_ballot_can_be_changed_until_the_close(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, secrecy="ouvert")
    voter = _resident(app, world)
    with app.app_context():
        c, person = _load(consultation.id, voter.id)
        first = services.cast_ballot(c, person, _grades(c, 6, 0, 3))
        db.session.commit()
        again = services.cast_ballot(c, person, _grades(c, 0, 6, 2))
        db.session.commit()
        assert again.receipt == first.receipt
        assert services.open_ballot_of(c, person) == _grades(c, 0, 6, 2)
        row = db.session.execute(select(Ballot)).scalar_one()
        assert row.voter_id == person.id and row.updated_at is not None
        assert _count(BallotMark, ballot_id=row.id) == 3
        assert _count(Participation) == 1
        # Once the vote is closed, nothing changes any more.
        for key, value in phase_dates("resultats").items():
            setattr(c, key, value)
        db.session.commit()
        with pytest.raises(DomainError):
            services.cast_ballot(c, person, _grades(c, 1, 1, 1))
        assert services.open_ballot_of(c, person) == _grades(c, 0, 6, 2)


def test_a_secret_ballot_cannot_be_changed(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id, secrecy="secret")
    voter = _resident(app, world)
    with app.app_context():
        c, person = _load(consultation.id, voter.id)
        services.cast_ballot(c, person, _grades(c, 6, 0, 3))
        db.session.commit()
        with pytest.raises(services.AlreadyVoted):
            services.cast_ballot(c, person, _grades(c, 0, 6, 2))
        db.session.rollback()
        assert services.open_ballot_of(c, person) is None
        row = db.session.execute(select(Ballot)).scalar_one()
        assert row.voter_id is None and row.updated_at is None
        marks = dict(db.session.execute(select(BallotMark.priority_id, BallotMark.value)).all())
        assert {str(k): v for k, v in marks.items()} == _grades(c, 6, 0, 3)


def test_a_ballot_the_tally_would_refuse_is_refused(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id)
    voter = _resident(app, world)
    with app.app_context():
        c, person = _load(consultation.id, voter.id)
        with pytest.raises(DomainError) as refused:
            services.cast_ballot(c, person, _grades(c, 7, 0, 0))   # grades are 0..6
        assert refused.value.field == "ballot"
        assert _count(Participation) == 0


# Priorities ---------------------------------------------------------------------------------------

def test_a_priority_built_from_needs_integrates_them_and_tells_their_supporters(app, world):
    facilitator = _facilitator(app, world)
    need = make_need(app, territory_id=world.commune.id, supports=2)
    other_need = make_need(app, territory_id=world.commune.id, supports=1)
    consultation = make_consultation(app, territory_id=world.commune.id, facilitator_id=facilitator.id,
                                     phase="deliberation", priorities=0)
    with app.app_context():
        c, by = _load(consultation.id, facilitator.id)
        priority = services.add_priority(c, by, title="Un médecin pour Belrive", need_ids=[need.id])
        db.session.commit()
        assert db.session.get(Need, need.id).status == "integre"
        assert "Un médecin pour Belrive" in db.session.get(Need, need.id).status_reason
        assert db.session.get(Need, other_need.id).status == "nouveau"
        assert services.needs_of([priority.id]) == {priority.id: [db.session.get(Need, need.id)]}
        from civicsante.needs.models import Support
        supporters = set(db.session.execute(select(Support.user_id).where(Support.need_id == need.id)).scalars())
        told = set(db.session.execute(select(Notification.user_id).where(
            Notification.need_id == need.id, Notification.kind == "status")).scalars())
        assert len(supporters) == 2
        assert supporters | {need.author_id} == told
        assert not db.session.execute(select(Notification).where(Notification.need_id == other_need.id)).first()


def test_a_need_of_another_territory_cannot_join_a_priority(app, world):
    facilitator = _facilitator(app, world)
    elsewhere = make_need(app, territory_id=world.other_commune.id)
    consultation = make_consultation(app, territory_id=world.commune.id, facilitator_id=facilitator.id,
                                     phase="collecte", priorities=0)
    with app.app_context():
        c, by = _load(consultation.id, facilitator.id)
        with pytest.raises(DomainError) as refused:
            services.add_priority(c, by, title="Ailleurs", need_ids=[elsewhere.id])
        assert refused.value.field == "need_ids"


@pytest.mark.parametrize("phase", ["vote", "resultats"])
def test_priorities_are_frozen_once_the_vote_has_opened(app, world, phase):
    facilitator = _facilitator(app, world)
    consultation = make_consultation(app, territory_id=world.commune.id, facilitator_id=facilitator.id,
                                     phase=phase)
    with app.app_context():
        c, by = _load(consultation.id, facilitator.id)
        with pytest.raises(DomainError):
            services.add_priority(c, by, title="Trop tard")
        with pytest.raises(DomainError):
            services.remove_priority(c.priorities[0], by)
        db.session.rollback()
        assert _count(Priority, consultation_id=c.id) == 3


def _settings(c: Consultation, **changes) -> dict:
    settings = {key: getattr(c, key) for key in ("title", "method", "secrecy", "results_visibility",
                                                 "max_approvals", "points_budget", "collect_starts_at",
                                                 "deliberation_starts_at", "vote_starts_at", "vote_ends_at",
                                                 "followup_starts_at")}
    settings["grade_labels"] = json.loads(c.grade_labels_json) if c.grade_labels_json else None
    settings.update(changes)
    return settings


def test_method_and_secrecy_are_frozen_once_the_vote_has_opened(app, world):
    facilitator = _facilitator(app, world)
    consultation = make_consultation(app, territory_id=world.commune.id, facilitator_id=facilitator.id,
                                     phase="vote")
    with app.app_context():
        c, by = _load(consultation.id, facilitator.id)
        for change in ({"method": "borda"}, {"secrecy": "ouvert"},
                       {"grade_labels": ["Non", "Bof", "Oui"]}):
            with pytest.raises(DomainError) as refused:
                services.update_consultation(c, by, description="Autre texte", **_settings(c, **change))
            assert refused.value.field == "method"
        assert (c.method, c.secrecy) == ("majority_judgment", "secret")
        # The text and the dates may still change.
        later = c.vote_ends_at + timedelta(hours=2)
        services.update_consultation(c, by, description="Texte corrigé", **_settings(
            c, title="Nouveau titre", vote_ends_at=later, followup_starts_at=later + timedelta(days=1)))
        db.session.commit()
        assert (c.title, c.description, c.vote_ends_at) == ("Nouveau titre", "Texte corrigé", later)


def test_method_and_secrecy_may_change_before_the_vote(app, world):
    facilitator = _facilitator(app, world)
    consultation = make_consultation(app, territory_id=world.commune.id, facilitator_id=facilitator.id,
                                     phase="deliberation")
    with app.app_context():
        c, by = _load(consultation.id, facilitator.id)
        services.update_consultation(c, by, **_settings(c, method="borda", secrecy="ouvert"))
        db.session.commit()
        assert (c.method, c.secrecy, c.grade_labels_json) == ("borda", "ouvert", None)


# Paper and assisted ballots -----------------------------------------------------------------------

def test_a_paper_batch_counts_once_validated_with_its_declared_number(app, world):
    facilitator = _facilitator(app, world)
    consultation = make_consultation(app, territory_id=world.commune.id, facilitator_id=facilitator.id)
    with app.app_context():
        c, by = _load(consultation.id, facilitator.id)
        a, b, d = services.candidates(c)
        batch = services.open_paper_batch(c, by, place="Mairie de Belrive", collected_on=utcnow().date(),
                                          declared_count=5)
        db.session.flush()
        services.add_paper_ballot(batch, by, {a: 6, b: 2, d: 0}, copies=3)
        with pytest.raises(DomainError) as over:
            services.add_paper_ballot(batch, by, {a: 0, b: 6, d: 6}, copies=3)   # 6 > 5 declared
        assert over.value.field == "copies"
        services.add_paper_ballot(batch, by, {a: 0, b: 6, d: 6})
        with pytest.raises(DomainError):
            services.validate_paper_batch(batch, by)                             # 4 typed, 5 declared
        assert _count(Ballot, consultation_id=c.id) == 0
        services.add_paper_ballot(batch, by, {a: 1, b: 1, d: 1})
        services.remove_last_paper_ballot(batch, by)                             # a typing mistake
        services.add_paper_ballot(batch, by, {a: 5, b: 1, d: 1})
        assert services.validate_paper_batch(batch, by) == 5
        db.session.commit()
        with pytest.raises(DomainError):
            services.add_paper_ballot(batch, by, {a: 0, b: 0, d: 0})             # locked once validated
        computed = results.compute(c)
        assert computed["ballots"] == 5
        assert computed["channels"] == {"en_ligne": 0, "papier": 5, "assiste": 0}
        assert computed["result"]["ranking"][0] == [a]
        assert _count(Participation) == 0   # paper ballots are not tied to accounts


def test_paper_batch_needs_place_date_and_count(app, world):
    facilitator = _facilitator(app, world)
    consultation = make_consultation(app, territory_id=world.commune.id, facilitator_id=facilitator.id)
    with app.app_context():
        c, by = _load(consultation.id, facilitator.id)
        today = utcnow().date()
        for kwargs, field in (({"place": " ", "collected_on": today, "declared_count": 3}, "place"),
                              ({"place": "Marché", "collected_on": None, "declared_count": 3}, "collected_on"),
                              ({"place": "Marché", "collected_on": today + timedelta(days=2),
                                "declared_count": 3}, "collected_on"),
                              ({"place": "Marché", "collected_on": today, "declared_count": 0}, "declared_count")):
            with pytest.raises(DomainError) as refused:
                services.open_paper_batch(c, by, **kwargs)
            assert refused.value.field == field


def test_an_assisted_ballot_is_counted_and_audited(app, world):
    facilitator = _facilitator(app, world)
    consultation = make_consultation(app, territory_id=world.commune.id, facilitator_id=facilitator.id)
    voter = _resident(app, world)
    with app.app_context():
        c, by, person = _load(consultation.id, facilitator.id, voter.id)
        participation = services.cast_ballot(c, person, _grades(c, 4, 4, 4), entered_by=by)
        db.session.commit()
        assert participation.channel == "assiste" and participation.entered_by_id == by.id
        assert results.compute(c)["channels"] == {"en_ligne": 0, "papier": 0, "assiste": 1}
        entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "ballot.assisted")).scalar_one()
        assert entry.actor_id == by.id and entry.detail_dict["person_id"] == person.id
        # The person cannot vote again online.
        with pytest.raises(services.AlreadyVoted):
            services.cast_ballot(c, person, _grades(c, 0, 0, 0))


def test_only_a_facilitator_of_the_territory_enters_an_assisted_ballot(app, world):
    consultation = make_consultation(app, territory_id=world.commune.id)
    other = make_user(app, role="facilitator", territory_id=world.other_commune.id,
                      home_territory_id=world.other_commune.id)
    neighbour = _resident(app, world)
    voter = _resident(app, world)
    with app.app_context():
        c, elsewhere, resident, person = _load(consultation.id, other.id, neighbour.id, voter.id)
        for by in (elsewhere, resident):
            with pytest.raises(NotAllowed):
                services.cast_ballot(c, person, _grades(c, 4, 4, 4), entered_by=by)
        assert _count(Ballot) == 0
        assert not db.session.execute(select(AuditEntry).where(AuditEntry.action == "ballot.assisted")).first()


# Follow-up ----------------------------------------------------------------------------------------

def test_a_milestone_tells_exactly_the_voters_and_the_supporters(app, world):
    facilitator = _facilitator(app, world)
    need = make_need(app, territory_id=world.commune.id, supports=2)
    other_need = make_need(app, territory_id=world.commune.id, supports=1)
    consultation = make_consultation(app, territory_id=world.commune.id, facilitator_id=facilitator.id,
                                     phase="deliberation", priorities=0)
    voters = [_resident(app, world).id for _ in range(3)]
    bystander = _resident(app, world).id
    with app.app_context():
        c, by = _load(consultation.id, facilitator.id)
        first = services.add_priority(c, by, title="Un médecin", need_ids=[need.id])
        services.add_priority(c, by, title="Un bus", need_ids=[other_need.id])
        for key, value in phase_dates("vote").items():
            setattr(c, key, value)
        db.session.commit()
        for uid in voters:
            services.cast_ballot(c, db.session.get(User, uid), _grades(c, 6, 1))
        db.session.commit()
        with pytest.raises(DomainError):   # the follow-up starts once the vote is closed
            services.post_milestone(first, by, happened_on=utcnow().date(), text="Étude lancée",
                                    status="a_l_etude", progress=0)
        for key, value in phase_dates("suivi").items():
            setattr(c, key, value)
        db.session.commit()
        milestone = services.post_milestone(first, by, happened_on=utcnow().date(),
                                            text="Un cabinet médical ouvre en mars.", status="engage", progress=30)
        db.session.commit()
        from civicsante.needs.models import Support
        supporters = set(db.session.execute(select(Support.user_id).where(Support.need_id == need.id)).scalars())
        rows = db.session.execute(select(Notification).where(Notification.kind == "milestone")).scalars().all()
        assert sorted(n.user_id for n in rows) == sorted(set(voters) | supporters)
        assert bystander not in {n.user_id for n in rows} and need.author_id not in supporters
        detail = json.loads(rows[0].detail)
        assert detail == {"title": "Un médecin", "status": "engage", "progress": 30,
                          "consultation_id": c.id, "priority_id": first.id}
        assert services.milestones_of([first.id]) == {first.id: [milestone]}


def test_abandoning_a_priority_needs_a_public_reason(app, world):
    facilitator = _facilitator(app, world)
    consultation = make_consultation(app, territory_id=world.commune.id, facilitator_id=facilitator.id,
                                     phase="resultats")
    resident = _resident(app, world)
    with app.app_context():
        c, by = _load(consultation.id, facilitator.id)
        priority = c.priorities[0]
        with pytest.raises(DomainError) as refused:
            services.post_milestone(priority, by, happened_on=utcnow().date(), text="Arrêté.",
                                    status="abandonne", progress=10, reason="  ")
        assert refused.value.field == "reason"
        done = services.post_milestone(priority, by, happened_on=utcnow().date(), text="Arrêté.",
                                       status="abandonne", progress=10, reason="Le financement a été refusé.")
        finished = services.post_milestone(c.priorities[1], by, happened_on=utcnow().date(), text="Ouvert.",
                                           status="realise", progress=40)
        db.session.commit()
        assert done.reason == "Le financement a été refusé."
        assert finished.progress == 100   # "réalisé" means done
        with pytest.raises(NotAllowed):
            services.post_milestone(priority, db.session.get(User, resident.id), happened_on=utcnow().date(),
                                    text="Moi", status="engage", progress=1)
