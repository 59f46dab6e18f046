"""(being written: issue 5)"""
from civicsante.blueprints.mandates import bp  # noqa: F401
