"""Product image uploads against the real stack: sniffed by content, bounded, re-encoded, owner-scoped."""

import io
import os

import httpx
import pytest
from PIL import Image

from tests.integration.gateway.conftest import RunningGateway

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"


def image_bytes(fmt: str, size: tuple[int, int] = (400, 300), mode: str = "RGB") -> bytes:
    img = Image.new(mode, size, (200, 40, 40) if mode == "RGB" else (200, 40, 40, 128))
    for x in range(0, size[0], 20):  # some structure, so the encoders have work to do
        for y in range(size[1]):
            img.putpixel((x, y), (10, 200, 10) if mode == "RGB" else (10, 200, 10, 255))
    out = io.BytesIO()
    img.save(out, format=fmt)
    return out.getvalue()


async def upload(client: httpx.AsyncClient, name: str, data: bytes, content_type: str = "image/png") -> httpx.Response:
    return await client.post("/v1/assets", files={"file": (name, data, content_type)})


@pytest.mark.parametrize(("fmt", "expected", "mode"), [("PNG", "png", "RGBA"), ("JPEG", "jpeg", "RGB"),
                                                       ("WEBP", "webp", "RGB")])
async def test_upload_is_reencoded_to_png_with_a_thumbnail(
    gateway: RunningGateway, key: str, fmt: str, expected: str, mode: str
) -> None:
    async with gateway.client(key) as client:
        # the name and declared type lie on purpose: only the content counts
        response = await upload(client, "../../weird name.bin", image_bytes(fmt, mode=mode), "text/plain")
        assert response.status_code == 201, response.text
        asset = response.json()
        assert (asset["format"], asset["width"], asset["height"]) == (expected, 400, 300)
        assert asset["filename"] == "weird name.bin"
        async with httpx.AsyncClient() as anonymous:
            stored = Image.open(io.BytesIO((await anonymous.get(asset["image_url"])).content))
            thumb = Image.open(io.BytesIO((await anonymous.get(asset["thumbnail_url"])).content))
        assert stored.format == "PNG" and stored.size == (400, 300)
        assert stored.mode == ("RGBA" if mode == "RGBA" else "RGB")
        assert thumb.format == "PNG" and thumb.size == (256, 192)
        listed = (await client.get("/v1/assets")).json()["items"]
        assert [a["id"] for a in listed] == [asset["id"]]


async def test_non_images_and_other_formats_are_refused_by_content(gateway: RunningGateway, key: str) -> None:
    async with gateway.client(key) as client:
        renamed = await upload(client, "product.png", b"#!/bin/sh\necho this is not a picture\n" * 50)
        assert renamed.status_code == 415 and renamed.headers["content-type"].startswith(PROBLEM)
        gif = await upload(client, "product.jpg", image_bytes("GIF"), "image/jpeg")
        assert gif.status_code == 415
        truncated = await upload(client, "cut.png", image_bytes("PNG")[:300])
        assert truncated.status_code == 422 and truncated.headers["content-type"].startswith(PROBLEM)
        empty = await upload(client, "empty.png", b"")
        assert empty.status_code == 422
        no_file = await client.post("/v1/assets", data={"note": "forgot the file"})
        assert no_file.status_code == 422
        assert (await client.get("/v1/assets")).json()["items"] == []


async def test_uploads_over_10_mb_are_refused(gateway: RunningGateway, key: str) -> None:
    too_big = image_bytes("PNG", (64, 64)) + os.urandom(10 * 1024 * 1024 + 1)
    async with gateway.client(key) as client:
        declared = await upload(client, "big.png", too_big)
        assert declared.status_code == 413 and declared.headers["content-type"].startswith(PROBLEM)

        boundary = "admintboundary"
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
                f"Content-Type: image/png\r\n\r\n").encode()

        async def chunked():  # no Content-Length: the limit must hold while reading
            yield head
            for start in range(0, len(too_big), 1 << 20):
                yield too_big[start:start + (1 << 20)]
            yield f"\r\n--{boundary}--\r\n".encode()

        streamed = await client.post("/v1/assets", content=chunked(),
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert streamed.status_code == 413 and streamed.headers["content-type"].startswith(PROBLEM)


async def test_assets_are_owner_scoped_and_used_by_generations(
    gateway: RunningGateway, key: str, other_key: str
) -> None:
    async with gateway.client(key) as mine, gateway.client(other_key) as theirs:
        asset = (await upload(mine, "bottle.png", image_bytes("PNG"))).json()
        aid = asset["id"]
        assert (await theirs.get(f"/v1/assets/{aid}")).status_code == 404
        assert (await theirs.delete(f"/v1/assets/{aid}")).status_code == 404
        assert (await theirs.get("/v1/assets")).json()["items"] == []
        refused = await theirs.post("/v1/generations", json={"brief": "An ad", "product_asset_id": aid})
        assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/product_asset_id"

        created = await mine.post("/v1/generations", json={"brief": "An ad for my bottle", "product_asset_id": aid})
        assert created.status_code == 202
        gid = created.json()["id"]
        spec = (await mine.get(f"/v1/generations/{gid}")).json()["spec"]
        assert spec["product_asset_id"] == aid
        assert spec["product_asset"]["key"] == f"assets/{await owner_of(gateway, key)}/{aid}/image.png"
        assert spec["product_asset"]["sha256"] == asset["sha256"]
        assert spec["product_asset"]["url"].startswith("http")

        in_use = await mine.delete(f"/v1/assets/{aid}")
        assert in_use.status_code == 409
        await mine.post(f"/v1/generations/{gid}/cancel")
        assert (await mine.delete(f"/v1/assets/{aid}")).status_code == 204
        assert (await mine.get(f"/v1/assets/{aid}")).status_code == 404
    assert await gateway.state.blobs.list_keys(f"assets/{await owner_of(gateway, key)}/{aid}/") == []


async def owner_of(gateway: RunningGateway, key: str) -> str:
    async with gateway.client(key) as client:
        return str((await client.get("/v1/me")).json()["owner"])
