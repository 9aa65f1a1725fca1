from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.kind import Kind
from ..models.step_status import StepStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.failure import Failure
    from ..models.quality import Quality
    from ..models.usage import Usage


T = TypeVar("T", bound="Step")


@_attrs_define
class Step:
    """
    Attributes:
        attempts (int):
        cache_hit (bool):
        kind (Kind): One kind of learning material. The slug (`faq`, `podcast-script`, …) is the public name
            used in routes, options and file names.
        status (StepStatus):
        usage (Usage):
        audio_error (Failure | None | Unset):
        duration_ms (int | None | Unset):
        engine (None | str | Unset):
        engine_version (None | str | Unset):
        error (Failure | None | Unset):
        finished_at (None | str | Unset):
        quality (None | Quality | Unset):
        queued_at (None | str | Unset):
        started_at (None | str | Unset):
    """

    attempts: int
    cache_hit: bool
    kind: Kind
    status: StepStatus
    usage: Usage
    audio_error: Failure | None | Unset = UNSET
    duration_ms: int | None | Unset = UNSET
    engine: None | str | Unset = UNSET
    engine_version: None | str | Unset = UNSET
    error: Failure | None | Unset = UNSET
    finished_at: None | str | Unset = UNSET
    quality: None | Quality | Unset = UNSET
    queued_at: None | str | Unset = UNSET
    started_at: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.failure import Failure  # noqa: PLC0415
        from ..models.quality import Quality  # noqa: PLC0415

        attempts = self.attempts

        cache_hit = self.cache_hit

        kind = self.kind.value

        status = self.status.value

        usage = self.usage.to_dict()

        audio_error: dict[str, Any] | None | Unset
        if isinstance(self.audio_error, Unset):
            audio_error = UNSET
        elif isinstance(self.audio_error, Failure):
            audio_error = self.audio_error.to_dict()
        else:
            audio_error = self.audio_error

        duration_ms: int | None | Unset
        if isinstance(self.duration_ms, Unset):
            duration_ms = UNSET
        else:
            duration_ms = self.duration_ms

        engine: None | str | Unset
        if isinstance(self.engine, Unset):
            engine = UNSET
        else:
            engine = self.engine

        engine_version: None | str | Unset
        if isinstance(self.engine_version, Unset):
            engine_version = UNSET
        else:
            engine_version = self.engine_version

        error: dict[str, Any] | None | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        elif isinstance(self.error, Failure):
            error = self.error.to_dict()
        else:
            error = self.error

        finished_at: None | str | Unset
        if isinstance(self.finished_at, Unset):
            finished_at = UNSET
        else:
            finished_at = self.finished_at

        quality: dict[str, Any] | None | Unset
        if isinstance(self.quality, Unset):
            quality = UNSET
        elif isinstance(self.quality, Quality):
            quality = self.quality.to_dict()
        else:
            quality = self.quality

        queued_at: None | str | Unset
        if isinstance(self.queued_at, Unset):
            queued_at = UNSET
        else:
            queued_at = self.queued_at

        started_at: None | str | Unset
        if isinstance(self.started_at, Unset):
            started_at = UNSET
        else:
            started_at = self.started_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempts": attempts,
                "cache_hit": cache_hit,
                "kind": kind,
                "status": status,
                "usage": usage,
            }
        )
        if audio_error is not UNSET:
            field_dict["audio_error"] = audio_error
        if duration_ms is not UNSET:
            field_dict["duration_ms"] = duration_ms
        if engine is not UNSET:
            field_dict["engine"] = engine
        if engine_version is not UNSET:
            field_dict["engine_version"] = engine_version
        if error is not UNSET:
            field_dict["error"] = error
        if finished_at is not UNSET:
            field_dict["finished_at"] = finished_at
        if quality is not UNSET:
            field_dict["quality"] = quality
        if queued_at is not UNSET:
            field_dict["queued_at"] = queued_at
        if started_at is not UNSET:
            field_dict["started_at"] = started_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.failure import Failure  # noqa: PLC0415
        from ..models.quality import Quality  # noqa: PLC0415
        from ..models.usage import Usage  # noqa: PLC0415

        d = dict(src_dict)
        attempts = d.pop("attempts")

        cache_hit = d.pop("cache_hit")

        kind = Kind(d.pop("kind"))

        status = StepStatus(d.pop("status"))

        usage = Usage.from_dict(d.pop("usage"))

        def _parse_audio_error(data: object) -> Failure | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                audio_error_type_1 = Failure.from_dict(data)

                return audio_error_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Failure | None | Unset, data)

        audio_error = _parse_audio_error(d.pop("audio_error", UNSET))

        def _parse_duration_ms(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        duration_ms = _parse_duration_ms(d.pop("duration_ms", UNSET))

        def _parse_engine(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        engine = _parse_engine(d.pop("engine", UNSET))

        def _parse_engine_version(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        engine_version = _parse_engine_version(d.pop("engine_version", UNSET))

        def _parse_error(data: object) -> Failure | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                error_type_1 = Failure.from_dict(data)

                return error_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Failure | None | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        def _parse_finished_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        finished_at = _parse_finished_at(d.pop("finished_at", UNSET))

        def _parse_quality(data: object) -> None | Quality | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                quality_type_1 = Quality.from_dict(data)

                return quality_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Quality | Unset, data)

        quality = _parse_quality(d.pop("quality", UNSET))

        def _parse_queued_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        queued_at = _parse_queued_at(d.pop("queued_at", UNSET))

        def _parse_started_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        started_at = _parse_started_at(d.pop("started_at", UNSET))

        step = cls(
            attempts=attempts,
            cache_hit=cache_hit,
            kind=kind,
            status=status,
            usage=usage,
            audio_error=audio_error,
            duration_ms=duration_ms,
            engine=engine,
            engine_version=engine_version,
            error=error,
            finished_at=finished_at,
            quality=quality,
            queued_at=queued_at,
            started_at=started_at,
        )

        step.additional_properties = d
        return step

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
