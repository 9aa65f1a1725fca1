from enum import StrEnum


class Length(StrEnum):
    LONG = "long"
    SHORT = "short"
    STANDARD = "standard"

    def __str__(self) -> str:
        return str(self.value)
