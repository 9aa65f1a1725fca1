from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.length import Length
from ..models.level import Level
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.counts import Counts


T = TypeVar("T", bound="Options")


@_attrs_define
class Options:
    """Options of one job. Every field has a default, so `{}` is valid.

    Attributes:
        audience (None | str | Unset): Who the material is for, in a few words ("first-year nursing students").
        counts (Counts | Unset): Item counts per kind, such as `{"faq": 8, "flashcards": 20}`.
        language (str | Unset): BCP 47 language tag of the output. Default: 'en'.
        length (Length | Unset): How much material: scales every count.
        level (Level | Unset): How deep the material goes.
        speakers (int | Unset): Number of podcast voices, 1 to 4. Default: 2.
    """

    audience: None | str | Unset = UNSET
    counts: Counts | Unset = UNSET
    language: str | Unset = "en"
    length: Length | Unset = UNSET
    level: Level | Unset = UNSET
    speakers: int | Unset = 2

    def to_dict(self) -> dict[str, Any]:
        audience: None | str | Unset
        if isinstance(self.audience, Unset):
            audience = UNSET
        else:
            audience = self.audience

        counts: dict[str, Any] | Unset = UNSET
        if not isinstance(self.counts, Unset):
            counts = self.counts.to_dict()

        language = self.language

        length: str | Unset = UNSET
        if not isinstance(self.length, Unset):
            length = self.length.value

        level: str | Unset = UNSET
        if not isinstance(self.level, Unset):
            level = self.level.value

        speakers = self.speakers

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if audience is not UNSET:
            field_dict["audience"] = audience
        if counts is not UNSET:
            field_dict["counts"] = counts
        if language is not UNSET:
            field_dict["language"] = language
        if length is not UNSET:
            field_dict["length"] = length
        if level is not UNSET:
            field_dict["level"] = level
        if speakers is not UNSET:
            field_dict["speakers"] = speakers

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.counts import Counts  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_audience(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        audience = _parse_audience(d.pop("audience", UNSET))

        _counts = d.pop("counts", UNSET)
        counts: Counts | Unset
        if isinstance(_counts, Unset):
            counts = UNSET
        else:
            counts = Counts.from_dict(_counts)

        language = d.pop("language", UNSET)

        _length = d.pop("length", UNSET)
        length: Length | Unset
        if isinstance(_length, Unset):
            length = UNSET
        else:
            length = Length(_length)

        _level = d.pop("level", UNSET)
        level: Level | Unset
        if isinstance(_level, Unset):
            level = UNSET
        else:
            level = Level(_level)

        speakers = d.pop("speakers", UNSET)

        options = cls(
            audience=audience,
            counts=counts,
            language=language,
            length=length,
            level=level,
            speakers=speakers,
        )

        return options
