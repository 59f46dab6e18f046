"""Route x role declarations of the notifications area (merged into tests/functional/routes.py).

Same conventions as routes.py: one status for every role, or a dict per role with "*" for the
others. ``params_for`` gives URL parameters from the walk context (``ctx.world``, ``ctx.target_user``,
and ``ctx.extra``, a dict the area's fixture fills).
"""
from __future__ import annotations

EXPECTED: dict = {}


def make_objects(app, world, target_user) -> dict:
    """Objects this area's routes act on during the walk; they land in ``ctx.extra``."""
    return {}


def params_for(endpoint: str, ctx) -> dict:
    return {}
