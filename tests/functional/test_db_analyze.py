"""`flask db-analyze` gives the planner its statistics, and on SQLite the similar-needs search
reads the needs' text from the index ix_need_similar instead of each row (migration 0008)."""
from __future__ import annotations

import pytest
from sqlalchemy import event, text

from civicsante.extensions import db
from civicsante.needs import search
from tests.support.factories import make_need


def test_db_analyze_records_the_statistics_of_the_needs(app, world):
    for i in range(3):
        make_need(app, territory_id=world.commune.id, title=f"Médecin absent {i}")
    result = app.test_cli_runner().invoke(args=["db-analyze"])
    assert result.exit_code == 0, result.output
    assert "Statistiques de la base mises à jour" in result.output
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            analysed = db.session.execute(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'need'")).scalar()
            assert analysed > 0
            # Statistics on the FTS5 shadow tables would slow every insert of a need.
            assert db.session.execute(text(
                "SELECT count(*) FROM sqlite_stat1 WHERE tbl LIKE 'need_fts%'")).scalar() == 0
        else:
            analysed = db.session.execute(text(
                "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'need'")).scalar()
            assert analysed is not None


def test_similar_needs_around_a_territory_are_read_from_the_text_index(app, world):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's index; PostgreSQL searches with its trigram GIN index")
    for i in range(30):
        make_need(app, territory_id=world.commune.id, title=f"Médecin généraliste absent {i}")
    app.test_cli_runner().invoke(args=["db-analyze"])
    with app.test_request_context():
        statements = []
        listener = lambda conn, cursor, sql, params, context, many: statements.append((sql, params))  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            found = search.similar_needs("médecin généraliste", world.commune.id)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert len(found) == 5
        sql, params = next((s, p) for s, p in statements if "search_text LIKE" in s)
        plan = " ".join(row[-1] for row in db.session.connection().exec_driver_sql(
            f"EXPLAIN QUERY PLAN {sql}", params))
    assert "COVERING INDEX ix_need_similar" in plan, plan
