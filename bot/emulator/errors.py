"""Bot API errors shaped exactly like Telegram's answers."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A refused Bot API call.

    ``rule`` names the formatting, size or markup rule the call broke; such
    refusals are recorded as violations in ``/_emu/stats``.
    """

    def __init__(
        self,
        code: int,
        description: str,
        parameters: dict[str, Any] | None = None,
        rule: str | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters
        self.rule = rule

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str, rule: str | None = None) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}", rule=rule)


def forbidden(reason: str) -> ApiError:
    return ApiError(403, f"Forbidden: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429,
        f"Too Many Requests: retry after {retry_after}",
        {"retry_after": retry_after},
    )


class ControlError(Exception):
    """A control-API request the emulator cannot carry out (one sentence)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
