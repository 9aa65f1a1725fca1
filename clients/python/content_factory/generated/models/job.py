from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.job_status import JobStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.artifact import Artifact
    from ..models.failure import Failure
    from ..models.links import Links
    from ..models.options import Options
    from ..models.progress import Progress
    from ..models.source import Source
    from ..models.step import Step
    from ..models.usage import Usage
    from ..models.violation import Violation


T = TypeVar("T", bound="Job")


@_attrs_define
class Job:
    """
    Attributes:
        artifacts (list[Artifact]):
        created_at (str):
        id (str):
        links (Links):
        options (Options): Options of one job. Every field has a default, so `{}` is valid.
        progress (Progress):
        source (Source):
        status (JobStatus):
        steps (list[Step]):
        updated_at (str):
        usage (Usage):
        error (Failure | None | Unset):
        finished_at (None | str | Unset):
        warnings (list[Violation] | Unset): What the bundle lacks without failing, e.g. a learning objective no practice
            item
            serves (rule `coverage`, path into the outline).
    """

    artifacts: list[Artifact]
    created_at: str
    id: str
    links: Links
    options: Options
    progress: Progress
    source: Source
    status: JobStatus
    steps: list[Step]
    updated_at: str
    usage: Usage
    error: Failure | None | Unset = UNSET
    finished_at: None | str | Unset = UNSET
    warnings: list[Violation] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.failure import Failure  # noqa: PLC0415

        artifacts = []
        for artifacts_item_data in self.artifacts:
            artifacts_item = artifacts_item_data.to_dict()
            artifacts.append(artifacts_item)

        created_at = self.created_at

        id = self.id

        links = self.links.to_dict()

        options = self.options.to_dict()

        progress = self.progress.to_dict()

        source = self.source.to_dict()

        status = self.status.value

        steps = []
        for steps_item_data in self.steps:
            steps_item = steps_item_data.to_dict()
            steps.append(steps_item)

        updated_at = self.updated_at

        usage = self.usage.to_dict()

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

        warnings: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.warnings, Unset):
            warnings = []
            for warnings_item_data in self.warnings:
                warnings_item = warnings_item_data.to_dict()
                warnings.append(warnings_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "artifacts": artifacts,
                "created_at": created_at,
                "id": id,
                "links": links,
                "options": options,
                "progress": progress,
                "source": source,
                "status": status,
                "steps": steps,
                "updated_at": updated_at,
                "usage": usage,
            }
        )
        if error is not UNSET:
            field_dict["error"] = error
        if finished_at is not UNSET:
            field_dict["finished_at"] = finished_at
        if warnings is not UNSET:
            field_dict["warnings"] = warnings

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.artifact import Artifact  # noqa: PLC0415
        from ..models.failure import Failure  # noqa: PLC0415
        from ..models.links import Links  # noqa: PLC0415
        from ..models.options import Options  # noqa: PLC0415
        from ..models.progress import Progress  # noqa: PLC0415
        from ..models.source import Source  # noqa: PLC0415
        from ..models.step import Step  # noqa: PLC0415
        from ..models.usage import Usage  # noqa: PLC0415
        from ..models.violation import Violation  # noqa: PLC0415

        d = dict(src_dict)
        artifacts = []
        _artifacts = d.pop("artifacts")
        for artifacts_item_data in _artifacts:
            artifacts_item = Artifact.from_dict(artifacts_item_data)

            artifacts.append(artifacts_item)

        created_at = d.pop("created_at")

        id = d.pop("id")

        links = Links.from_dict(d.pop("links"))

        options = Options.from_dict(d.pop("options"))

        progress = Progress.from_dict(d.pop("progress"))

        source = Source.from_dict(d.pop("source"))

        status = JobStatus(d.pop("status"))

        steps = []
        _steps = d.pop("steps")
        for steps_item_data in _steps:
            steps_item = Step.from_dict(steps_item_data)

            steps.append(steps_item)

        updated_at = d.pop("updated_at")

        usage = Usage.from_dict(d.pop("usage"))

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

        _warnings = d.pop("warnings", UNSET)
        warnings: list[Violation] | Unset = UNSET
        if _warnings is not UNSET:
            warnings = []
            for warnings_item_data in _warnings:
                warnings_item = Violation.from_dict(warnings_item_data)

                warnings.append(warnings_item)

        job = cls(
            artifacts=artifacts,
            created_at=created_at,
            id=id,
            links=links,
            options=options,
            progress=progress,
            source=source,
            status=status,
            steps=steps,
            updated_at=updated_at,
            usage=usage,
            error=error,
            finished_at=finished_at,
            warnings=warnings,
        )

        job.additional_properties = d
        return job

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
