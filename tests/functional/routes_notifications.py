"""Route x role declarations of the notifications area (merged into tests/functional/routes.py).

Same conventions as routes.py: one status for every role, or a dict per role with "*" for the
others. ``params_for`` gives URL parameters from the walk context (``ctx.world``, ``ctx.target_user``,
and ``ctx.extra``, a dict the area's fixture fills).
"""
from __future__ import annotations

from civicsante.notifications.services import unsubscribe_token

LOGIN = 302

EXPECTED: dict = {
    ("notifications.index", "GET"): {"anonymous": LOGIN, "*": 200},
    ("notifications.mark_all_read", "POST"): {"anonymous": LOGIN, "*": 303},
    # The link of an e-mail: no login needed, the signed token (of ctx.target_user) is the proof.
    ("notifications.unsubscribe", "GET"): 200,
    ("notifications.unsubscribe", "POST"): 303,
}


def make_objects(app, world, target_user) -> dict:
    """Objects this area's routes act on during the walk; they land in ``ctx.extra``."""
    with app.app_context():
        return {"unsubscribe_token": unsubscribe_token(target_user.id)}


def params_for(endpoint: str, ctx) -> dict:
    return {
        "notifications.unsubscribe": {"token": ctx.extra.get("unsubscribe_token")},
    }.get(endpoint, {})
