from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.file_input import FileInput


T = TypeVar("T", bound="SourceInput")


@_attrs_define
class SourceInput:
    """Where the material comes from: a text (Markdown or plain), a document, or a topic. Give
    exactly one.

        Attributes:
            file (FileInput | None | Unset):
            text (None | str | Unset): 200 to 1,000,000 characters of UTF-8 text (the server's limit may be lower).
            topic (None | str | Unset):
    """

    file: FileInput | None | Unset = UNSET
    text: None | str | Unset = UNSET
    topic: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.file_input import FileInput  # noqa: PLC0415

        file: dict[str, Any] | None | Unset
        if isinstance(self.file, Unset):
            file = UNSET
        elif isinstance(self.file, FileInput):
            file = self.file.to_dict()
        else:
            file = self.file

        text: None | str | Unset
        if isinstance(self.text, Unset):
            text = UNSET
        else:
            text = self.text

        topic: None | str | Unset
        if isinstance(self.topic, Unset):
            topic = UNSET
        else:
            topic = self.topic

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if file is not UNSET:
            field_dict["file"] = file
        if text is not UNSET:
            field_dict["text"] = text
        if topic is not UNSET:
            field_dict["topic"] = topic

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.file_input import FileInput  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_file(data: object) -> FileInput | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                file_type_1 = FileInput.from_dict(data)

                return file_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(FileInput | None | Unset, data)

        file = _parse_file(d.pop("file", UNSET))

        def _parse_text(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        text = _parse_text(d.pop("text", UNSET))

        def _parse_topic(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        topic = _parse_topic(d.pop("topic", UNSET))

        source_input = cls(
            file=file,
            text=text,
            topic=topic,
        )

        return source_input
