"""The clip storage's contract, held by both backends: a local folder and S3 (moto's server)."""

from __future__ import annotations

import tracemalloc
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests

from kendama.integrations.storage import EXTENSION, LocalStorage, current_storage, storage_for
from kendama.integrations.storage.s3 import S3Storage

from ..support.s3_server import DUMMY_CREDENTIALS, s3_server


@pytest.fixture(scope="module")
def s3_endpoint():
    with s3_server() as url:
        yield url


@pytest.fixture
def aws_credentials(monkeypatch):
    for name, value in DUMMY_CREDENTIALS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def s3_storage(s3_endpoint, aws_credentials) -> S3Storage:
    """A bucket of the test's own on the moto server."""
    bucket = f"clips-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    return S3Storage(bucket, endpoint_url=s3_endpoint)


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "clips")
    return request.getfixturevalue("s3_storage")


@pytest.fixture
def clip_file(tmp_path) -> Path:
    path = tmp_path / "upload.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 40)
    return path


def stored_bytes(storage, key: str) -> bytes:
    """What a viewer gets: the local file, or the presigned URL fetched over HTTP."""
    local = storage.open_local(key)
    if local is not None:
        return local.read_bytes()
    response = requests.get(storage.url_for_viewer(key, expires_seconds=60, filename=None), timeout=10)
    response.raise_for_status()
    return response.content


def test_a_stored_file_exists_and_reads_back(storage, clip_file):
    storage.put_file("clips/1/a.mp4", clip_file, "video/mp4")
    assert storage.exists("clips/1/a.mp4")
    assert not storage.exists("clips/1/b.mp4")
    assert stored_bytes(storage, "clips/1/a.mp4") == clip_file.read_bytes()


def test_putting_again_replaces_the_file(storage, clip_file, tmp_path):
    storage.put_file("clips/1/a.mp4", clip_file, "video/mp4")
    other = tmp_path / "other.mp4"
    other.write_bytes(b"second version")
    storage.put_file("clips/1/a.mp4", other, "video/mp4")
    assert stored_bytes(storage, "clips/1/a.mp4") == b"second version"


def test_a_deleted_file_is_gone_and_deleting_again_is_fine(storage, clip_file):
    storage.put_file("clips/1/a.mp4", clip_file, "video/mp4")
    storage.delete("clips/1/a.mp4")
    assert not storage.exists("clips/1/a.mp4")
    storage.delete("clips/1/a.mp4")
    storage.delete("clips/never/stored.mp4")


@pytest.fixture
def big_file(tmp_path) -> Path:
    path = tmp_path / "big.mp4"
    with open(path, "wb") as out:
        for index in range(5):
            out.write(bytes([index]) * (1024 * 1024))
    return path


def test_a_five_megabyte_file_round_trips(storage, big_file):
    storage.put_file("clips/big.mp4", big_file, "video/mp4")
    assert stored_bytes(storage, "clips/big.mp4") == big_file.read_bytes()


def test_the_local_folder_copies_without_reading_the_file_into_memory(tmp_path, big_file):
    """Measured here only: for S3 the moto server in this process holds the body (boto3's part is the next test's)."""
    storage = LocalStorage(tmp_path / "clips")
    tracemalloc.start()
    try:
        storage.put_file("clips/big.mp4", big_file, "video/mp4")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * 1024 * 1024, f"{peak} bytes held at once"  # 1 MiB chunks of a 5 MiB file


def test_the_s3_backend_uploads_through_boto3s_managed_transfer(s3_storage, clip_file, monkeypatch):
    """upload_file reads the file from disk in parts (multipart above 8 MB), never all at once."""
    calls = []
    monkeypatch.setattr(s3_storage.client, "upload_file", lambda *args, **kwargs: calls.append((args, kwargs)))
    s3_storage.put_file("clips/1/a.mp4", clip_file, "video/mp4")
    assert calls == [
        ((str(clip_file), s3_storage.bucket, "clips/1/a.mp4"), {"ExtraArgs": {"ContentType": "video/mp4"}})
    ]


def test_the_local_folder_serves_files_itself(tmp_path, clip_file):
    storage = LocalStorage(tmp_path / "clips")
    storage.put_file("clips/1/a.mp4", clip_file, "video/mp4")
    assert storage.url_for_viewer("clips/1/a.mp4", expires_seconds=60, filename="a.mp4") is None
    assert storage.open_local("clips/1/a.mp4") == tmp_path / "clips" / "clips" / "1" / "a.mp4"
    assert storage.open_local("clips/1/missing.mp4") is None
    assert [p.name for p in (tmp_path / "clips" / "clips" / "1").iterdir()] == ["a.mp4"]  # no temp file left


@pytest.mark.parametrize(
    "key",
    ["../escape.mp4", "clips/../../escape.mp4", "/etc/passwd", "clips//a.mp4", "clips/./a.mp4", "a b.mp4", "", "é.mp4"],
)
def test_keys_that_could_leave_the_folder_are_refused_by_both(storage, tmp_path, clip_file, key):
    calls = [
        lambda: storage.put_file(key, clip_file, "video/mp4"),
        lambda: storage.exists(key),
        lambda: storage.delete(key),
        lambda: storage.open_local(key),
        lambda: storage.url_for_viewer(key, expires_seconds=60, filename=None),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="not a storage key"):
            call()
    assert not (tmp_path / "escape.mp4").exists()


def test_the_presigned_url_serves_the_file_under_its_name_and_expires(s3_storage, clip_file):
    """Moto checks neither expiry nor signature, so the expiry is read from the URL S3 would enforce."""
    s3_storage.put_file("clips/1/a.mp4", clip_file, "video/mp4")
    url = s3_storage.url_for_viewer("clips/1/a.mp4", expires_seconds=300, filename="My spike ✓.mp4")
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["300"]

    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == clip_file.read_bytes()
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["Content-Disposition"] == (
        "inline; filename=\"My spike .mp4\"; filename*=UTF-8''My%20spike%20%E2%9C%93.mp4"
    )


def test_storage_for_picks_s3_when_a_bucket_is_set(tmp_path, aws_credentials):
    local = storage_for({"STORAGE_BUCKET": None, "STORAGE_DIR": None}, str(tmp_path))
    assert isinstance(local, LocalStorage) and local.root == tmp_path / "clips"
    assert storage_for({"STORAGE_DIR": str(tmp_path / "elsewhere")}, str(tmp_path)).root == tmp_path / "elsewhere"

    s3 = storage_for({"STORAGE_BUCKET": "clips", "STORAGE_REGION": "eu-west-1"}, str(tmp_path))
    assert isinstance(s3, S3Storage) and s3.bucket == "clips"
    assert s3.client.meta.region_name == "eu-west-1"


def test_current_storage_is_made_once_per_app(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(tmp_path / "app-clips"))
    monkeypatch.delitem(app.extensions, EXTENSION, raising=False)
    with app.app_context():
        storage = current_storage()
        assert isinstance(storage, LocalStorage) and storage.root == tmp_path / "app-clips"
        assert current_storage() is storage
    app.extensions.pop(EXTENSION)
