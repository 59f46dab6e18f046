"""Count the SQL statements a piece of code runs (transaction control excluded)."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from civicsante.extensions import db

_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextmanager
def count_queries(app):
    statements: list[str] = []

    def _record(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(_CONTROL):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", _record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _record)
