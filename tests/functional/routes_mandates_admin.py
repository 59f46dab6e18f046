"""Route x role declarations of the mandates area, admin part (merged into
tests/functional/routes.py). Same conventions as routes_needs.py.

Everything under /admin/mandats/ is for admins only: anyone else signed in gets 403 (the
"user_representative" of the walk included), anonymous visitors go to the login page. The walk's
CDU (in its own establishment, with its own association, so that the reference walk may still
delete ``world.hospital`` and ``world.association``) has:
- a proposed mandate: its designation form, POSTed empty, is refused (422);
- a designated mandate that started a year ago: activated (303), its office saved with no office
  (303), renewed (303: a proposal from the day after its end), its end form refused empty (422);
- a seat without mandates and an association contact, removed last.
"""
from __future__ import annotations

from datetime import date, timedelta

from tests.support.factories import make_association, make_establishment, make_user
from tests.support.mandates import (
    instance_type_id,
    make_association_contact,
    make_instance,
    make_mandate,
    seat_ids,
)

LOGIN = 302
ADMIN_PAGE = {"anonymous": LOGIN, "admin": 200, "*": 403}
ADMIN_FORM = {"anonymous": LOGIN, "admin": 422, "*": 403}
ADMIN_ACTS = {"anonymous": LOGIN, "admin": 303, "*": 403}

EXPECTED: dict = {
    ("mandates.admin_instance_types", "GET"): ADMIN_PAGE,
    ("mandates.admin_edit_instance_type", "GET"): ADMIN_PAGE,
    # An empty POST: the numbers must be typed (InputRequired), so it is refused.
    ("mandates.admin_edit_instance_type", "POST"): ADMIN_FORM,
    ("mandates.admin_instances", "GET"): ADMIN_PAGE,
    ("mandates.admin_new_instance", "GET"): ADMIN_PAGE,
    ("mandates.admin_new_instance", "POST"): ADMIN_FORM,
    ("mandates.admin_instance", "GET"): ADMIN_PAGE,
    ("mandates.admin_add_seat", "POST"): ADMIN_FORM,
    ("mandates.admin_default_seats", "POST"): ADMIN_ACTS,  # it has seats already: refused, flashed
    ("mandates.admin_mandates", "GET"): ADMIN_PAGE,
    ("mandates.admin_propose_mandate", "GET"): ADMIN_PAGE,
    ("mandates.admin_propose_mandate", "POST"): ADMIN_FORM,
    ("mandates.admin_mandate", "GET"): ADMIN_PAGE,
    ("mandates.admin_designate", "POST"): ADMIN_FORM,
    ("mandates.admin_activate", "POST"): ADMIN_ACTS,
    ("mandates.admin_set_office", "POST"): ADMIN_ACTS,
    ("mandates.admin_renew", "POST"): ADMIN_ACTS,
    ("mandates.admin_end_mandate", "POST"): ADMIN_FORM,
    ("mandates.admin_associations", "GET"): ADMIN_PAGE,
    ("mandates.admin_association_contacts", "GET"): ADMIN_PAGE,
    ("mandates.admin_association_contacts", "POST"): ADMIN_FORM,
    # These really remove: walked after the pages that show them.
    ("mandates.admin_remove_seat", "POST"): ADMIN_ACTS,
    ("mandates.admin_remove_contact", "POST"): ADMIN_ACTS,
}


def make_objects(app, world, target_user) -> dict:
    """Objects this part's routes act on during the walk; they land in ``ctx.extra``."""
    association = make_association(app, name="Association du parcours (admin des mandats)")
    hospital = make_establishment(app, territory_id=world.commune.id, name="CH du parcours (admin des mandats)")
    instance = make_instance(app, territory_id=world.commune.id, establishment_id=hospital.id,
                             name="CDU du parcours (admin)",
                             seats=("ru_titulaire", "ru_titulaire", "ru_suppleant", "mediateur_medecin"))
    seats = seat_ids(app, instance.id)
    proposed = make_mandate(app, seat_id=seats[0], user_id=make_user(app).id, association_id=association.id,
                            status="propose", starts_on=date.today() + timedelta(days=30), grant_role=False)
    designated = make_mandate(app, seat_id=seats[1], user_id=make_user(app).id, association_id=association.id,
                              status="designe", starts_on=date.today() - timedelta(days=365))
    contact = make_association_contact(app, association_id=association.id, user_id=make_user(app).id)
    return {"admin_type_id": instance_type_id(app, "cdu"), "admin_instance_id": instance.id,
            "admin_free_seat_id": seats[3], "admin_proposed_id": proposed.id,
            "admin_designated_id": designated.id, "admin_association_id": association.id,
            "admin_contact_id": contact.id}


_INSTANCE = {"mandates.admin_instance", "mandates.admin_add_seat", "mandates.admin_default_seats",
             "mandates.admin_propose_mandate"}
_DESIGNATED = {"mandates.admin_mandate", "mandates.admin_activate", "mandates.admin_set_office",
               "mandates.admin_renew", "mandates.admin_end_mandate"}


def params_for(endpoint: str, ctx) -> dict:
    if endpoint in _INSTANCE:
        return {"instance_id": ctx.extra["admin_instance_id"]}
    if endpoint in _DESIGNATED:
        return {"mandate_id": ctx.extra["admin_designated_id"]}
    return {
        "mandates.admin_edit_instance_type": {"type_id": ctx.extra.get("admin_type_id")},
        "mandates.admin_designate": {"mandate_id": ctx.extra.get("admin_proposed_id")},
        "mandates.admin_remove_seat": {"seat_id": ctx.extra.get("admin_free_seat_id")},
        "mandates.admin_association_contacts": {"association_id": ctx.extra.get("admin_association_id")},
        "mandates.admin_remove_contact": {"contact_id": ctx.extra.get("admin_contact_id")},
    }.get(endpoint, {})
