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
        audio (bool | Unset): Whether the podcast also gets audio and captions (when the deployment has a speech
            engine); `false` skips them. Default: True.
        counts (Counts | Unset): Item counts per kind, such as `{"faq": 8, "flashcards": 20}`.
        duration_minutes (int | None | Unset): Target length of the podcast episode in minutes; the script's length
            follows it
            (about 900 spoken characters a minute). Unset: the length option decides.
        language (None | str | Unset): BCP 47 language tag of the output. Left out: the language the source is written
            in
            (detected when the job is accepted), else English.
        length (Length | Unset): How much material: scales every count.
        level (Level | Unset): How deep the material goes.
        speakers (int | Unset): Number of podcast voices, 1 to 4. Default: 2.
        speaking_rate (int | Unset): Speaking rate of the podcast audio in percent of the voices' normal rate. Default:
            100.
        voices (list[str] | Unset): A voice per speaker, in speaker order, by the speech engine's voice name
            (`en+m3` for espeak-ng, `en-US-Chirp3-HD-Charon` for Cloud Text-to-Speech); speakers
            without one get the engine's default voice for them.
    """

    audience: None | str | Unset = UNSET
    audio: bool | Unset = True
    counts: Counts | Unset = UNSET
    duration_minutes: int | None | Unset = UNSET
    language: None | str | Unset = UNSET
    length: Length | Unset = UNSET
    level: Level | Unset = UNSET
    speakers: int | Unset = 2
    speaking_rate: int | Unset = 100
    voices: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        audience: None | str | Unset
        if isinstance(self.audience, Unset):
            audience = UNSET
        else:
            audience = self.audience

        audio = self.audio

        counts: dict[str, Any] | Unset = UNSET
        if not isinstance(self.counts, Unset):
            counts = self.counts.to_dict()

        duration_minutes: int | None | Unset
        if isinstance(self.duration_minutes, Unset):
            duration_minutes = UNSET
        else:
            duration_minutes = self.duration_minutes

        language: None | str | Unset
        if isinstance(self.language, Unset):
            language = UNSET
        else:
            language = self.language

        length: str | Unset = UNSET
        if not isinstance(self.length, Unset):
            length = self.length.value

        level: str | Unset = UNSET
        if not isinstance(self.level, Unset):
            level = self.level.value

        speakers = self.speakers

        speaking_rate = self.speaking_rate

        voices: list[str] | Unset = UNSET
        if not isinstance(self.voices, Unset):
            voices = self.voices

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if audience is not UNSET:
            field_dict["audience"] = audience
        if audio is not UNSET:
            field_dict["audio"] = audio
        if counts is not UNSET:
            field_dict["counts"] = counts
        if duration_minutes is not UNSET:
            field_dict["duration_minutes"] = duration_minutes
        if language is not UNSET:
            field_dict["language"] = language
        if length is not UNSET:
            field_dict["length"] = length
        if level is not UNSET:
            field_dict["level"] = level
        if speakers is not UNSET:
            field_dict["speakers"] = speakers
        if speaking_rate is not UNSET:
            field_dict["speaking_rate"] = speaking_rate
        if voices is not UNSET:
            field_dict["voices"] = voices

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

        audio = d.pop("audio", UNSET)

        _counts = d.pop("counts", UNSET)
        counts: Counts | Unset
        if isinstance(_counts, Unset):
            counts = UNSET
        else:
            counts = Counts.from_dict(_counts)

        def _parse_duration_minutes(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        duration_minutes = _parse_duration_minutes(d.pop("duration_minutes", UNSET))

        def _parse_language(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        language = _parse_language(d.pop("language", UNSET))

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

        speaking_rate = d.pop("speaking_rate", UNSET)

        voices = cast(list[str], d.pop("voices", UNSET))

        options = cls(
            audience=audience,
            audio=audio,
            counts=counts,
            duration_minutes=duration_minutes,
            language=language,
            length=length,
            level=level,
            speakers=speakers,
            speaking_rate=speaking_rate,
            voices=voices,
        )

        return options
