"""The one exception family. Every expected failure is a CtaskSyncError whose message says
what went wrong, where, and what to do; the CLI prints it without a traceback and exits 1."""

from __future__ import annotations


class CtaskSyncError(Exception):
    """An expected failure with an actionable message."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class ConfigError(CtaskSyncError):
    """Bad command-line options or environment (missing endpoint, token on argv, ...)."""


class ManifestError(CtaskSyncError):
    """One or more manifests are invalid; `findings` holds every problem found."""

    def __init__(self, message: str, findings: list[object] | None = None) -> None:
        super().__init__(message)
        self.findings = findings or []


class ApiError(CtaskSyncError):
    """DataRobot answered with an error status, or could not be reached."""

    def __init__(
        self,
        method: str,
        path: str,
        status: int | None,
        message: str,
        *,
        hint: str | None = None,
        body: object = None,
    ) -> None:
        where = f"{method} {path}"
        status_text = f"HTTP {status}" if status is not None else "no response"
        super().__init__(f"DataRobot {where} failed ({status_text}): {message}", hint=hint)
        self.method = method
        self.path = path
        self.status = status
        self.api_message = message
        self.body = body  # DataRobot's JSON error body, when it sent one (e.g. a 409's conflicts)


class OutcomeUnknownError(ApiError):
    """A write was sent but its outcome is unknown (timeout, dropped connection).

    It is never re-sent blindly: the engine re-reads remote state and decides."""


class BuildError(CtaskSyncError):
    """A dependency build failed or did not finish before its deadline."""
