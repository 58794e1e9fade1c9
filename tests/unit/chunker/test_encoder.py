"""The real chunk encoder (encoder.py on admint.media): ffmpeg/ffprobe, no servers, so `unit` like the media tests.

Jobs come from the domain (work.chunk_job) where the point is what the domain decides, so the real media path —
model clip → measure → overlays rendered → one normalise encode → stored chunk — stays covered end to end.
"""

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from admint.chunker.app import RENDER_MODULES
from admint.chunker.config import ChunkerSettings
from admint.chunker.encoder import MediaChunkEncoder
from admint.chunker.handlers import Ports, handle_chunk_requested
from admint.chunker.offline_video import OfflineVideoModel
from admint.chunker.planning import plan_chunks
from admint.chunker.ports import ChunkJob, ClipLength, EncodedChunk
from admint.chunker.requests import chunk_request
from admint.chunker.scheduling import PrioritySlots
from admint.chunker.work import chunk_job, skip_frames, video_request
from admint.contracts.chunks import ChunkCompleted, ChunkRequested
from admint.contracts.storyboard import FrameRef, StoryboardCompleted
from admint.core import keys
from admint.core.cpu_pool import CpuPool, Stop
from admint.media.frames import RawVideoWriter, decode_image, encode_png, read_frames
from admint.media.probe import probe
from admint.providers.ports import RawFrames
from tests.support import builders
from tests.support.fakes import FakeGenerationStore, FakeObjectStore
from tests.support.framecode import HEIGHT, WIDTH, decode, frame, keyframes

pytestmark = pytest.mark.unit

GID = builders.GID


def coded_clip(path: Path, frames: int, fps: int = 30) -> Path:
    """A lossless clip whose frame i spells (1, i), like a model's output."""
    with RawVideoWriter(path, WIDTH, HEIGHT, fps) as writer:
        for i in range(frames):
            writer.write(frame(1, i, WIDTH, HEIGHT))
    return path


def storyboard_png(width: int, height: int, beat: int) -> bytes:
    rng = np.random.default_rng(beat)
    img = np.zeros((height, width, 3), np.uint8)
    img[:] = rng.integers(40, 200, 3)
    img[height // 3 : height // 2, width // 4 : 3 * width // 4] = 230
    return encode_png(img)


def chunk_requests(long_side: int) -> dict[tuple[int, int], ChunkRequested]:
    """Every chunk request of a 15 s ad (three 5 s beats, 5 s model chunks), as the fan-out/fan-in build them."""
    spec, plan = builders.spec(15, long_side=long_side), builders.plan(15)
    frames = [FrameRef(beat_index=b.index, image=builders.ref(keys.storyboard_key(GID, b.index), "image/png"))
              for b in plan.beats]
    cause = StoryboardCompleted(generation_id=GID, producer="storyboard", spec=spec, plan=plan, frames=frames)
    beats = plan_chunks(plan, spec.transition, chunk_duration_s=5.0, fps=spec.fps)
    return {(c.beat_index, c.chunk_index): chunk_request(cause, spec, plan, c, frames[c.beat_index].image)
            for chunks in beats for c in chunks}


@pytest.fixture(scope="module")
def pool() -> Iterator[CpuPool]:
    """Render processes as the chunker starts them (two, whatever the machine)."""
    pool = CpuPool(2, nice=5, preload=RENDER_MODULES)
    pool.warm()
    yield pool
    pool.close()


async def render(request: ChunkRequested, workdir: Path, *, streaming: bool = False,
                 pool: CpuPool | None = None) -> EncodedChunk:
    """The offline model's clip of a request, encoded with the job the domain decides for it (the rendering in
    `pool`'s processes when given, as the chunker does, else in threads)."""
    workdir.mkdir(parents=True)
    size = request.spec.size
    png = storyboard_png(size.width, size.height, request.beat_index)
    clip = await OfflineVideoModel(streaming=streaming).animate(video_request(request, png, workdir))
    job = chunk_job(request, skip_frames(request, clip.repeats_init_frame), cta_duration_s=2.5)
    return await MediaChunkEncoder(pool=pool).encode(clip.frames or clip.path, job, workdir)


async def test_measure_reads_frames_rate_and_length(tmp_path: Path) -> None:
    length = await MediaChunkEncoder().measure(coded_clip(tmp_path / "clip.mkv", 10))
    assert (length.frames, length.fps) == (10, 30.0)
    assert length.duration_s == pytest.approx(10 / 30, abs=0.01)
    assert isinstance(length, ClipLength)


async def test_encode_cuts_skips_forces_keyframes_and_keeps_a_clean_last_frame(tmp_path: Path) -> None:
    clip = coded_clip(tmp_path / "clip.mkv", 31)
    job = ChunkJob(width=WIDTH, height=HEIGHT, fps=30, frames=30, skip_frames=1, keyframes=(21,))
    out = await MediaChunkEncoder().encode(clip, job, tmp_path)
    assert out == EncodedChunk(tmp_path / "chunk.mp4", tmp_path / "last.png")
    codes = [decode(f)[1] for f in await read_frames(out.video, WIDTH, HEIGHT)]
    assert codes == list(range(1, 31))  # the repeated init frame is gone, cut to the job's frames
    info = await probe(out.video)
    assert (info.frames, info.width, info.height, info.video_codec, info.profile, info.has_audio) == (
        30, WIDTH, HEIGHT, "h264", "High", False)
    assert keyframes(out.video) == [0, 15, 21]  # every GOP plus the transition boundary
    assert decode(decode_image(out.last_frame.read_bytes()))[1] == 30


async def test_last_beat_burns_the_cta_but_its_last_frame_stays_clean(tmp_path: Path) -> None:
    requests = chunk_requests(320)  # 180×320: big enough to see the card
    closing = await render(requests[(2, 0)], tmp_path / "last-beat")
    frames = await read_frames(closing.video, 180, 320)
    clean = decode_image(closing.last_frame.read_bytes())
    burnt = frames[-1].astype(int)
    card_rows = slice(int(320 * 0.6), int(320 * 0.8))
    assert np.abs(burnt[card_rows] - clean[card_rows].astype(int)).mean() > 20  # the card is in the video
    assert np.abs(burnt[:100] - clean[:100].astype(int)).mean() < 6  # elsewhere they are the same picture
    opening = await read_frames((await render(requests[(0, 0)], tmp_path / "first-beat")).video, 180, 320)
    caption_rows = slice(int(320 * 0.6), int(320 * 0.8))
    assert np.abs(opening[75][caption_rows].astype(int) - opening[2][caption_rows].astype(int)).mean() > 3


@pytest.mark.parametrize("request_key", [(0, 1), (2, 0)])
async def test_streamed_frames_encode_to_the_same_chunk_as_the_intermediate_file(
        tmp_path: Path, request_key: tuple[int, int], pool: CpuPool) -> None:
    """Rendering straight into the one encode (no lossless file, no second decode) changes no pixel: the chunk
    and its clean last frame are the very ones the intermediate-file path writes (captions and CTA included),
    whether the frames and cards are rendered in a thread or in a render process (the service's way)."""
    request = chunk_requests(320)[request_key]
    via_file = await render(request, tmp_path / "file")
    file_frames = await read_frames(via_file.video, 180, 320)
    clean = decode_image(via_file.last_frame.read_bytes())
    for way, streamed in [("thread", await render(request, tmp_path / "streamed", streaming=True)),
                          ("process", await render(request, tmp_path / "pooled", streaming=True, pool=pool))]:
        assert not list(streamed.video.parent.glob("*.mkv")), way  # nothing was written in between
        streamed_frames = await read_frames(streamed.video, 180, 320)
        assert streamed_frames.shape == file_frames.shape and streamed_frames.shape[0] >= 15, way
        assert np.array_equal(streamed_frames, file_frames), way
        assert np.array_equal(decode_image(streamed.last_frame.read_bytes()), clean), way
        assert keyframes(streamed.video) == keyframes(via_file.video), way


async def test_measure_of_streamed_frames_needs_no_file(tmp_path: Path) -> None:
    request = chunk_requests(128)[(0, 0)]
    clip = await OfflineVideoModel(streaming=True).animate(video_request(request, storyboard_png(72, 128, 0),
                                                                         tmp_path))
    assert clip.frames is not None and not clip.path.name
    length = await MediaChunkEncoder().measure(clip.frames)
    assert (length.frames, length.fps, length.duration_s) == (150, 30, 5.0)


async def test_a_cancelled_streamed_encode_stops_rendering_and_leaves_no_ffmpeg(tmp_path: Path) -> None:
    import threading

    from admint.providers.ports import RawFrames

    rendered: list[int] = []
    stopped = threading.Event()

    def endless(write: object, stop: threading.Event) -> int:
        frame = bytes(WIDTH * HEIGHT * 3)
        while not stop.is_set():
            write(frame)  # type: ignore[operator]
            rendered.append(1)
        stopped.set()
        raise asyncio.CancelledError()

    clip = RawFrames(WIDTH, HEIGHT, 30, 10_000, endless)
    task = asyncio.create_task(MediaChunkEncoder().encode(clip, ChunkJob(width=WIDTH, height=HEIGHT, fps=30,
                                                                         frames=10_000), tmp_path))
    while len(rendered) < 5:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stopped.is_set()  # the render thread saw the stop before the encode returned


def endless_gray(write: Callable[[bytes], None], stop: Stop) -> int:
    """A feed that renders until it is stopped (module level: it pickles into a render process)."""
    frame = bytes([128]) * (WIDTH * HEIGHT * 3)
    while not stop.is_set():
        write(frame)
    raise asyncio.CancelledError()


def children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


async def test_a_cancelled_encode_in_a_render_process_stops_it_and_its_ffmpeg(tmp_path: Path, pool: CpuPool) -> None:
    """The stop crosses into the render process (a flag file): the encode returns, the process's ffmpeg is gone,
    and the process renders the next chunk as if nothing happened."""
    clip = RawFrames(WIDTH, HEIGHT, 30, 10_000, endless_gray)
    task = asyncio.create_task(MediaChunkEncoder(pool=pool).encode(
        clip, ChunkJob(width=WIDTH, height=HEIGHT, fps=30, frames=10_000), tmp_path))
    deadline = asyncio.get_running_loop().time() + 30
    while not any(children(pid) for pid in pool.pids()):  # its ffmpeg runs: frames are being piped
        assert asyncio.get_running_loop().time() < deadline, "the render process never started its ffmpeg"
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not any(children(pid) for pid in pool.pids())  # ffmpeg ended before the encode returned
    again = await render(chunk_requests(128)[(0, 1)], tmp_path / "next", streaming=True, pool=pool)
    assert (await probe(again.video)).frames == 15


@pytest.mark.parametrize("streaming", [False, True])
async def test_the_handler_stores_what_the_real_encoder_writes(tmp_path: Path, streaming: bool) -> None:
    """chunk.requested through the handler with the offline model and the real encoder: a house-format chunk of
    exactly the frames the chunk contributes, and its last frame as a PNG, stored and listed."""
    request = chunk_requests(128)[(0, 1)]  # the 0.5 s tail of beat 0 at 72×128
    docs, blobs = FakeGenerationStore(), FakeObjectStore()
    await docs.create(builders.generation(GID, status="chunking", spec=request.spec))
    await blobs.put_bytes(request.init_frame.key, storyboard_png(72, 128, 0), "image/png")
    slots, held = PrioritySlots(1), []

    class SlotWatchingEncoder(MediaChunkEncoder):
        async def encode(self, clip: Path | RawFrames, job: ChunkJob, workdir: Path) -> EncodedChunk:
            held.append(slots.held)
            return await super().encode(clip, job, workdir)

    ports = Ports(docs=docs, blobs=blobs, video=OfflineVideoModel(streaming=streaming), encoder=SlotWatchingEncoder(),
                  settings=ChunkerSettings(workdir=str(tmp_path / "work")), encode_slots=slots)
    (done,) = await handle_chunk_requested(request, ports)
    assert held == [1] and slots.held == 0  # the encode ran in its slot and gave it back
    assert isinstance(done, ChunkCompleted) and done.actual_duration_s == pytest.approx(0.5)
    path = tmp_path / "0-1.mp4"
    path.write_bytes(await blobs.get_bytes(keys.chunk_key(GID, 0, 1)))
    info = await probe(path)
    assert (info.frames, info.width, info.height, info.video_codec, info.has_audio) == (15, 72, 128, "h264", False)
    assert decode_image(await blobs.get_bytes(keys.last_frame_key(GID, 0, 1))).shape == (128, 72, 3)
    doc = await docs.get(GID)
    assert doc is not None and doc.chunking.chunks["0-1"].video == done.video
    assert not list((tmp_path / "work").rglob("*.mkv"))  # scratch files are cleaned up
