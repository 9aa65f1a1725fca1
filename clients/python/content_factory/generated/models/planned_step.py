from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.kind import Kind

if TYPE_CHECKING:
    from ..models.usage import Usage


T = TypeVar("T", bound="PlannedStep")


@_attrs_define
class PlannedStep:
    """
    Attributes:
        cache_hit (bool): `true` if the result is cached; derivatives are known only when the outline is cached.
        depends_on (list[Kind]):
        estimate (Usage):
        kind (Kind): One kind of learning material. The slug (`faq`, `podcast-script`, …) is the public name
            used in routes, options and file names.
    """

    cache_hit: bool
    depends_on: list[Kind]
    estimate: Usage
    kind: Kind
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cache_hit = self.cache_hit

        depends_on = []
        for depends_on_item_data in self.depends_on:
            depends_on_item = depends_on_item_data.value
            depends_on.append(depends_on_item)

        estimate = self.estimate.to_dict()

        kind = self.kind.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cache_hit": cache_hit,
                "depends_on": depends_on,
                "estimate": estimate,
                "kind": kind,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.usage import Usage  # noqa: PLC0415

        d = dict(src_dict)
        cache_hit = d.pop("cache_hit")

        depends_on = []
        _depends_on = d.pop("depends_on")
        for depends_on_item_data in _depends_on:
            depends_on_item = Kind(depends_on_item_data)

            depends_on.append(depends_on_item)

        estimate = Usage.from_dict(d.pop("estimate"))

        kind = Kind(d.pop("kind"))

        planned_step = cls(
            cache_hit=cache_hit,
            depends_on=depends_on,
            estimate=estimate,
            kind=kind,
        )

        planned_step.additional_properties = d
        return planned_step

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
