"""``FormData``: request bodies from form fields, as aiohttp's ``FormData``.

Plain name/value fields are sent as ``application/x-www-form-urlencoded``
(the WHATWG URL standard's form encoding); as soon as one field is a file, has
a filename or a content type, the whole form is ``multipart/form-data``
(RFC 7578), each field a part with ``Content-Disposition: form-data;
name="..."`` and, for files, ``filename="..."``.
"""

from __future__ import annotations

import io
import os
import re
from typing import Any, Iterable, Mapping
from urllib.parse import urlencode

__all__ = ("FormData",)

_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


def _checked(value: str, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be an instance of str. Got: {value!r}")
    if _UNSAFE.search(value):
        raise ValueError(f"control character in form {what} {value!r}")
    return value


def _quoted(value: str) -> str:
    """A quoted-string for a Content-Disposition parameter (RFC 7578 §4.2:
    the name as UTF-8, with ``"`` and ``\\`` escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', "\\\"") + '"'


class _Field:
    __slots__ = ("name", "value", "filename", "content_type")

    def __init__(self, name: str, value: Any, filename: str | None, content_type: str | None) -> None:
        self.name = name
        self.value = value
        self.filename = filename
        self.content_type = content_type


class FormData:
    """Form fields for ``data=`` of a plain request.

    Args:
        fields: initial fields: a mapping, ``(name, value)`` pairs, or open files.
        quote_fields: kept for aiohttp compatibility; names are always quoted.
        charset: text encoding of ``str`` values (default UTF-8).
        default_to_multipart: send ``multipart/form-data`` even without files.

    ``add_field(name, value, content_type=, filename=)`` adds one field:
    ``str`` (text), ``bytes`` (a file part named *filename*, default the field
    name, as aiohttp) or a binary/text file object (read when the request is
    built; *filename* defaults to its base name). ``encode()`` returns
    ``(body bytes, Content-Type value)``.
    """

    def __init__(
        self,
        fields: Mapping[str, Any] | Iterable[Any] = (),
        quote_fields: bool = True,
        charset: str | None = None,
        *,
        default_to_multipart: bool = False,
    ) -> None:
        self._fields: list[_Field] = []
        self._is_multipart = default_to_multipart
        self._quote_fields = quote_fields
        self._charset = charset or "utf-8"
        if isinstance(fields, Mapping):
            self.add_fields(*fields.items())
        elif isinstance(fields, (list, tuple)):
            self.add_fields(*fields)
        else:
            self.add_fields(fields)

    @property
    def is_multipart(self) -> bool:
        """Whether ``encode()`` produces ``multipart/form-data``."""
        return self._is_multipart

    def add_field(
        self,
        name: str,
        value: Any,
        *,
        content_type: str | None = None,
        filename: str | None = None,
        content_transfer_encoding: str | None = None,
    ) -> None:
        """Add one field. Raises ``TypeError`` for a non-``str`` name,
        filename or content type, ``ValueError`` for control characters in them."""
        _checked(name, "field name")
        if isinstance(value, io.IOBase):
            self._is_multipart = True
            if filename is None:
                filename = os.path.basename(str(getattr(value, "name", "") or name))
        elif isinstance(value, (bytes, bytearray, memoryview)) and filename is None:
            filename = name
        if filename is not None:
            _checked(filename, "filename")
            self._is_multipart = True
        if content_type is not None:
            _checked(content_type, "content_type")
            self._is_multipart = True
        if content_transfer_encoding is not None:
            raise ValueError("content_transfer_encoding is not supported (RFC 7578 §4.7 deprecates it)")
        self._fields.append(_Field(name, value, filename, content_type))

    def add_fields(self, *fields: Any) -> None:
        """Add ``(name, value)`` pairs, mappings' items, or open files (named
        after their base name)."""
        for item in fields:
            if isinstance(item, io.IOBase):
                self.add_field(os.path.basename(str(getattr(item, "name", "unknown"))), item)
            elif isinstance(item, Mapping):
                self.add_fields(*item.items())
            elif isinstance(item, (list, tuple)) and len(item) == 2:
                self.add_field(item[0], item[1])
            else:
                raise TypeError(
                    f"Only io.IOBase, mappings and (name, value) pairs are allowed, use add_field() for more, got {item!r}"
                )

    def encode(self) -> tuple[bytes, str]:
        """``(body, content type)``: urlencoded or multipart/form-data."""
        if self._is_multipart:
            return self._multipart()
        pairs = [(f.name, f.value if isinstance(f.value, str) else str(f.value)) for f in self._fields]
        body = urlencode(pairs, doseq=True, encoding=self._charset).encode("ascii")
        suffix = "" if self._charset == "utf-8" else f"; charset={self._charset}"
        return body, "application/x-www-form-urlencoded" + suffix

    def _payload(self, field: _Field) -> tuple[bytes, str]:
        value = field.value
        if isinstance(value, io.IOBase):
            value = value.read()
        if isinstance(value, str):
            return value.encode(self._charset), field.content_type or f"text/plain; charset={self._charset}"
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value), field.content_type or "application/octet-stream"
        return str(value).encode(self._charset), field.content_type or f"text/plain; charset={self._charset}"

    def _multipart(self) -> tuple[bytes, str]:
        boundary = os.urandom(16).hex()
        delimiter = f"--{boundary}\r\n".encode("ascii")
        out = bytearray()
        for field in self._fields:
            data, content_type = self._payload(field)
            disposition = f"form-data; name={_quoted(field.name)}"
            if field.filename is not None:
                disposition += f"; filename={_quoted(field.filename)}"
            out += delimiter
            out += f"Content-Disposition: {disposition}\r\nContent-Type: {content_type}\r\n\r\n".encode("utf-8")
            out += data + b"\r\n"
        out += f"--{boundary}--\r\n".encode("ascii")
        return bytes(out), f"multipart/form-data; boundary={boundary}"
