"""Admins grant and revoke scoped roles; every change is in the audit log."""
from __future__ import annotations

from sqlalchemy import select

from civicsante.accounts.models import RoleAssignment
from civicsante.audit import AuditEntry
from civicsante.extensions import db
from tests.support.factories import make_user


def test_admin_grants_scoped_roles_and_revokes_them_with_audit(app, client, world, login_as):
    admin = login_as("admin")
    person = make_user(app, pseudonym="Future animatrice")
    response = client.post(f"/admin/utilisateurs/{person.id}/roles",
                           data={"role": "facilitator", "territory_id": str(world.commune.id), "establishment_id": ""})
    assert response.status_code == 303
    client.post(f"/admin/utilisateurs/{person.id}/roles",
                data={"role": "mediator", "territory_id": "", "establishment_id": str(world.hospital.id)})
    page = client.get(f"/admin/utilisateurs/{person.id}").get_data(as_text=True)
    assert "Belrive" in page and "CH de Belrive" in page
    with app.app_context():
        roles = db.session.execute(select(RoleAssignment).where(RoleAssignment.user_id == person.id)
                                   .order_by(RoleAssignment.id)).scalars().all()
        assert [(r.role, r.territory_id, r.establishment_id) for r in roles] == [
            ("facilitator", world.commune.id, None), ("mediator", None, world.hospital.id)]
        facilitator_id = roles[0].id
    assert client.post(f"/admin/roles/{facilitator_id}/retirer").status_code == 303
    with app.app_context():
        actions = db.session.execute(select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.object_id)
                                     .where(AuditEntry.action.like("role.%")).order_by(AuditEntry.id)).all()
        assert [a.action for a in actions] == ["role.grant", "role.grant", "role.revoke"]
        assert {a.actor_id for a in actions} == {admin.id}
        assert {a.object_id for a in actions} == {str(person.id)}


def test_role_needing_a_scope_is_refused_without_one(app, client, login_as):
    login_as("admin")
    person = make_user(app)
    response = client.post(f"/admin/utilisateurs/{person.id}/roles",
                           data={"role": "complaints_officer", "territory_id": "", "establishment_id": ""})
    assert response.status_code == 422
    assert 'id="establishment_id-error"' in response.get_data(as_text=True)


def test_same_role_twice_is_refused(app, client, world, login_as):
    login_as("admin")
    person = make_user(app, role="facilitator", territory_id=world.commune.id)
    response = client.post(f"/admin/utilisateurs/{person.id}/roles",
                           data={"role": "facilitator", "territory_id": str(world.commune.id), "establishment_id": ""})
    assert response.status_code == 422


def test_last_admin_cannot_revoke_their_own_admin_role(app, client, login_as):
    admin = login_as("admin")
    with app.app_context():
        own = db.session.execute(select(RoleAssignment.id).where(RoleAssignment.user_id == admin.id)).scalar_one()
    client.post(f"/admin/roles/{own}/retirer")
    with app.app_context():
        assert db.session.get(RoleAssignment, own) is not None


def test_facilitator_cannot_grant_roles(app, client, login_as):
    login_as("facilitator")
    person = make_user(app)
    response = client.post(f"/admin/utilisateurs/{person.id}/roles",
                           data={"role": "admin", "territory_id": "", "establishment_id": ""})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.execute(select(RoleAssignment).where(RoleAssignment.user_id == person.id)).first() is None


def test_create_admin_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "--email", "Chef@Example.org", "--pseudonym", "Cheffe",
                                 "--password", "une phrase d'administration"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["create-admin", "--email", "chef@example.org", "--pseudonym", "Cheffe",
                                "--password", "une phrase d'administration"])
    assert "déjà" in again.output
    bad = runner.invoke(args=["create-admin", "--email", "pas-une-adresse", "--pseudonym", "X1",
                              "--password", "une phrase d'administration"])
    assert bad.exit_code != 0
