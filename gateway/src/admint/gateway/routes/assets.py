"""/v1/assets: product images, checked by content, re-encoded to PNG with a thumbnail, owner-scoped."""

import asyncio
import re
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Query, Response, UploadFile

from admint.contracts.envelope import utcnow
from admint.contracts.ids import ID_PATTERN, new_id
from admint.core.keys import asset_key, asset_prefix
from admint.gateway.deps import GatewayDep, PrincipalDep
from admint.gateway.images import ImageRejected, normalize_image
from admint.gateway.pagination import BadCursor, CursorQuery, decode_cursor, encode_cursor
from admint.gateway.problems import ProblemError, problems
from admint.gateway.schemas import AssetPage, AssetView
from admint.gateway.state import Gateway

router = APIRouter(prefix="/v1/assets", tags=["assets"])
AssetId = Annotated[str, Path(description="Asset id.", pattern=ID_PATTERN)]
_UNSAFE = re.compile(r"[^\w.\- ()]+")


def safe_filename(name: str | None) -> str:
    """Display name only (never a storage path): last path part, tame characters, bounded length."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return _UNSAFE.sub("_", base).strip()[:200] or "upload"


async def asset_view(gw: Gateway, doc: dict[str, Any]) -> dict[str, Any]:
    image_url, thumb_url = await asyncio.gather(gw.presign(doc["image"]["key"]), gw.presign(doc["thumbnail"]["key"]))
    return {
        "id": doc["_id"], "filename": doc["filename"], "format": doc["format"], "width": doc["width"],
        "height": doc["height"], "size": doc["image"]["size"], "sha256": doc["image"]["sha256"],
        "created_at": doc["created_at"], "image_url": image_url, "thumbnail_url": thumb_url,
    }


_ASSET_LINKS = {
    "GetAsset": {"operationId": "getAsset", "parameters": {"asset_id": "$response.body#/id"}},
    "DeleteAsset": {"operationId": "deleteAsset", "parameters": {"asset_id": "$response.body#/id"}},
}


@router.post("", status_code=201, response_model=AssetView, operation_id="uploadAsset",
             responses={201: {"description": "Stored.", "links": _ASSET_LINKS}, **problems(401, 413, 415, 422, 429)},
             summary="Upload a product image")
async def upload_asset(
    gw: GatewayDep, who: PrincipalDep, response: Response,
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP (checked by content), at most 10 MB.")],
) -> dict[str, Any]:
    limit = gw.settings.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise ProblemError(413, f"the image is larger than {limit} bytes", kind="too-large", limit_bytes=limit)
    try:
        image = await asyncio.to_thread(normalize_image, data, max_side=gw.settings.max_image_side,
                                        max_pixels=gw.settings.max_image_pixels,
                                        thumbnail_side=gw.settings.thumbnail_side)
    except ImageRejected as exc:
        kind = "unsupported-media-type" if exc.status == 415 else "bad-image"
        raise ProblemError(exc.status, exc.detail, kind=kind) from exc
    asset_id = new_id()
    stored, thumb = await asyncio.gather(
        gw.blobs.put_bytes(asset_key(who.owner, asset_id, "image.png"), image.png, "image/png"),
        gw.blobs.put_bytes(asset_key(who.owner, asset_id, "thumbnail.png"), image.thumbnail, "image/png"),
    )
    doc = {
        "_id": asset_id, "owner": who.owner, "key_id": who.key_id, "filename": safe_filename(file.filename),
        "format": image.format, "width": image.width, "height": image.height,
        "image": stored.model_dump(), "thumbnail": thumb.model_dump(), "created_at": utcnow(),
    }
    await gw.assets.insert(doc)
    response.headers["Location"] = f"{gw.base_url}/v1/assets/{asset_id}"
    return await asset_view(gw, doc)


@router.get("", response_model=AssetPage, operation_id="listAssets", responses=problems(401, 422, 429),
            summary="List your images")
async def list_assets(
    gw: GatewayDep, who: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: CursorQuery = None,
) -> dict[str, Any]:
    try:
        before = decode_cursor(cursor) if cursor else None
    except BadCursor as exc:
        raise ProblemError(422, str(exc), title="Request validation failed", kind="validation") from exc
    docs = await gw.assets.page(who.owner, before=before, limit=limit + 1)
    items = [await asset_view(gw, d) for d in docs[:limit]]
    return {"items": items, "next_cursor": encode_cursor(items[-1]["id"]) if len(docs) > limit else None}


@router.get("/{asset_id}", response_model=AssetView, operation_id="getAsset",
            responses=problems(401, 404, 422, 429), summary="One image")
async def get_asset(asset_id: AssetId, gw: GatewayDep, who: PrincipalDep) -> dict[str, Any]:
    doc = await gw.assets.get_owned(asset_id, who.owner)
    if doc is None:
        raise ProblemError(404, f"no asset {asset_id} for this key", kind="not-found")
    return await asset_view(gw, doc)


@router.delete("/{asset_id}", status_code=204, response_class=Response, operation_id="deleteAsset",
               responses=problems(401, 404, 409, 422, 429), summary="Delete an image")
async def delete_asset(asset_id: AssetId, gw: GatewayDep, who: PrincipalDep) -> Response:
    """Refused (409) while a running generation uses the image."""
    if await gw.assets.get_owned(asset_id, who.owner) is None:
        raise ProblemError(404, f"no asset {asset_id} for this key", kind="not-found")
    if users := await gw.generations.active_using_asset(who.owner, asset_id):
        raise ProblemError(409, f"{users} running generation(s) use this image; cancel or wait for them",
                           kind="asset-in-use")
    await gw.assets.delete(asset_id, who.owner)
    for key in await gw.blobs.list_keys(asset_prefix(who.owner, asset_id)):
        await gw.blobs.delete(key)
    return Response(status_code=204)
