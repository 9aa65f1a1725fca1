from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="FileInput")


@_attrs_define
class FileInput:
    """A document sent inline: PDF, DOCX, HTML, Markdown or plain text. Its content decides how it
    is read; a `media_type` the content contradicts is refused. The text read from it is the
    source (spans refer to it); the file is kept with the job.

        Attributes:
            data (str): The file's bytes in standard base64.
            media_type (str): `application/pdf`, `application/vnd.openxmlformats-officedocument.wordprocessingml.document`,
                `text/html`, `text/markdown` or `text/plain` (`application/octet-stream`: read the content). Example:
                application/pdf.
            name (None | str | Unset): The file's name, shown on the job. Example: chapter-3.pdf.
    """

    data: str
    media_type: str
    name: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        data = self.data

        media_type = self.media_type

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "data": data,
                "media_type": media_type,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        data = d.pop("data")

        media_type = d.pop("media_type")

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        file_input = cls(
            data=data,
            media_type=media_type,
            name=name,
        )

        return file_input
