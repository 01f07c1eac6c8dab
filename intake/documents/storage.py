"""Where attached documents are kept (``STORAGES["documents"]``): a private directory on the
server, or a private S3-compatible bucket. Neither gives a file a URL: a document leaves the
server only through the download view, which checks the role and records the read."""

from __future__ import annotations

from typing import Any

from storages.backends.s3 import S3Storage

from intake.exports.storage import PrivateFileSystemStorage

NO_URL = "Documents have no URL: they are sent by the document's view."


class PrivateDocumentStorage(PrivateFileSystemStorage):
    """A directory outside every web root, files readable by the server's user only."""

    def url(self, name: str | None) -> str:
        raise NotImplementedError(NO_URL)


class PrivateS3DocumentStorage(S3Storage):
    """A bucket with private objects (ACL ``private``, never overwritten) and no URLs, not even
    signed ones: every read goes through the server."""

    def __init__(self, **settings: Any) -> None:
        settings.setdefault("default_acl", "private")
        settings.setdefault("file_overwrite", False)
        settings.setdefault("querystring_auth", True)
        super().__init__(**settings)

    def url(
        self, name: str | None, parameters: Any = None, expire: Any = None, http_method: Any = None
    ) -> str:
        raise NotImplementedError(NO_URL)
