"""Route x role declarations of the needs area (merged into tests/functional/routes.py).

Same conventions as routes.py: one status for every role, or a dict per role with "*" for the
others. ``params_for`` gives URL parameters from the walk context (``ctx.world``, ``ctx.target_user``,
and ``ctx.extra``, a dict the area's fixture fills).

The walk's need is in ``world.quartier``, inside the commune the "facilitator" role facilitates;
its comment is by ``ctx.target_user``, so nobody walking may edit or delete it.
"""
from __future__ import annotations

from tests.support.factories import make_comment, make_need

LOGIN = 302
SIGNED_IN = {"anonymous": LOGIN, "*": 200}
SIGNED_IN_FORM = {"anonymous": LOGIN, "*": 422}
SIGNED_IN_ACTS = {"anonymous": LOGIN, "*": 303}
NOT_THE_AUTHOR = {"anonymous": LOGIN, "*": 403}
FACILITATOR_PAGE = {"anonymous": LOGIN, "facilitator": 200, "*": 403}
FACILITATOR_FORM = {"anonymous": LOGIN, "facilitator": 422, "*": 403}
FACILITATOR_ACTS = {"anonymous": LOGIN, "facilitator": 303, "*": 403}

EXPECTED: dict = {
    ("needs.index", "GET"): 200,
    ("needs.detail", "GET"): 200,
    ("needs.similar", "GET"): 200,
    ("needs.new", "GET"): SIGNED_IN,
    ("needs.new", "POST"): SIGNED_IN_FORM,
    ("needs.comment", "POST"): SIGNED_IN_FORM,
    ("needs.edit_comment", "GET"): NOT_THE_AUTHOR,
    ("needs.edit_comment", "POST"): NOT_THE_AUTHOR,
    ("needs.delete_comment", "POST"): NOT_THE_AUTHOR,
    ("needs.report_need", "GET"): SIGNED_IN,
    ("needs.report_need", "POST"): SIGNED_IN_FORM,
    ("needs.report_comment", "GET"): SIGNED_IN,
    ("needs.report_comment", "POST"): SIGNED_IN_FORM,
    ("needs.moderation", "GET"): FACILITATOR_PAGE,
    ("needs.hide", "GET"): FACILITATOR_PAGE,
    ("needs.hide", "POST"): FACILITATOR_FORM,
    ("needs.hide_comment", "GET"): FACILITATOR_PAGE,
    ("needs.hide_comment", "POST"): FACILITATOR_FORM,
    ("needs.set_status", "GET"): FACILITATOR_PAGE,
    ("needs.set_status", "POST"): FACILITATOR_FORM,
    ("needs.merge", "GET"): FACILITATOR_PAGE,
    ("needs.merge", "POST"): FACILITATOR_FORM,
    ("needs.new_on_behalf", "GET"): FACILITATOR_PAGE,
    ("needs.new_on_behalf", "POST"): FACILITATOR_FORM,
    ("needs.support_on_behalf", "GET"): FACILITATOR_PAGE,
    ("needs.support_on_behalf", "POST"): FACILITATOR_FORM,
    ("needs.export", "GET"): FACILITATOR_PAGE,
    # These act on the need (restoring a visible item changes nothing visible).
    ("needs.restore", "POST"): FACILITATOR_ACTS,
    ("needs.restore_comment", "POST"): FACILITATOR_ACTS,
    ("needs.support", "POST"): SIGNED_IN_ACTS,
    ("needs.withdraw_support", "POST"): SIGNED_IN_ACTS,
    ("needs.follow", "POST"): SIGNED_IN_ACTS,
    ("needs.unfollow", "POST"): SIGNED_IN_ACTS,
}


def make_objects(app, world, target_user) -> dict:
    """Objects this area's routes act on during the walk; they land in ``ctx.extra``."""
    need = make_need(app, territory_id=world.quartier.id, title="Pas de kinésithérapeute aux Tilleuls")
    comment = make_comment(app, need_id=need.id, author_id=target_user.id)
    return {"need_id": need.id, "comment_id": comment.id, "territory_id": world.commune.id}


_NEED = {"needs.detail", "needs.support", "needs.withdraw_support", "needs.follow", "needs.unfollow",
         "needs.comment", "needs.report_need", "needs.hide", "needs.restore", "needs.set_status",
         "needs.merge", "needs.support_on_behalf"}
_COMMENT = {"needs.edit_comment", "needs.delete_comment", "needs.report_comment", "needs.hide_comment",
            "needs.restore_comment"}


def params_for(endpoint: str, ctx) -> dict:
    if endpoint in _NEED:
        return {"need_id": ctx.extra["need_id"]}
    if endpoint in _COMMENT:
        return {"comment_id": ctx.extra["comment_id"]}
    if endpoint == "needs.export":
        return {"territory_id": ctx.extra["territory_id"]}
    return {}
