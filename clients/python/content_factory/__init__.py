"""Python client of the AI Content Factory HTTP API.

`Factory` is the convenience layer (submit, wait, download, typed errors); the generated
client of every operation and model is `content_factory.generated`, regenerated from
`docs/openapi.json` by `scripts/clients`.
"""

from .errors import (
    ApiError,
    BadRequest,
    Conflict,
    FactoryError,
    FieldError,
    IntegrityError,
    JobTimeout,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
    ValidationError,
)
from .factory import TERMINAL, Factory

__all__ = [
    "ApiError",
    "BadRequest",
    "Conflict",
    "Factory",
    "FactoryError",
    "FieldError",
    "IntegrityError",
    "JobTimeout",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "TERMINAL",
    "Unauthorized",
    "Unavailable",
    "UnsupportedMediaType",
    "ValidationError",
]
