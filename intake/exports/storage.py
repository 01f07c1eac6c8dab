"""The storage of export files: a directory on the server that no URL serves."""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    """A FileSystemStorage without URLs: its files (patient data) leave the server only through
    a view that checks who asks and records it in the audit log."""

    def url(self, name: str | None) -> str:
        raise NotImplementedError("Export files have no URL: they are sent by the export's view.")
