from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.kind import Kind
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.options import Options
    from ..models.source_input import SourceInput


T = TypeVar("T", bound="BundleRequest")


@_attrs_define
class BundleRequest:
    """Create several kinds from one source; all eight when `kinds` is left out.

    Attributes:
        source (SourceInput): Where the material comes from: a text (Markdown or plain), a document, or a topic. Give
            exactly one.
        kinds (list[Kind] | None | Unset):
        options (Options | Unset): Options of one job. Every field has a default, so `{}` is valid.
    """

    source: SourceInput
    kinds: list[Kind] | None | Unset = UNSET
    options: Options | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        source = self.source.to_dict()

        kinds: list[str] | None | Unset
        if isinstance(self.kinds, Unset):
            kinds = UNSET
        elif isinstance(self.kinds, list):
            kinds = []
            for kinds_type_0_item_data in self.kinds:
                kinds_type_0_item = kinds_type_0_item_data.value
                kinds.append(kinds_type_0_item)

        else:
            kinds = self.kinds

        options: dict[str, Any] | Unset = UNSET
        if not isinstance(self.options, Unset):
            options = self.options.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "source": source,
            }
        )
        if kinds is not UNSET:
            field_dict["kinds"] = kinds
        if options is not UNSET:
            field_dict["options"] = options

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.options import Options  # noqa: PLC0415
        from ..models.source_input import SourceInput  # noqa: PLC0415

        d = dict(src_dict)
        source = SourceInput.from_dict(d.pop("source"))

        def _parse_kinds(data: object) -> list[Kind] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                kinds_type_0 = []
                _kinds_type_0 = data
                for kinds_type_0_item_data in _kinds_type_0:
                    kinds_type_0_item = Kind(kinds_type_0_item_data)

                    kinds_type_0.append(kinds_type_0_item)

                return kinds_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[Kind] | None | Unset, data)

        kinds = _parse_kinds(d.pop("kinds", UNSET))

        _options = d.pop("options", UNSET)
        options: Options | Unset
        if isinstance(_options, Unset):
            options = UNSET
        else:
            options = Options.from_dict(_options)

        bundle_request = cls(
            source=source,
            kinds=kinds,
            options=options,
        )

        return bundle_request
