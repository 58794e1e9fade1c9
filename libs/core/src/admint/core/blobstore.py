"""MinIO/S3 adapter (minio SDK) behind the ObjectStore port. The SDK is blocking: calls run in threads."""

import asyncio
import hashlib
import io
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from minio import Minio
from minio.commonconfig import ENABLED, Filter
from minio.error import S3Error
from minio.lifecycleconfig import AbortIncompleteMultipartUpload, LifecycleConfig, Rule
from opentelemetry.trace import SpanKind

from admint.contracts.artifacts import ArtifactRef
from admint.core.errors import TransientError
from admint.core.settings import CoreSettings
from admint.core.tracing import span

_PART_SIZE = 16 * 1024 * 1024
log = logging.getLogger(__name__)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


class BlobStore:
    """One bucket; deterministic keys; every put returns an ArtifactRef with the object's sha256."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = False,
        region: str = "us-east-1",
        public_endpoint: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.client = Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region
        )
        # presigned URLs are signed for the host clients will use (signing is offline: no request is sent)
        self.signer = (
            Minio(public_endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)
            if public_endpoint
            else self.client
        )

    @classmethod
    def from_settings(cls, settings: CoreSettings) -> "BlobStore":
        return cls(
            settings.s3_endpoint,
            settings.s3_access_key,
            settings.s3_secret_key.get_secret_value(),
            settings.s3_bucket,
            secure=settings.s3_secure,
            region=settings.s3_region,
            public_endpoint=settings.s3_public_endpoint,
        )

    async def _call(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        """Run one SDK call in a thread, as a span `s3 <call>` when tracing is on (to_thread carries the
        context, so the span is a child of the handler's)."""
        key = args[1] if len(args) > 1 and isinstance(args[1], str) else None
        with span(f"s3 {fn.__name__}", kind=SpanKind.CLIENT, bucket=self.bucket, key=key):
            try:
                return await asyncio.to_thread(fn, *args, **kwargs)
            except S3Error:
                raise
            except OSError as exc:  # connection refused / reset: the server may be restarting
                raise TransientError(f"object store unreachable: {exc}") from exc

    async def ensure_bucket(self) -> None:
        if not await self._call(self.client.bucket_exists, self.bucket):
            try:
                await self._call(self.client.make_bucket, self.bucket)
            except S3Error as exc:
                if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise
        await self._abort_incomplete_uploads_after_a_day()

    async def _abort_incomplete_uploads_after_a_day(self) -> None:
        """The standard S3 lifecycle rule against the multipart uploads of processes that died mid-upload
        (AWS S3 and MinIO enforce it); `abort_stale_uploads` does the same actively, where a server does not."""
        rule = Rule(ENABLED, rule_filter=Filter(prefix=""), rule_id="abort-incomplete-uploads",
                    abort_incomplete_multipart_upload=AbortIncompleteMultipartUpload(days_after_initiation=1))
        try:
            await self._call(self.client.set_bucket_lifecycle, self.bucket, LifecycleConfig([rule]))
        except S3Error as exc:
            log.warning("the object store refused the incomplete-upload lifecycle rule: %s", exc.code)

    async def abort_stale_uploads(self, older_than_s: float, prefix: str = "") -> int:
        """Abort multipart uploads started more than `older_than_s` ago (a crashed writer's); returns how many.

        minio-py exposes ListMultipartUploads/AbortMultipartUpload only as underscored methods; they are used
        here alone, and the integration test fails if they change."""
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_s)
        listed = await self._call(self.client._list_multipart_uploads, self.bucket, prefix=prefix)
        stale = [u for u in listed.uploads if u.initiated_time is not None and u.initiated_time < cutoff]
        for upload in stale:
            await self._call(self.client._abort_multipart_upload, self.bucket, upload.object_name, upload.upload_id)
        return len(stale)

    async def bucket_ready(self) -> bool:
        return bool(await self._call(self.client.bucket_exists, self.bucket))

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> ArtifactRef:
        await self._call(
            self.client.put_object, self.bucket, key, io.BytesIO(data), len(data), content_type=content_type
        )
        return ArtifactRef.of_bytes(self.bucket, key, data, content_type)

    async def put_file(self, key: str, path: Path, content_type: str) -> ArtifactRef:
        path = Path(path)
        sha = await asyncio.to_thread(_sha256_file, path)
        await self._call(
            self.client.fput_object,
            self.bucket,
            key,
            str(path),
            content_type=content_type,
            part_size=_PART_SIZE,
        )
        return ArtifactRef(
            bucket=self.bucket, key=key, sha256=sha, size=path.stat().st_size, content_type=content_type
        )

    async def get_bytes(self, key: str) -> bytes:
        def get_object(_bucket: str, key: str) -> bytes:
            response = self.client.get_object(self.bucket, key)
            try:
                return bytes(response.read())
            finally:
                response.close()
                response.release_conn()

        try:
            data: bytes = await self._call(get_object, self.bucket, key)
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                raise FileNotFoundError(key) from exc
            raise
        return data

    async def get_file(self, key: str, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            await self._call(self.client.fget_object, self.bucket, key, str(path))
        except S3Error as exc:
            if exc.code == "NoSuchKey":
                raise FileNotFoundError(key) from exc
            raise
        return path

    async def exists(self, key: str) -> bool:
        try:
            await self._call(self.client.stat_object, self.bucket, key)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return False
            raise
        return True

    async def presign_get(self, key: str, expiry_s: int | None = None, download_as: str | None = None) -> str:
        """A presigned GET link; `download_as` makes browsers save the file under that name (Content-Disposition).
        Signing is offline (an HMAC, the region is configured), so it runs here rather than in a thread: a
        response with thirty links costs thirty signatures, not thirty thread hops."""
        headers: dict[str, str | list[str] | tuple[str]] | None = (
            {"response-content-disposition": f'attachment; filename="{download_as}"'} if download_as else None)
        with span("s3 presigned_get_object", kind=SpanKind.CLIENT, bucket=self.bucket, key=key):
            url: str = self.signer.presigned_get_object(self.bucket, key, expires=timedelta(seconds=expiry_s or 3600),
                                                        response_headers=headers)
        return url

    async def list_keys(self, prefix: str) -> list[str]:
        def list_objects() -> list[str]:
            return sorted(
                o.object_name for o in self.client.list_objects(self.bucket, prefix=prefix, recursive=True)
            )

        result: list[str] = await self._call(list_objects)
        return result

    async def delete(self, key: str) -> None:
        await self._call(self.client.remove_object, self.bucket, key)
