"""The audit of complaint reads (DESIGN.md §7: every read of a complaint is logged; issue 6:
every refusal too). Only identifiers and the part read go to the log — never complaint text."""
from __future__ import annotations

from civicsante import audit


def record_read(user, complaint, part: str = "file") -> None:
    """One row per successful read of ``part`` ("file", "medical", "attachment", "timeline"…)."""
    audit.record(user, "complaint.read", complaint, part=part)


def record_refusal(user, complaint, part: str = "file") -> None:
    """One row per refused attempt, so an abuse shows in the log."""
    audit.record(user, "complaint.read_refused", complaint, part=part)
