"""The product image a request names: read from the object store and checked to decode, or a clear failure."""

from admint.contracts.generation import GenerationSpec
from admint.core.errors import PermanentError
from admint.storyboard.ports import NotAnImage, Ports


async def product_image(spec: GenerationSpec, ports: Ports) -> bytes | None:
    """The uploaded product image of the request, checked to decode (None when it names none)."""
    asset = spec.product_asset
    if asset is None:
        return None
    try:
        data = await ports.blobs.get_bytes(asset.key)
    except FileNotFoundError:
        raise PermanentError(
            "The product image is missing from storage; upload it again.",
            detail=f"{asset.bucket}/{asset.key}",
        ) from None
    try:
        await ports.codec.check(data)
    except NotAnImage as exc:
        raise PermanentError(
            "The product image could not be read; upload a PNG or JPEG.", detail=str(exc)
        ) from exc
    return data
