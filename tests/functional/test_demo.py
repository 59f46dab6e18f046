"""Demo data loads idempotently and its logins work."""
from __future__ import annotations

from sqlalchemy import func, select

from civicsante.consultations import policy, results, services
from civicsante.consultations.models import Ballot, Consultation, Milestone, PaperBatch, Participation
from civicsante.extensions import db
from civicsante.models import Association, Establishment, Need, RoleAssignment, Territory, User
from tests.conftest import log_in


def _counts(app):
    with app.app_context():
        return {m.__name__: db.session.execute(select(func.count()).select_from(m)).scalar_one()
                for m in (Territory, Establishment, Association, User, RoleAssignment, Need, Consultation,
                          Participation, Ballot, PaperBatch, Milestone)}


def test_demo_is_idempotent_and_its_logins_work(app, client):
    from civicsante.demo import DEMO_PASSWORD

    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "admin@demo.civicsante.fr" in first.output and DEMO_PASSWORD in first.output
    counts = _counts(app)
    # Users: the 7 accounts of demo.ACCOUNTS (resident and association contact included) + 12 demo
    # residents + 60 demo voters + the 6 people of demo_mandates.PEOPLE = 85. Roles: 5 in
    # demo.ACCOUNTS + the user-representative role of 4 representatives of demo_mandates + the
    # mediator role demo_complaints gives the CDU's non-medical mediator = 10. Associations: the
    # demo's and demo_mandates' second one. 40 needs; 3 consultations: 60 + 12 paper ballots in
    # the closed one, 8 in the open one.
    assert counts == {"Territory": 9, "Establishment": 2, "Association": 2, "User": 85, "RoleAssignment": 10,
                      "Need": 40, "Consultation": 3, "Participation": 68, "Ballot": 80, "PaperBatch": 1,
                      "Milestone": 3}
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert _counts(app) == counts
    assert "déjà" in runner.invoke(args=["demo", "--if-empty"]).output

    log_in(client, "admin@demo.civicsante.fr", DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200
    client.post("/deconnexion")
    log_in(client, "animateur@demo.civicsante.fr", DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 403


def test_demo_consultations_show_every_phase(app, client):
    from civicsante.demo import DEMO_PASSWORD

    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        consultations = db.session.execute(select(Consultation).order_by(Consultation.id)).scalars().all()
        assert [c.phase() for c in consultations] == ["suivi", "vote", "collecte"]
        closed, open_vote, _collecting = consultations
        assert [len(c.priorities) for c in consultations] == [5, 4, 0]
        assert {c.method for c in consultations} == {"majority_judgment"}
        # The closed one has results: a full ranking, ballots from every channel, and breakdown
        # groups large enough to be shown.
        computed = results.compute(closed)
        assert sorted(cid for tier in computed["result"]["ranking"] for cid in tier) == sorted(
            services.candidates(closed))
        assert computed["channels"] == {"en_ligne": 58, "papier": 12, "assiste": 2}
        assert any(not g["hidden"] for g in computed["breakdowns"]["territory"])
        assert any(not g["hidden"] for g in computed["breakdowns"]["age_band"])
        assert results.results_for(closed)["result"]["ranking"] == computed["result"]["ranking"]
        followed = db.session.execute(select(Milestone.priority_id).distinct()).scalars().all()
        assert len(followed) == 2
        # The needs behind the priorities are "intégré à une priorité".
        needs = services.needs_of([p.id for p in closed.priorities])
        assert all(needs.values()) and all(n.status == "integre" for ns in needs.values() for n in ns)
        # The demo resident may still vote in the open one.
        visitor = db.session.execute(select(User).where(User.email == "habitante@demo.civicsante.fr")).scalar_one()
        assert services.participation_of(open_vote, visitor) is None
        assert services.participation_of(closed, visitor) is None
        assert policy.can_vote(visitor, open_vote)
        open_id, closed_id = open_vote.id, closed.id
        followed_id = followed[0]
    for path in (f"/consultations/{closed_id}/resultats", f"/priorites/{followed_id}", "/consultations"):
        assert client.get(path).status_code == 200, path
    log_in(client, "habitante@demo.civicsante.fr", DEMO_PASSWORD)
    assert client.get(f"/consultations/{open_id}/vote").status_code == 200
