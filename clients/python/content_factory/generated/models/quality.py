from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Quality")


@_attrs_define
class Quality:
    """
    Attributes:
        grounded (float): Share of those references that include a character span (0–1).
        items (int): Items that carry a source reference.
        mostly_unsupported (bool): Whether more than half of the fact-bearing items are unsupported or uncited.
        section_coverage (float): Share of the outline's sections the output refers to (0–1).
        supported (int): Fact-bearing items whose cited span supports what they say (see `docs/quality.md`:
            at least half of the item's content words occur in the span).
        uncited (int): Fact-bearing items that cite no span.
        unsupported (int): Fact-bearing items whose cited span does not support them.
    """

    grounded: float
    items: int
    mostly_unsupported: bool
    section_coverage: float
    supported: int
    uncited: int
    unsupported: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        grounded = self.grounded

        items = self.items

        mostly_unsupported = self.mostly_unsupported

        section_coverage = self.section_coverage

        supported = self.supported

        uncited = self.uncited

        unsupported = self.unsupported

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "grounded": grounded,
                "items": items,
                "mostly_unsupported": mostly_unsupported,
                "section_coverage": section_coverage,
                "supported": supported,
                "uncited": uncited,
                "unsupported": unsupported,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        grounded = d.pop("grounded")

        items = d.pop("items")

        mostly_unsupported = d.pop("mostly_unsupported")

        section_coverage = d.pop("section_coverage")

        supported = d.pop("supported")

        uncited = d.pop("uncited")

        unsupported = d.pop("unsupported")

        quality = cls(
            grounded=grounded,
            items=items,
            mostly_unsupported=mostly_unsupported,
            section_coverage=section_coverage,
            supported=supported,
            uncited=uncited,
            unsupported=unsupported,
        )

        quality.additional_properties = d
        return quality

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
