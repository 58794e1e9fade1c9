"""The object store adapter against a real S3 server: round trip, sha256, presigned links."""

import hashlib
import os
from pathlib import Path

import httpx
import pytest

from admint.core.blobstore import BlobStore

pytestmark = pytest.mark.integration


async def test_artifact_round_trips_with_sha256(blobs: BlobStore, gid: str, tmp_path: Path) -> None:
    data = os.urandom(300_000)
    ref = await blobs.put_bytes(f"generations/{gid}/x.bin", data, "application/octet-stream")
    assert ref.sha256 == hashlib.sha256(data).hexdigest() and ref.size == len(data)
    assert await blobs.get_bytes(ref.key) == data
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(17 * 1024 * 1024))  # > one multipart part
    file_ref = await blobs.put_file(f"generations/{gid}/big.bin", big, "application/octet-stream")
    fetched = await blobs.get_file(file_ref.key, tmp_path / "back.bin")
    assert hashlib.sha256(fetched.read_bytes()).hexdigest() == file_ref.sha256
    assert await blobs.list_keys(f"generations/{gid}/") == [
        f"generations/{gid}/big.bin",
        f"generations/{gid}/x.bin",
    ]
    await blobs.delete(ref.key)
    assert not await blobs.exists(ref.key)
    with pytest.raises(FileNotFoundError):
        await blobs.get_bytes(ref.key)


async def test_presigned_url_downloads_and_tampered_is_refused(blobs: BlobStore, gid: str) -> None:
    ref = await blobs.put_bytes(f"generations/{gid}/master.mp4", b"not really a video", "video/mp4")
    url = await blobs.presign_get(ref.key, expiry_s=120)
    async with httpx.AsyncClient() as client:
        ok = await client.get(url)
        assert ok.status_code == 200 and ok.content == b"not really a video"
        tampered = url.replace(f"{gid}/master.mp4", f"{gid}/other.mp4")
        assert (await client.get(tampered)).status_code == 403
        bad_sig = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
        assert (await client.get(bad_sig)).status_code == 403


async def test_a_crashed_writers_multipart_upload_is_aborted(blobs) -> None:  # type: ignore[no-untyped-def]
    """A process killed mid-upload leaves an incomplete multipart upload (storage nobody can see or delete);
    a starting service aborts the stale ones (issue 17)."""
    key = f"generations/crashed-{os.urandom(4).hex()}/master.mp4"
    upload_id = blobs.client._create_multipart_upload(blobs.bucket, key, {})
    listed = blobs.client._list_multipart_uploads(blobs.bucket, prefix=key).uploads
    assert [u.upload_id for u in listed] == [upload_id]
    assert await blobs.abort_stale_uploads(3600, prefix=key) == 0  # started a moment ago: maybe still writing
    assert await blobs.abort_stale_uploads(0, prefix=key) == 1
    assert blobs.client._list_multipart_uploads(blobs.bucket, prefix=key).uploads == []
