"""The models, one module per aggregate. Importing this package registers every table."""

from app.models.audit import AuditEvent
from app.models.country import Country
from app.models.library import FrameworkVersion, QuestionnaireVersion
from app.models.user import AccountToken, LoginAttempt, TokenPurpose, User

__all__ = [
    "AccountToken",
    "AuditEvent",
    "Country",
    "FrameworkVersion",
    "LoginAttempt",
    "QuestionnaireVersion",
    "TokenPurpose",
    "User",
]
