"""Where documents are kept, chosen by the environment: a private directory by default, a
private S3-compatible bucket when one is named. Neither gives a file a URL. (Settings only:
no network.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.storage.handler import StorageHandler

from config.settings.base import documents_storage
from intake.documents.storage import PrivateDocumentStorage, PrivateS3DocumentStorage

S3_VARIABLES = (
    "DOCUMENTS_S3_BUCKET",
    "DOCUMENTS_S3_ENDPOINT_URL",
    "DOCUMENTS_S3_REGION",
    "DOCUMENTS_S3_ACCESS_KEY_ID",
    "DOCUMENTS_S3_SECRET_ACCESS_KEY",
    "DOCUMENTS_S3_PREFIX",
)


@pytest.fixture
def environment(monkeypatch):
    for name in S3_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def storage_from(config: dict):
    return StorageHandler({"documents": config})["documents"]


def test_by_default_a_private_directory_without_urls(environment, tmp_path):
    config = documents_storage(tmp_path / "docs")

    storage = storage_from(config)

    assert type(storage) is PrivateDocumentStorage
    assert Path(storage.location) == tmp_path / "docs"
    assert (storage.file_permissions_mode, storage.directory_permissions_mode) == (0o600, 0o700)
    with pytest.raises(NotImplementedError):
        storage.url("anything.pdf")


def test_a_named_bucket_is_private_and_has_no_urls(environment, tmp_path):
    environment.setenv("DOCUMENTS_S3_BUCKET", "clinic-documents")
    environment.setenv("DOCUMENTS_S3_ENDPOINT_URL", "https://s3.clinic.example")
    environment.setenv("DOCUMENTS_S3_REGION", "us-east-2")
    environment.setenv("DOCUMENTS_S3_ACCESS_KEY_ID", "AKIDEXAMPLE")
    environment.setenv("DOCUMENTS_S3_SECRET_ACCESS_KEY", "not-a-real-secret")

    config = documents_storage(tmp_path / "unused")
    storage = storage_from(config)

    assert config["BACKEND"] == "intake.documents.storage.PrivateS3DocumentStorage"
    assert type(storage) is PrivateS3DocumentStorage
    assert (storage.bucket_name, storage.endpoint_url, storage.region_name) == (
        "clinic-documents",
        "https://s3.clinic.example",
        "us-east-2",
    )
    assert (storage.access_key, storage.secret_key) == ("AKIDEXAMPLE", "not-a-real-secret")
    assert storage.location == "documents"
    assert storage.default_acl == "private"
    assert storage.file_overwrite is False
    with pytest.raises(NotImplementedError):
        storage.url("documents/anything.pdf")


def test_a_bucket_without_keys_leaves_boto3_its_own_credentials(environment, tmp_path):
    environment.setenv("DOCUMENTS_S3_BUCKET", "clinic-documents")

    options = documents_storage(tmp_path)["OPTIONS"]

    assert (options["access_key"], options["secret_key"], options["endpoint_url"]) == (
        None,
        None,
        None,
    )
