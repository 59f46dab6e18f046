"""The deadlines dashboard: overdue first (most overdue first), then what falls due this week,
nothing further away, nothing closed, nothing of another establishment; counts by status."""
from __future__ import annotations

from datetime import date, timedelta

from civicsante.complaints import dashboard
from civicsante.extensions import db
from tests.support.complaints import make_complaint


def test_sorted_by_urgency_with_the_delay(app, world):
    today = date(2026, 12, 2)
    made = {}
    for key, offset, status in (("soon", 3, "meeting_due"), ("late2", -2, "report_due"), ("today", 0, "reply_due"),
                                ("late9", -9, "meeting_due"), ("far", 7, "meeting_due"),
                                ("closed", -5, "closed")):
        made[key] = make_complaint(app, establishment_id=world.hospital.id, status=status,
                                   due_on=today + timedelta(days=offset), due_step="meeting")
    make_complaint(app, establishment_id=world.other_hospital.id, status="meeting_due", due_on=today, due_step="meeting")
    make_complaint(app, establishment_id=world.hospital.id)  # nothing due
    with app.app_context():
        rows = dashboard.due_rows(db.session.execute(dashboard.due_query(world.hospital.id, today)).scalars(), today)
        assert [r.complaint.id for r in rows] == [made[k].id for k in ("late9", "late2", "today", "soon")]
        assert [r.days_overdue for r in rows] == [9, 2, 0, -3]
        assert [r.overdue for r in rows] == [True, True, False, False]
        assert rows[3].days_left == 3
        assert dashboard.overdue_count(world.hospital.id, today) == 2
        counts = dashboard.counts_by_status(world.hospital.id)
        assert counts["meeting_due"] == 3 and counts["closed"] == 1 and counts["acknowledged"] == 1
        assert counts["opinion"] == 0


def test_the_list_uses_the_due_index(app, world):
    from sqlalchemy import text

    with app.app_context():
        query = dashboard.due_query(world.hospital.id, date(2026, 12, 2))
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        if db.engine.dialect.name != "sqlite":
            return  # PostgreSQL's planner picks by table size; the index exists on both
        plan = " ".join(str(row) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "ix_complaint_establishment_due" in plan
