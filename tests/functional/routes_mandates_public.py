"""Route x role declarations of the mandates area, public part (merged into
tests/functional/routes.py): the vacant-seat board and the residents' interest, the association
contact's pages, the representativeness figures. Same conventions as routes_needs.py.

The walk's people are no association's contacts: only the admin reaches the association pages.
Objects: an association of its own (the admin walk deletes ``world.association`` before these
routes), a CTS in ``world.commune`` with a vacant seat (the interest form; every signed-in role's
empty POST registers its interest, message optional: 303) and an interest to follow up (an
empty POST lacks the status: 422 for the admin).
"""
from __future__ import annotations

from datetime import date, timedelta

LOGIN = 302
SIGNED_IN_PAGE = {"anonymous": LOGIN, "*": 200}
CONTACT_PAGE = {"anonymous": LOGIN, "admin": 200, "*": 403}

EXPECTED: dict = {
    ("mandates.board", "GET"): 200,
    ("mandates.seat_interest", "GET"): SIGNED_IN_PAGE,
    ("mandates.seat_interest", "POST"): {"anonymous": LOGIN, "*": 303},
    ("mandates.my_associations", "GET"): CONTACT_PAGE,
    ("mandates.association_people", "GET"): CONTACT_PAGE,
    ("mandates.interests", "GET"): CONTACT_PAGE,
    ("mandates.follow_up", "GET"): CONTACT_PAGE,
    ("mandates.follow_up", "POST"): {"anonymous": LOGIN, "admin": 422, "*": 403},
    ("mandates.representativeness", "GET"): 200,
    ("mandates.representativeness_csv", "GET"): 200,
}


def make_objects(app, world, target_user) -> dict:
    """Objects this part's routes act on during the walk; they land in ``ctx.extra``."""
    from civicsante.extensions import db
    from civicsante.mandates.models import SeatInterest
    from tests.support.factories import make_association, make_user
    from tests.support.mandates import make_instance, make_mandate, seat_ids

    association = make_association(app, name="Association de la marche", territory_id=world.region.id)
    instance = make_instance(app, territory_id=world.commune.id, type_code="cts", name="CTS de la marche",
                             seats=("ru_titulaire", "ru_suppleant"))
    held, vacant = seat_ids(app, instance.id)
    holder = make_user(app, pseudonym="Titulaire de la marche")
    make_mandate(app, seat_id=held, user_id=holder.id, association_id=association.id,
                 starts_on=date.today() - timedelta(days=30), ends_on=date.today() + timedelta(days=900))
    resident = make_user(app, pseudonym="Intéressée de la marche")
    with app.app_context():
        interest = SeatInterest(seat_id=vacant, user_id=resident.id, message="Je suis disponible.")
        db.session.add(interest)
        db.session.commit()
        interest_id = interest.id
    return {"public_association_id": association.id, "public_vacant_seat_id": vacant,
            "public_interest_id": interest_id}


def params_for(endpoint: str, ctx) -> dict:
    if endpoint == "mandates.seat_interest":
        return {"seat_id": ctx.extra["public_vacant_seat_id"]}
    if endpoint == "mandates.association_people":
        return {"association_id": ctx.extra["public_association_id"]}
    if endpoint == "mandates.follow_up":
        return {"interest_id": ctx.extra["public_interest_id"]}
    return {}
