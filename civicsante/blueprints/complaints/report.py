"""(being written: issue 6)"""
from civicsante.blueprints.complaints import bp  # noqa: F401
