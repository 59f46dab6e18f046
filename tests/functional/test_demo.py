"""Demo data loads idempotently and its logins work."""
from __future__ import annotations

from sqlalchemy import func, select

from civicsante.extensions import db
from civicsante.models import Association, Establishment, Need, RoleAssignment, Territory, User
from tests.conftest import log_in


def _counts(app):
    with app.app_context():
        return {m.__name__: db.session.execute(select(func.count()).select_from(m)).scalar_one()
                for m in (Territory, Establishment, Association, User, RoleAssignment, Need)}


def test_demo_is_idempotent_and_its_logins_work(app, client):
    from civicsante.demo import DEMO_PASSWORD

    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "admin@demo.civicsante.fr" in first.output and DEMO_PASSWORD in first.output
    counts = _counts(app)
    # 6 accounts with a role each (resident included) + 12 demo residents; 40 needs.
    assert counts == {"Territory": 9, "Establishment": 2, "Association": 1, "User": 18, "RoleAssignment": 5,
                      "Need": 40}
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert _counts(app) == counts
    assert "déjà" in runner.invoke(args=["demo", "--if-empty"]).output

    log_in(client, "admin@demo.civicsante.fr", DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200
    client.post("/deconnexion")
    log_in(client, "animateur@demo.civicsante.fr", DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 403
