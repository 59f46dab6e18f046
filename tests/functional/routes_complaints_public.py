"""Route x role declarations of the complaints area, public part (merged into
tests/functional/routes.py). Same conventions as routes_needs.py. (Being written: issue 6.)"""
from __future__ import annotations

EXPECTED: dict = {}


def make_objects(app, world, target_user) -> dict:
    """Objects this part's routes act on during the walk; they land in ``ctx.extra``."""
    return {}


def params_for(endpoint: str, ctx) -> dict:
    return {}
