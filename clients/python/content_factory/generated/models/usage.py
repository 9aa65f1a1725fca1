from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Usage")


@_attrs_define
class Usage:
    """
    Attributes:
        cost_usd (float):
        input_tokens (int):
        output_tokens (int):
        price_unknown (bool | Unset): Tokens were spent on a model with no known price (no list price and none
            configured
            in `FACTORY_MODEL_PRICES`): `cost_usd` counts only the priced part.
        speech_characters (int | Unset): Characters sent to the speech engine for podcast audio.
    """

    cost_usd: float
    input_tokens: int
    output_tokens: int
    price_unknown: bool | Unset = UNSET
    speech_characters: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cost_usd = self.cost_usd

        input_tokens = self.input_tokens

        output_tokens = self.output_tokens

        price_unknown = self.price_unknown

        speech_characters = self.speech_characters

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cost_usd": cost_usd,
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
            }
        )
        if price_unknown is not UNSET:
            field_dict["price_unknown"] = price_unknown
        if speech_characters is not UNSET:
            field_dict["speech_characters"] = speech_characters

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        cost_usd = d.pop("cost_usd")

        input_tokens = d.pop("input_tokens")

        output_tokens = d.pop("output_tokens")

        price_unknown = d.pop("price_unknown", UNSET)

        speech_characters = d.pop("speech_characters", UNSET)

        usage = cls(
            cost_usd=cost_usd,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            price_unknown=price_unknown,
            speech_characters=speech_characters,
        )

        usage.additional_properties = d
        return usage

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
