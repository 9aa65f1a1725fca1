"""Typed errors raised from the API's RFC 9457 problem+json answers.

Every error answer of the API is a problem document (`type`, `title`, `status`, `detail`,
`request_id`, and for invalid input `errors[]` with JSON Pointer paths). `ApiError.from_response`
turns one into the subclass for its status, so callers can catch exactly what they can act on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class FieldError:
    """One invalid field: a JSON Pointer into the request body (`/options/speakers`), or
    `?name` for a query parameter, and what is wrong with it."""

    path: str
    message: str


class FactoryError(Exception):
    """Everything this package raises."""


class ApiError(FactoryError):
    """An error answer of the API (`application/problem+json`)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type: str = "about:blank",
        title: str = "",
        request_id: str | None = None,
        errors: list[FieldError] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}" if title else f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.type = type
        self.title = title
        self.request_id = request_id
        self.errors = errors or []
        self.retry_after = retry_after

    @staticmethod
    def from_response(response: httpx.Response) -> "ApiError":
        """The typed error of an answer with a 4xx or 5xx status."""
        problem: dict[str, Any] = {}
        try:
            body = json.loads(response.content)
            if isinstance(body, dict):
                problem = body
        except ValueError:
            pass
        errors = [
            FieldError(path=str(e.get("path", "")), message=str(e.get("message", "")))
            for e in problem.get("errors") or []
            if isinstance(e, dict)
        ]
        cls = _BY_STATUS.get(response.status_code, ApiError)
        return cls(
            response.status_code,
            str(problem.get("detail") or response.reason_phrase or ""),
            type=str(problem.get("type", "about:blank")),
            title=str(problem.get("title", "")),
            request_id=problem.get("request_id"),
            errors=errors,
            retry_after=retry_after(response),
        )


class BadRequest(ApiError):
    """400: the body is not JSON, or a query parameter is malformed."""


class Unauthorized(ApiError):
    """401: no API key, or an unknown one."""


class NotFound(ApiError):
    """404: no such job or file for this key."""


class Conflict(ApiError):
    """409: the `Idempotency-Key` was used for a different request."""


class PayloadTooLarge(ApiError):
    """413: the body is larger than the server accepts."""


class UnsupportedMediaType(ApiError):
    """415: the body, or the document sent, is of a type the server does not read."""


class ValidationError(ApiError):
    """422: invalid input; `errors` holds each field's path and message."""


class RateLimited(ApiError):
    """429: too many requests or the daily job quota is used up; wait `retry_after` seconds."""


class Unavailable(ApiError):
    """503: the service is briefly unavailable; wait `retry_after` seconds."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: ValidationError,
    429: RateLimited,
    503: Unavailable,
}


class JobTimeout(FactoryError):
    """The job did not end within the time given to `wait`."""

    def __init__(self, job_id: str, seconds: float) -> None:
        super().__init__(f"job {job_id} did not end within {seconds:g} s")
        self.job_id = job_id
        self.seconds = seconds


class IntegrityError(FactoryError):
    """A downloaded file does not have the SHA-256 the job lists for it."""


def retry_after(response: httpx.Response) -> float | None:
    """The `Retry-After` header in seconds (only the delay-seconds form is sent by the API)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
