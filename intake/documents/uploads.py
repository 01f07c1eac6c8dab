"""The first upload handler of every request (``FILE_UPLOAD_HANDLERS``): it counts each file's
bytes and, past ``DOCUMENT_MAX_BYTES``, passes no more of them on, so an oversized file never
fills memory or the temporary directory; the form then receives an :class:`OversizedUpload`
(its size, no content) and refuses it naming the size, keeping everything else that was typed.
Documents are the product's only uploads.

Django's other limits, for the record: ``DATA_UPLOAD_MAX_MEMORY_SIZE`` counts the form's other
fields, not its files (a request over it is answered 400, never 500);
``FILE_UPLOAD_MAX_MEMORY_SIZE`` only decides whether the next handlers keep a file in memory
or in a temporary file.
"""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class OversizedUpload(UploadedFile):
    """A file refused for its size: its name and how many bytes it had, and no content."""

    oversized = True

    def __init__(self, *, name: str, size: int, content_type: str | None) -> None:
        super().__init__(
            file=io.BytesIO(b""), name=name, content_type=content_type, size=size, charset=None
        )


class SizeLimitUploadHandler(FileUploadHandler):
    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.max_bytes = settings.DOCUMENT_MAX_BYTES
        self.received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            return None  # the handlers after this one get no more of it
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.received > self.max_bytes:
            return OversizedUpload(
                name=self.file_name or "", size=self.received, content_type=self.content_type
            )
        return None  # within the limit: the next handler's file
