from __future__ import annotations

import json
from collections.abc import Mapping
from io import BytesIO
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..types import UNSET, File, Unset

if TYPE_CHECKING:
    from ..models.upload_form_request_type_0 import UploadFormRequestType0


T = TypeVar("T", bound="UploadForm")


@_attrs_define
class UploadForm:
    """A `multipart/form-data` request: the document and, optionally, the rest of the request.

    Attributes:
        file (File): The document (PDF, DOCX, HTML, Markdown or plain text); its part's `Content-Type` and
            file name are read like `source.file`'s `media_type` and `name`.
        request (None | Unset | UploadFormRequestType0): The JSON request without `source` (`kinds`, `options`), as an
            `application/json` part.
    """

    file: File
    request: None | Unset | UploadFormRequestType0 = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.upload_form_request_type_0 import (
            UploadFormRequestType0,  # noqa: PLC0415
        )

        file = self.file.to_tuple()

        request: dict[str, Any] | None | Unset
        if isinstance(self.request, Unset):
            request = UNSET
        elif isinstance(self.request, UploadFormRequestType0):
            request = self.request.to_dict()
        else:
            request = self.request

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "file": file,
            }
        )
        if request is not UNSET:
            field_dict["request"] = request

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        from ..models.upload_form_request_type_0 import (
            UploadFormRequestType0,  # noqa: PLC0415
        )

        files: types.RequestFiles = []

        files.append(("file", self.file.to_tuple()))

        if not isinstance(self.request, Unset):
            if isinstance(self.request, UploadFormRequestType0):
                files.append(
                    (
                        "request",
                        (
                            None,
                            json.dumps(self.request.to_dict()).encode(),
                            "application/json",
                        ),
                    )
                )
            else:
                files.append(
                    ("request", (None, str(self.request).encode(), "text/plain"))
                )

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.upload_form_request_type_0 import (
            UploadFormRequestType0,  # noqa: PLC0415
        )

        d = dict(src_dict)
        file = File(payload=BytesIO(d.pop("file")))

        def _parse_request(data: object) -> None | Unset | UploadFormRequestType0:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                request_type_0 = UploadFormRequestType0.from_dict(data)

                return request_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UploadFormRequestType0, data)

        request = _parse_request(d.pop("request", UNSET))

        upload_form = cls(
            file=file,
            request=request,
        )

        upload_form.additional_properties = d
        return upload_form

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
