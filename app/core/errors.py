"""Errors that services raise and views translate: each carries the HTTP status to answer, the
message a person reads, and the input at fault, if any."""

from __future__ import annotations


class ServiceError(Exception):
    """A refused step: ``status`` is the HTTP status, ``field`` the input at fault, if any."""

    status = 409

    def __init__(self, message, *, field: str | None = None, status: int | None = None, **extra):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.extra = extra
        if status is not None:
            self.status = status


class NotFound(ServiceError):
    """The object does not exist (or its existence is private)."""

    status = 404


class Forbidden(ServiceError):
    """The user may not take this step."""

    status = 403


class Invalid(ServiceError):
    """An input does not fit: ``field`` names it."""

    status = 422


class Refused(ServiceError):
    """The step is not possible in the object's current state."""

    status = 409
