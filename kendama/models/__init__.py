"""All models, importable from one place (Alembic and the app load them through here)."""

from .availability import CalendarBusyTime, DateOverride, SessionAvailability, WeeklyWindow
from .calendars import CalendarConnection, CalendarEventWrite
from .coaching import (
    ClipAccess,
    CoachNote,
    PlayerTrick,
    PracticeClip,
    ProgressMark,
    ProgressState,
    SessionGoal,
    Trick,
    TrickFamily,
)
from .guardians import GuardianConsent, GuardianState
from .no_shows import NoShowOutcome, NoShowReport
from .operations import BetaAllowlistEntry, Notification, PlatformSetting, WebhookEvent
from .packages import CreditState, LessonPackage, PackageCredit, PackagePurchase, PurchaseStatus
from .payments import TROUBLED_REFUNDS, Payment, PaymentStatus, Refund, RefundStatus
from .recordings import RecordingAccess, RecordingShareLink, SessionRecording
from .reviews import Review, ReviewModeration, ReviewReport
from .sessions import ACTIVE_STATUSES, RELEASED_STATUSES, ConsentRecord, LiveSession, SessionFeedback, SessionStatus
from .types import UTCDateTime, utcnow
from .users import ApiToken, Offering, PayoutState, PlayerLanguage, Profile, Role, SignIn, User, VerificationState
from .waitlist import WaitlistEntry, WaitlistState

__all__ = [
    "TrickFamily",
    "Trick",
    "SessionGoal",
    "ProgressState",
    "ProgressMark",
    "PracticeClip",
    "PlayerTrick",
    "CoachNote",
    "ClipAccess",
    "CreditState",
    "LessonPackage",
    "PackageCredit",
    "PackagePurchase",
    "PurchaseStatus",
    "GuardianConsent",
    "GuardianState",
    "NoShowOutcome",
    "NoShowReport",
    "WaitlistEntry",
    "WaitlistState",
    "ACTIVE_STATUSES",
    "ApiToken",
    "BetaAllowlistEntry",
    "CalendarBusyTime",
    "CalendarConnection",
    "CalendarEventWrite",
    "ConsentRecord",
    "DateOverride",
    "LiveSession",
    "Notification",
    "Offering",
    "Payment",
    "PaymentStatus",
    "PayoutState",
    "PlayerLanguage",
    "PlatformSetting",
    "Profile",
    "RELEASED_STATUSES",
    "RecordingAccess",
    "RecordingShareLink",
    "Refund",
    "RefundStatus",
    "Review",
    "ReviewModeration",
    "ReviewReport",
    "Role",
    "SessionAvailability",
    "SessionFeedback",
    "SessionRecording",
    "SessionStatus",
    "SignIn",
    "TROUBLED_REFUNDS",
    "User",
    "UTCDateTime",
    "VerificationState",
    "WeeklyWindow",
    "WebhookEvent",
    "utcnow",
]
