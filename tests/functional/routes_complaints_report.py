"""Route x role declarations of the complaints area, report part (merged into
tests/functional/routes.py). Same conventions as routes_needs.py.

The walk's report is that of an establishment of its own (the reference walk may still delete
``world.hospital``): none of the walkers is its complaints office nor a member of its CDU, so
every signed-in walker is refused (403) — the walk's complaints officer is scoped to
``world.hospital``, its "user_representative" holds no mandate, admins read no complaint data.
The 200s (office, CDU member, president) are in test_complaints_report.py.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

LOGIN = 302
REFUSED = {"anonymous": LOGIN, "*": 403}

EXPECTED: dict = {
    ("complaints.annual_report", "GET"): REFUSED,
    ("complaints.annual_report_csv", "GET"): REFUSED,
    ("complaints.annual_report_pdf", "GET"): REFUSED,
    ("complaints.annual_report_sections", "GET"): REFUSED,
    ("complaints.annual_report_sections", "POST"): REFUSED,
}


def make_objects(app, world, target_user) -> dict:
    """Objects this part's routes act on during the walk; they land in ``ctx.extra``."""
    from tests.support.factories import make_establishment

    hospital = make_establishment(app, territory_id=world.commune.id, name="CH du rapport annuel")
    return {"report_establishment_id": hospital.id,
            "report_year": datetime.now(ZoneInfo("Europe/Paris")).year}


def params_for(endpoint: str, ctx) -> dict:
    if endpoint in {e for e, _ in EXPECTED}:
        return {"establishment_id": ctx.extra["report_establishment_id"], "year": ctx.extra["report_year"]}
    return {}
