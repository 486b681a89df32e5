"""Errors of the dispatch domain; each carries a Chinese message for users and an HTTP hint."""

from __future__ import annotations


class DispatchError(ValueError):
    """Base: ``str(err)`` is the Chinese reason; ``code`` a stable English key for clients."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, **detail: object) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def as_dict(self) -> dict[str, object]:
        return {"error": self.code, "message": self.message, **self.detail}


class InvalidCommand(DispatchError):
    """A field is missing or out of range (HTTP 422)."""

    status = 422
    code = "invalid_command"


class NotFound(DispatchError):
    """The incident or unit does not exist (HTTP 404)."""

    status = 404
    code = "not_found"


class InvalidTransition(DispatchError):
    """The state machine refuses the change (HTTP 409); nothing was written."""

    status = 409
    code = "invalid_transition"


class Conflict(DispatchError):
    """Someone else changed the case or took the unit first (HTTP 409); nothing was written."""

    status = 409
    code = "conflict"


class UnitUnavailable(Conflict):
    """A unit is full, off duty or was just taken; ``detail`` names who took it."""

    code = "unit_unavailable"


class NotAuthenticated(DispatchError):
    """No valid credentials came with the request (HTTP 401)."""

    status = 401
    code = "not_authenticated"


class Forbidden(DispatchError):
    """The caller's role, scopes or jurisdiction do not allow this (HTTP 403)."""

    status = 403
    code = "forbidden"


class TooManyAttempts(DispatchError):
    """Too many failed logins for this name from this address (HTTP 429)."""

    status = 429
    code = "too_many_attempts"
