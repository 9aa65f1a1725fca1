from enum import StrEnum


class ErrorCode(StrEnum):
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"
    AUDIO_TOO_LONG = "audio_too_long"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"
    DEPENDENCY_FAILED = "dependency_failed"
    INTERNAL = "internal"
    INVALID_OUTPUT = "invalid_output"
    INVALID_REQUEST = "invalid_request"
    MODEL_AUTH = "model_auth"
    RATE_LIMITED = "rate_limited"
    SOURCE_TOO_THIN = "source_too_thin"
    SPEECH_FAILED = "speech_failed"
    SPEECH_UNAVAILABLE = "speech_unavailable"
    STORE_UNAVAILABLE = "store_unavailable"
    TIMEOUT = "timeout"
    TRUNCATED = "truncated"
    UNAVAILABLE = "unavailable"
    UNSUPPORTED_LANGUAGE = "unsupported_language"

    def __str__(self) -> str:
        return str(self.value)
