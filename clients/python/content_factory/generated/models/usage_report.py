from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.day_usage import DayUsage


T = TypeVar("T", bound="UsageReport")


@_attrs_define
class UsageReport:
    """`GET /v1/usage`: what the caller's tenant spent per UTC day.

    Attributes:
        days (list[DayUsage]): Days with at least one job, oldest first.
        since (str): The first day counted (`YYYY-MM-DD`, UTC); the last is today.
        total (DayUsage):
        truncated (bool): More jobs fell in the period than one report reads (10,000): the oldest are left out.
    """

    days: list[DayUsage]
    since: str
    total: DayUsage
    truncated: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        days = []
        for days_item_data in self.days:
            days_item = days_item_data.to_dict()
            days.append(days_item)

        since = self.since

        total = self.total.to_dict()

        truncated = self.truncated

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "days": days,
                "since": since,
                "total": total,
                "truncated": truncated,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.day_usage import DayUsage  # noqa: PLC0415

        d = dict(src_dict)
        days = []
        _days = d.pop("days")
        for days_item_data in _days:
            days_item = DayUsage.from_dict(days_item_data)

            days.append(days_item)

        since = d.pop("since")

        total = DayUsage.from_dict(d.pop("total"))

        truncated = d.pop("truncated")

        usage_report = cls(
            days=days,
            since=since,
            total=total,
            truncated=truncated,
        )

        usage_report.additional_properties = d
        return usage_report

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
