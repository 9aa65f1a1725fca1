from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.options import Options
    from ..models.source_input import SourceInput


T = TypeVar("T", bound="KindRequest")


@_attrs_define
class KindRequest:
    """Create one kind (its outline is built too).

    Attributes:
        source (SourceInput): Where the material comes from: a text (Markdown or plain), a document, or a topic. Give
            exactly one.
        options (Options | Unset): Options of one job. Every field has a default, so `{}` is valid.
    """

    source: SourceInput
    options: Options | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        source = self.source.to_dict()

        options: dict[str, Any] | Unset = UNSET
        if not isinstance(self.options, Unset):
            options = self.options.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "source": source,
            }
        )
        if options is not UNSET:
            field_dict["options"] = options

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.options import Options  # noqa: PLC0415
        from ..models.source_input import SourceInput  # noqa: PLC0415

        d = dict(src_dict)
        source = SourceInput.from_dict(d.pop("source"))

        _options = d.pop("options", UNSET)
        options: Options | Unset
        if isinstance(_options, Unset):
            options = UNSET
        else:
            options = Options.from_dict(_options)

        kind_request = cls(
            source=source,
            options=options,
        )

        return kind_request
