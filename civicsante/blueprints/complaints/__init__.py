"""The web of CDU complaints (issue 6): filing online and the complainant's own timeline
(public.py), registration by the complaints office and attachments (office.py, attachments.py),
the complaint file and its lifecycle for the office, mediators and CDU members (staff.py), CDU
sessions (sessions.py), the deadlines dashboard (dashboard.py), the annual report (report.py).

Every page of this blueprint is sent with ``Cache-Control: no-store``: it may hold health data,
which must not linger in a browser's or a proxy's cache."""
from flask import Blueprint

bp = Blueprint("complaints", __name__)


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


from civicsante.blueprints.complaints import (  # noqa: E402,F401
    attachments,
    dashboard,
    office,
    public,
    report,
    sessions,
    staff,
)
