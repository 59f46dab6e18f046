from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from flask_babel import lazy_gettext as _l

from civicsante.blueprints.admin import reference_routes, routes  # noqa: F401

# The administration menu; each area adds its sections here.
SECTIONS = [
    ("admin.index", _l("Overview")),
    ("admin.territories", _l("Territories")),
    ("admin.establishments", _l("Establishments")),
    ("admin.associations", _l("Approved associations")),
    ("admin.users", _l("People and roles")),
    # Mandates (issue 5): the rules of each type of body, instances and seats, mandates.
    ("mandates.admin_instance_types", _l("Instance types")),
    ("mandates.admin_instances", _l("Instances and seats")),
    ("mandates.admin_mandates", _l("Mandates")),
    ("mandates.admin_associations", _l("Association contacts")),
    ("admin.audit_log", _l("Audit log")),
]


@bp.app_context_processor
def _admin_menu():
    return {"admin_sections": lambda: SECTIONS}
