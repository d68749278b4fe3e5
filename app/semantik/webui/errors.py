"""Domain errors raised by webui's services and mapped to HTTP statuses in one place (app.py), so
the CLI can call the same services and print the same messages."""

from __future__ import annotations


class SemantikError(Exception):
    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(SemantikError):
    status_code = 400


class Unauthorized(SemantikError):
    status_code = 401


class Forbidden(SemantikError):
    status_code = 403


class NotFound(SemantikError):
    status_code = 404


class Conflict(SemantikError):
    status_code = 409


class TooManyAttempts(SemantikError):
    status_code = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class UpstreamUnavailable(SemantikError):
    status_code = 503
