"""References to media in the object store: media never travels inside events."""

import hashlib

from pydantic import BaseModel, ConfigDict, Field


class ArtifactRef(BaseModel):
    """Where one stored object lives and how to check it arrived whole."""

    model_config = ConfigDict(frozen=True)

    bucket: str = Field(description="Object store bucket name.", min_length=3, max_length=63)
    key: str = Field(
        description="Object key inside the bucket, e.g. generations/<id>/master.mp4.", min_length=1
    )
    sha256: str = Field(description="Hex SHA-256 of the object's bytes.", pattern=r"^[0-9a-f]{64}$")
    size: int = Field(description="Object size in bytes.", ge=0)
    content_type: str = Field(description="MIME type of the object, e.g. video/mp4.")

    @classmethod
    def of_bytes(cls, bucket: str, key: str, data: bytes, content_type: str) -> "ArtifactRef":
        """The reference of an object whose bytes are in hand (what every put returns)."""
        return cls(bucket=bucket, key=key, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                   content_type=content_type)
