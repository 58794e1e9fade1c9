"""Video chunks from Replicate image-to-video models (wan-i2v, hailuo), started from the chunk's init frame.

Each model makes clips of its own native length (registry `chunk_duration_s`) whatever we ask, so the chunker
plans chunks by that length and trims at the stitch. The camera move of the beat goes into the prompt in the
words these models were trained on. The init frame is sent as a JPEG no larger than the model generates at
(smaller upload, no quality lost), as a data URI or, when still large, through the Files API.
"""

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2

from admint.core.errors import PermanentProviderError
from admint.providers.billing import WAN_FPS, WAN_REF, billed_seconds, wan_frames
from admint.providers.ports import VideoRequest, VideoResult
from admint.providers.registry import ModelInfo, ModelRegistry, load_registry
from admint.providers.replicate import ReplicateClient, output_suffix, write_atomic
from admint.providers.replicate_image import decode_image

CAMERA_WORDS = {
    "static": "static locked-off camera, subtle natural motion in the scene",
    "dolly_in": "slow dolly in toward the subject",
    "dolly_out": "slow dolly out, pulling back to reveal the scene",
    "pan_left": "smooth camera pan to the left",
    "pan_right": "smooth camera pan to the right",
    "tilt_up": "camera tilts up slowly",
    "tilt_down": "camera tilts down slowly",
    "orbit": "camera orbits around the subject with gentle parallax",
}


def video_prompt(request: VideoRequest) -> str:
    """Scene prompt + camera move + pace (from energy) + continuity for a chunk later in its beat."""
    pace = (
        "calm, gentle motion" if request.energy < 0.35
        else "dynamic, energetic motion" if request.energy > 0.7
        else "smooth, steady motion"
    )
    camera = CAMERA_WORDS.get(request.camera_movement, request.camera_movement.replace("_", " "))
    parts = [request.prompt.rstrip(". "), camera, pace]
    if request.beat_offset_s > 0:
        parts.append("continuing the same shot seamlessly, same lighting and framing")
    parts.append("cinematic commercial footage, consistent lighting, no text")
    return ". ".join(parts)


@dataclass(frozen=True)
class VideoInputs:
    """How one model family wants its inputs, and what it bills."""

    max_long_side: int
    build: Callable[[VideoRequest, str, "ReplicateVideoModel"], dict[str, Any]]
    billed_seconds: Callable[["ReplicateVideoModel"], float]




def _wan_frames(model: "ReplicateVideoModel") -> int:
    """Wan needs 81..100 frames; 81 at 16 fps is its native ~5 s."""
    return wan_frames(model.chunk_duration_s)


def _wan_inputs(request: VideoRequest, image: str, model: "ReplicateVideoModel") -> dict[str, Any]:
    portrait = request.size.height > request.size.width
    return {
        "image": image,
        "prompt": video_prompt(request),
        "num_frames": _wan_frames(model),
        "frames_per_second": WAN_FPS,
        "max_area": "480x832" if portrait else "832x480",
        "seed": request.seed % 2**31,
    }


def _hailuo_inputs(request: VideoRequest, image: str, model: "ReplicateVideoModel") -> dict[str, Any]:
    return {"prompt": video_prompt(request), "first_frame_image": image, "prompt_optimizer": False}


MODEL_INPUTS: dict[str, VideoInputs] = {
    WAN_REF: VideoInputs(832, _wan_inputs, lambda m: billed_seconds(m.info, m.chunk_duration_s)),
    "minimax/video-01": VideoInputs(1280, _hailuo_inputs, lambda m: billed_seconds(m.info, m.chunk_duration_s)),
}


def init_frame_jpeg(png: bytes, max_long_side: int) -> bytes:
    """The init frame as JPEG (q=92), downscaled to the model's working size when larger."""
    pixels = decode_image(png, "the init frame")
    h, w = pixels.shape[:2]
    scale = max_long_side / max(h, w)
    if scale < 1:
        pixels = cv2.resize(pixels, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, 92])
    if not ok:  # pragma: no cover
        raise PermanentProviderError("could not encode the init frame as JPEG")
    return buf.tobytes()


class ReplicateVideoModel:
    """VideoModel port on Replicate image-to-video models named in the registry."""

    name: str
    chunk_duration_s: float

    def __init__(self, client: ReplicateClient, *, model: str = "wan-i2v",
                 registry: ModelRegistry | None = None) -> None:
        info = (registry or load_registry()).get(model)
        ref = info.ref.partition(":")[0]
        if info.kind != "video" or info.provider != "replicate" or ref not in MODEL_INPUTS:
            raise ValueError(
                f"model {model!r} ({info.ref or 'no ref'}) is not a supported Replicate video model; "
                f"supported refs: {', '.join(MODEL_INPUTS)}"
            )
        if info.chunk_duration_s is None:
            raise ValueError(f"model {model!r} has no chunk_duration_s in the registry")
        self.client = client
        self.info: ModelInfo = info
        self.inputs = MODEL_INPUTS[ref]
        self.name = info.name
        self.chunk_duration_s = info.chunk_duration_s

    async def animate(self, request: VideoRequest) -> VideoResult:
        jpeg = await asyncio.to_thread(init_frame_jpeg, request.init_frame_png, self.inputs.max_long_side)
        image = await self.client.file_input(jpeg, "image/jpeg", "init.jpg")
        prediction = await self.client.run(self.info, self.inputs.build(request, image, self))
        video = (await self.client.download(prediction.output))[0]
        suffix = output_suffix(prediction.output, ".mp4")
        path = request.workdir / f"{self.name}-{_request_key(request)}{suffix}"
        await asyncio.to_thread(write_atomic, path, video)
        units = self.inputs.billed_seconds(self)
        return VideoResult(model=self.name, cost_usd=self.info.price(units), path=path,
                           notes={**prediction.notes(), "billed_seconds": f"{units:g}"})


def _request_key(request: VideoRequest) -> str:
    """Distinct per chunk (init frame, prompt, seed, offset), stable across retries of the same chunk."""
    digest = hashlib.sha256(request.init_frame_png)
    digest.update(f"{request.prompt}|{request.camera_movement}|{request.seed}|{request.beat_offset_s}".encode())
    return digest.hexdigest()[:16]

