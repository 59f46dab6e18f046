"""Imports every model so the metadata (and Alembic's autogenerate) sees all tables."""
from civicsante.accounts.models import RoleAssignment, User, UserSession  # noqa: F401
from civicsante.audit import AuditEntry  # noqa: F401
from civicsante.cache import DataGeneration  # noqa: F401
from civicsante.needs.models import (  # noqa: F401
    AbuseReport,
    Comment,
    Follower,
    Need,
    NeedCategory,
    Notification,
    StatusChange,
    Support,
)
from civicsante.reference.models import Association, Establishment, Territory  # noqa: F401
from civicsante.consultations.models import (  # noqa: F401
    Ballot,
    BallotMark,
    Consultation,
    Milestone,
    PaperBatch,
    Participation,
    Priority,
    PriorityNeed,
)
from civicsante.mandates.models import (  # noqa: F401
    AlertSent,
    AssociationContact,
    Attendance,
    CalendarFeed,
    HoursEntry,
    Instance,
    InstanceType,
    LeaveRequest,
    Mandate,
    Meeting,
    Seat,
    SeatInterest,
    Training,
)
from civicsante.complaints.models import (  # noqa: F401
    Attachment,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    DeadlineReminder,
    MedicalPart,
    Opinion,
    Recommendation,
    Recusal,
    Referral,
    Reply,
    ReportSection,
    SessionItem,
)
