"""Domain errors: raised by services, shown by routes as a French message next to the right field."""
from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the action. ``message`` is a (lazy) translatable string;
    ``field`` names the form field the message belongs next to, if any."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    """The actor may not do this to this object (the route answers 403)."""
