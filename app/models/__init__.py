"""The models, one module per aggregate. Importing this package registers every table."""

from app.models.assessment import (
    Answer,
    AnswerRevision,
    Assessment,
    AssessmentStatus,
    Clarification,
    EvidenceFile,
    ProvisionRating,
    Recommendation,
    RecommendationTemplate,
    ReviewComment,
    StageRating,
)
from app.models.audit import AuditEvent
from app.models.capacity import (
    Activity,
    ActivityDocument,
    ActivityNeed,
    ActivityStatus,
    AssistanceRequest,
    Contact,
    ContactNetwork,
    ContactRevision,
    ContactTest,
    Need,
    NeedStatus,
    Provider,
)
from app.models.country import Country
from app.models.cycle import Cycle, CycleStatus
from app.models.library import FrameworkVersion, QuestionnaireVersion
from app.models.user import AccountToken, ApiToken, LoginAttempt, TokenPurpose, User

__all__ = [
    "AccountToken",
    "Activity",
    "ActivityDocument",
    "ActivityNeed",
    "ActivityStatus",
    "Answer",
    "AnswerRevision",
    "ApiToken",
    "Assessment",
    "AssessmentStatus",
    "AssistanceRequest",
    "AuditEvent",
    "Clarification",
    "Contact",
    "ContactNetwork",
    "ContactRevision",
    "ContactTest",
    "Country",
    "Cycle",
    "CycleStatus",
    "EvidenceFile",
    "FrameworkVersion",
    "LoginAttempt",
    "Need",
    "NeedStatus",
    "Provider",
    "ProvisionRating",
    "QuestionnaireVersion",
    "Recommendation",
    "RecommendationTemplate",
    "ReviewComment",
    "StageRating",
    "TokenPurpose",
    "User",
]
