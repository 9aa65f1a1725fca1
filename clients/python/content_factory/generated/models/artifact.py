from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.kind import Kind

T = TypeVar("T", bound="Artifact")


@_attrs_define
class Artifact:
    """
    Attributes:
        bytes_ (int):
        format_ (str):
        href (str): Where to download it.
        kind (Kind): One kind of learning material. The slug (`faq`, `podcast-script`, …) is the public name
            used in routes, options and file names.
        name (str):
        sha256 (str):
    """

    bytes_: int
    format_: str
    href: str
    kind: Kind
    name: str
    sha256: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        bytes_ = self.bytes_

        format_ = self.format_

        href = self.href

        kind = self.kind.value

        name = self.name

        sha256 = self.sha256

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "bytes": bytes_,
                "format": format_,
                "href": href,
                "kind": kind,
                "name": name,
                "sha256": sha256,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        bytes_ = d.pop("bytes")

        format_ = d.pop("format")

        href = d.pop("href")

        kind = Kind(d.pop("kind"))

        name = d.pop("name")

        sha256 = d.pop("sha256")

        artifact = cls(
            bytes_=bytes_,
            format_=format_,
            href=href,
            kind=kind,
            name=name,
            sha256=sha256,
        )

        artifact.additional_properties = d
        return artifact

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
