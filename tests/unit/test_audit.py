"""The audit log is append-only and its hash chain reveals an edited or deleted row."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from civicsante import audit
from civicsante.accounts.models import User
from civicsante.audit import AuditEntry, verify_chain
from civicsante.extensions import db
from tests.support.factories import make_user


def _write_entries(app, n=5):
    user = make_user(app)
    with app.app_context():
        actor = db.session.get(User, user.id)
        for i in range(n):
            audit.record(actor, f"test.action{i}", ("thing", i), note=i)
        db.session.commit()


def _lift_triggers(conn):
    """What an attacker with direct database access would do first."""
    from civicsante.audit import DROP_APPEND_ONLY_DDL

    for statement in DROP_APPEND_ONLY_DDL[conn.dialect.name]:
        conn.exec_driver_sql(statement)


def _restore_triggers(conn):
    from civicsante.audit import APPEND_ONLY_DDL

    for statement in APPEND_ONLY_DDL[conn.dialect.name]:
        conn.exec_driver_sql(statement)


def test_chain_of_untouched_log_verifies(app):
    _write_entries(app)
    with app.app_context():
        result = verify_chain()
    assert result.ok and result.rows == 5


def test_database_refuses_update_and_delete(app):
    _write_entries(app, 2)
    with app.app_context():
        with pytest.raises(DatabaseError), db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_log SET action = 'forged'"))
        with pytest.raises(DatabaseError), db.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log"))


def test_editing_a_row_makes_audit_verify_fail(app):
    _write_entries(app)
    with app.app_context():
        target = db.session.execute(db.select(AuditEntry.id).order_by(AuditEntry.id).offset(2)).scalar()
        db.session.rollback()  # release the session's transaction before writing elsewhere
        with db.engine.begin() as conn:
            _lift_triggers(conn)
            conn.execute(text("UPDATE audit_log SET action = 'forged' WHERE id = :id"), {"id": target})
            _restore_triggers(conn)
    result = app.test_cli_runner().invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert f"entrée {target} : contenu modifié" in result.output


def test_deleting_a_row_makes_audit_verify_fail(app):
    _write_entries(app)
    with app.app_context():
        target = db.session.execute(db.select(AuditEntry.id).order_by(AuditEntry.id).offset(1)).scalar()
        db.session.rollback()
        with db.engine.begin() as conn:
            _lift_triggers(conn)
            conn.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": target})
            _restore_triggers(conn)
    result = app.test_cli_runner().invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert "chaînage rompu" in result.output


def test_audit_verify_succeeds_on_intact_log(app):
    _write_entries(app, 3)
    result = app.test_cli_runner().invoke(args=["audit-verify"])
    assert result.exit_code == 0
    assert "3 entrées vérifiées" in result.output


def test_record_stores_actor_object_and_detail_without_content(app):
    user = make_user(app, pseudonym="Auditrice")
    with app.app_context():
        fresh = db.session.get(type(user), user.id)
        entry = audit.record(fresh, "role.grant", fresh, role="admin")
        db.session.commit()
        assert entry.actor_id == user.id
        assert entry.actor_label == f"#{user.id} Auditrice"
        assert (entry.object_type, entry.object_id) == ("user_account", str(user.id))
        assert entry.detail_dict == {"role": "admin"}
        assert entry.prev_hash == audit.GENESIS_HASH
