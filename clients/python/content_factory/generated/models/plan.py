from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.planned_step import PlannedStep
    from ..models.source import Source
    from ..models.usage import Usage


T = TypeVar("T", bound="Plan")


@_attrs_define
class Plan:
    """What a dry run would do: every step and whether the cache already holds its result.

    Attributes:
        estimate (Usage):
        source (Source):
        steps (list[PlannedStep]):
    """

    estimate: Usage
    source: Source
    steps: list[PlannedStep]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        estimate = self.estimate.to_dict()

        source = self.source.to_dict()

        steps = []
        for steps_item_data in self.steps:
            steps_item = steps_item_data.to_dict()
            steps.append(steps_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "estimate": estimate,
                "source": source,
                "steps": steps,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.planned_step import PlannedStep  # noqa: PLC0415
        from ..models.source import Source  # noqa: PLC0415
        from ..models.usage import Usage  # noqa: PLC0415

        d = dict(src_dict)
        estimate = Usage.from_dict(d.pop("estimate"))

        source = Source.from_dict(d.pop("source"))

        steps = []
        _steps = d.pop("steps")
        for steps_item_data in _steps:
            steps_item = PlannedStep.from_dict(steps_item_data)

            steps.append(steps_item)

        plan = cls(
            estimate=estimate,
            source=source,
            steps=steps,
        )

        plan.additional_properties = d
        return plan

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
