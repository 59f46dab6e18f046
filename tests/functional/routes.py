"""The route × role declaration: for every URL rule, the status each role gets.

A new route must be declared here, or test_route_matrix fails. A value is either one status for
every role, or a dict with a status per role and ``"*"`` for the roles not named. Requests are
sent without form data, so a POST reaching its view is refused by validation (422) or acts on
the objects named in ``params``.
"""
from __future__ import annotations

ROLES = ("anonymous", "resident", "facilitator", "user_representative", "complaints_officer",
         "mediator", "admin")

LOGIN = 302           # redirected to the login page
ADMIN_ONLY = {"anonymous": LOGIN, "admin": 200, "*": 403}
ADMIN_POST_FORM = {"anonymous": LOGIN, "admin": 422, "*": 403}
SIGNED_IN = {"anonymous": LOGIN, "*": 200}
SIGNED_IN_FORM = {"anonymous": LOGIN, "*": 422}
ADMIN_ACTS = {"anonymous": LOGIN, "admin": 303, "*": 403}
ANONYMOUS_ONLY_PAGE = {"anonymous": 200, "*": 303}
ANONYMOUS_ONLY_FORM = {"anonymous": 422, "*": 303}

# (endpoint, method) -> expected status
EXPECTED: dict[tuple[str, str], int | dict] = {
    ("static", "GET"): 200,
    ("main.home", "GET"): 200,
    ("main.privacy", "GET"): 200,
    ("main.accessibility", "GET"): 200,
    ("main.set_language", "POST"): 303,
    ("auth.sign_up", "GET"): ANONYMOUS_ONLY_PAGE,
    ("auth.sign_up", "POST"): ANONYMOUS_ONLY_FORM,
    ("auth.login", "GET"): ANONYMOUS_ONLY_PAGE,
    ("auth.login", "POST"): ANONYMOUS_ONLY_FORM,
    ("auth.forgot_password", "GET"): 200,
    ("auth.forgot_password", "POST"): 422,
    ("auth.reset_password", "GET"): 400,   # the token in params is not genuine
    ("auth.reset_password", "POST"): 400,
    ("account.profile", "GET"): SIGNED_IN,
    ("account.profile", "POST"): SIGNED_IN_FORM,
    ("account.change_password", "GET"): SIGNED_IN,
    ("account.change_password", "POST"): SIGNED_IN_FORM,
    ("account.my_data", "GET"): SIGNED_IN,
    ("account.download_my_data", "POST"): SIGNED_IN,
    ("account.delete_account", "GET"): SIGNED_IN,
    ("account.delete_account", "POST"): SIGNED_IN_FORM,
    ("admin.index", "GET"): ADMIN_ONLY,
    ("admin.users", "GET"): ADMIN_ONLY,
    ("admin.user_detail", "GET"): ADMIN_ONLY,
    ("admin.grant_role", "POST"): ADMIN_POST_FORM,
    ("admin.revoke_role", "POST"): ADMIN_ACTS,
    ("admin.audit_log", "GET"): ADMIN_ONLY,
    ("admin.territories", "GET"): ADMIN_ONLY,
    ("admin.new_territory", "GET"): ADMIN_ONLY,
    ("admin.new_territory", "POST"): ADMIN_POST_FORM,
    ("admin.edit_territory", "GET"): ADMIN_ONLY,
    # An empty POST re-submits the unchanged values (the form falls back to the object's data).
    ("admin.edit_territory", "POST"): ADMIN_ACTS,
    ("admin.delete_territory", "GET"): ADMIN_ONLY,
    ("admin.delete_territory", "POST"): ADMIN_POST_FORM,  # the département still has communes
    ("admin.establishments", "GET"): ADMIN_ONLY,
    ("admin.new_establishment", "GET"): ADMIN_ONLY,
    ("admin.new_establishment", "POST"): ADMIN_POST_FORM,
    ("admin.edit_establishment", "GET"): ADMIN_ONLY,
    ("admin.edit_establishment", "POST"): ADMIN_ACTS,
    ("admin.delete_establishment", "GET"): ADMIN_ONLY,
    ("admin.associations", "GET"): ADMIN_ONLY,
    ("admin.new_association", "GET"): ADMIN_ONLY,
    ("admin.new_association", "POST"): ADMIN_POST_FORM,
    ("admin.edit_association", "GET"): ADMIN_ONLY,
    ("admin.edit_association", "POST"): ADMIN_POST_FORM,
    ("admin.delete_association", "GET"): ADMIN_ONLY,
    # These really delete: walked after the pages that show the object.
    # The walk's complaints and CDU sit in world.hospital: the deletion is refused next to the
    # form (test_admin_reference shows an establishment without them really deleted).
    ("admin.delete_establishment", "POST"): ADMIN_POST_FORM,
    ("admin.delete_association", "POST"): ADMIN_ACTS,
}


# Each area declares its routes in its own module, merged here; logout ends the walk.
from tests.functional.routes_needs import EXPECTED as NEEDS_EXPECTED
from tests.functional.routes_needs import params_for as needs_params
from tests.functional.routes_notifications import EXPECTED as NOTIFICATIONS_EXPECTED
from tests.functional.routes_notifications import params_for as notifications_params
from tests.functional import (
    routes_consultations_manage,
    routes_consultations_public,
    routes_consultations_results,
)

from tests.functional import routes_mandates_admin, routes_mandates_desk, routes_mandates_public

CONSULTATION_PARTS = (routes_consultations_public, routes_consultations_results, routes_consultations_manage)
MANDATE_PARTS = (routes_mandates_admin, routes_mandates_desk, routes_mandates_public)
from tests.functional import routes_complaints_public, routes_complaints_report, routes_complaints_staff

COMPLAINT_PARTS = (routes_complaints_public, routes_complaints_staff, routes_complaints_report)
AREA_PARTS = CONSULTATION_PARTS + MANDATE_PARTS + COMPLAINT_PARTS

EXPECTED.update(NEEDS_EXPECTED)
EXPECTED.update(NOTIFICATIONS_EXPECTED)
for _part in AREA_PARTS:
    EXPECTED.update(_part.EXPECTED)
EXPECTED[("auth.logout", "POST")] = {"anonymous": LOGIN, "*": 303}  # last: it ends the session


def params_for(endpoint: str, ctx) -> dict:
    """URL parameters for rules that have some; ``ctx`` holds the objects made for the walk."""
    return {
        "static": {"filename": "css/app.css"},
        "auth.reset_password": {"token": "not-a-genuine-token"},
        "admin.user_detail": {"user_id": ctx.target_user.id},
        "admin.grant_role": {"user_id": ctx.target_user.id},
        "admin.revoke_role": {"assignment_id": ctx.target_assignment_id},
        "admin.edit_territory": {"territory_id": ctx.world.departement.id},
        "admin.delete_territory": {"territory_id": ctx.world.departement.id},
        "admin.edit_establishment": {"establishment_id": ctx.world.hospital.id},
        "admin.delete_establishment": {"establishment_id": ctx.world.hospital.id},
        "admin.edit_association": {"association_id": ctx.world.association.id},
        "admin.delete_association": {"association_id": ctx.world.association.id},
    }.get(endpoint) or needs_params(endpoint, ctx) or notifications_params(endpoint, ctx) or next(
        (found for part in AREA_PARTS if (found := part.params_for(endpoint, ctx))), {})


def expected_status(endpoint: str, method: str, role: str) -> int:
    value = EXPECTED[(endpoint, method)]
    if isinstance(value, int):
        return value
    return value.get(role, value.get("*"))
