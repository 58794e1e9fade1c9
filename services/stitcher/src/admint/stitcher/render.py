"""Executing a smart-render timeline: encode the windows with ffmpeg, copy everything else as compressed samples.

Media code, used only by the encoder adapter (encoder.py) and the stitch benchmark; the handler sees the port.

Only the windows are decoded and encoded; everything else moves as compressed packets. The steps:
1. probe each chunk from its sample tables (frame count, keyframes, house-format check);
2. encode every window (crossfade / fit) straight from the chunks (input seeking), spread over a few ffmpeg
   runs (window_groups), while the music bed is rendered;
3. write the master from the chunks' keyframe-aligned spans and the windows, bed muxed in, moov first
   (mp4_join: sample tables and byte copies, no process); if the files do not allow that, ffmpeg splits the
   chunks at keyframes (segment muxer) and its concat demuxer joins the parts.
"""

import asyncio
import dataclasses
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from admint.core.cpus import usable_cpus
from admint.media.ffmpeg import MediaToolError, ffmpeg, ffprobe_binary, run_tool
from admint.media.house import HOUSE, HouseFormat
from admint.media.mp4 import read_track
from admint.media.mp4_join import JoinUnsupported, Span, join_mp4
from admint.stitcher.ports import BedSource, ClipFile, PlacedWindow, ReusedWindows, StitchResult
from admint.stitcher.timeline import BeatClips, Clip, Piece, Segment, Timeline, Window, plan_timeline

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClipProbe:
    clip: Clip
    width: int
    height: int
    fps: float
    codec: str
    pix_fmt: str
    extradata: str = ""
    """Hash of the codec parameter sets (SPS/PPS): stream-copied pieces must all share it."""


async def probe_clip(path: Path, clip_id: str) -> ClipProbe:
    """Frame count, keyframe positions (display order) and stream facts: from the MP4 sample tables when the
    file allows (no process), else from ffprobe's packet list. No decoding either way."""
    track = await asyncio.to_thread(read_track, path)
    if track is not None:
        return ClipProbe(
            clip=Clip(clip_id, track.frames, track.keyframes), width=track.width, height=track.height,
            fps=track.fps, codec="h264", pix_fmt=track.pix_fmt, extradata=track.extradata_md5,
        )
    return await ffprobe_clip(path, clip_id)


async def ffprobe_clip(path: Path, clip_id: str) -> ClipProbe:
    out = await run_tool(
        [ffprobe_binary(), "-v", "error", "-select_streams", "v:0", "-show_data_hash", "md5", "-show_entries",
         "stream=codec_name,width,height,pix_fmt,avg_frame_rate,r_frame_rate,extradata_hash:packet=pts,flags",
         "-of", "json", str(path)],
        timeout_s=120,
    )
    data = json.loads(out)
    streams = data.get("streams") or [{}]
    stream = streams[0]
    packets = sorted(
        (int(p["pts"]), "K" in p.get("flags", "")) for p in data.get("packets", []) if p.get("pts") is not None
    )
    if not packets:
        raise MediaToolError(f"chunk {clip_id} has no video frames")
    keyframes = tuple(i for i, (_, key) in enumerate(packets) if key)
    rate = stream.get("avg_frame_rate") or stream.get("r_frame_rate") or "0/1"
    fps = float(Fraction(rate)) if rate not in ("0/0", "") else 0.0
    return ClipProbe(
        clip=Clip(clip_id, len(packets), keyframes), width=int(stream.get("width", 0)),
        height=int(stream.get("height", 0)), fps=fps, codec=str(stream.get("codec_name", "")),
        pix_fmt=str(stream.get("pix_fmt", "")), extradata=str(stream.get("extradata_hash", "")).split(":")[-1],
    )


def house_problems(probe: ClipProbe, width: int, height: int, fps: int) -> list[str]:
    """Why a chunk cannot be stream-copied next to the others (empty when it is in the house format)."""
    problems = []
    if probe.codec != "h264":
        problems.append(f"codec {probe.codec}")
    if (probe.width, probe.height) != (width, height):
        problems.append(f"size {probe.width}x{probe.height}")
    if probe.pix_fmt != HOUSE.pix_fmt:
        problems.append(f"pix_fmt {probe.pix_fmt}")
    if abs(probe.fps - fps) > 0.01:
        problems.append(f"fps {probe.fps:g}")
    if probe.clip.keyframes[0] != 0:
        problems.append("no keyframe on the first frame")
    return problems


async def normalise(src: Path, out: Path, width: int, height: int, fps: int) -> Path:
    """Re-encode a stray chunk into the house format (the chunker should already have done so)."""
    vf = (f"scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},"
          f"fps={fps},format={HOUSE.pix_fmt}")
    await ffmpeg("-i", str(src), "-an", "-vf", vf, *house_at(fps).video_args(), str(out))
    return out


def house_at(fps: int) -> HouseFormat:
    """The house encoder settings at the generation's frame rate (as the chunker encodes its chunks)."""
    return dataclasses.replace(HOUSE, fps=fps)


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "'\\''") + "'"


def write_concat_list(paths: Sequence[Path], out: Path) -> Path:
    out.write_text("ffconcat version 1.0\n" + "".join(f"file {_quote(p.resolve())}\n" for p in paths))
    return out


async def split_clips(
    timeline: Timeline, clips: dict[str, Clip], paths: dict[str, Path], workdir: Path
) -> dict[Piece, Path]:
    """Stream-copy every chunk that has cuts into its pieces, in one ffmpeg run (the segment muxer cuts
    exactly on closed-GOP keyframes; `-avoid_negative_ts disabled` keeps every piece's timestamps alike)."""
    out: dict[Piece, Path] = {}
    args: list[str] = []
    outputs: list[str] = []
    for n, (clip_id, cuts) in enumerate(sorted(timeline.cuts.items())):
        args += ["-i", str(paths[clip_id])]
        pattern = workdir / f"piece-{clip_id}-%03d.mp4"
        outputs += [
            "-map", f"{n}:v:0", "-c", "copy", "-f", "segment", "-segment_frames", ",".join(map(str, cuts)),
            "-reset_timestamps", "1", "-avoid_negative_ts", "disabled", "-segment_format", "mp4", str(pattern),
        ]
        for i, piece in enumerate(timeline.pieces_of(clips[clip_id])):
            out[piece] = workdir / f"piece-{clip_id}-{i:03d}.mp4"
    if args:
        await ffmpeg(*args, *outputs)
    missing = [p.name for p in out.values() if not p.exists()]
    if missing:
        raise MediaToolError(f"splitting chunks produced no {', '.join(missing)}")
    for clip_id, clip in clips.items():
        if clip_id not in timeline.cuts:
            out[Piece(clip_id, 0, clip.frames)] = paths[clip_id]
    return out


def _source(pieces: Sequence[Piece], first_input: int, label: str) -> str:
    """Filter text joining decoded pieces (inputs first_input, first_input + 1, …) into one stream [label]."""
    if len(pieces) == 1:
        return f"[{first_input}:v]trim=end_frame={pieces[0].frames},setpts=PTS-STARTPTS[{label}]"
    parts = [
        f"[{first_input + j}:v]trim=end_frame={p.frames},setpts=PTS-STARTPTS[{label}{j}]" for j, p in enumerate(pieces)
    ]
    joined = "".join(f"[{label}{j}]" for j in range(len(pieces)))
    return ";".join([*parts, f"{joined}concat=n={len(pieces)}:v=1:a=0[{label}]"])


def window_filter(window: Window, fps: int, transition: str, first_input: int = 0) -> str:
    """Filter graph of one window (inputs: its `a` pieces then its `b` pieces, each already seeked).

    `a` is fitted to a_frames (trimmed, or its last frame cloned) and, for a crossfade, dissolves into `b`.
    The plain "fade" is an alpha fade of `b` over `a` in 4:2:0 (ffmpeg's xfade works in 4:4:4 only, and
    converting both inputs there and back costs more than the blend); other transitions use xfade.
    """
    w = f"w{window.index}"
    graph = _source(window.a, first_input, f"{w}a")
    fit = f"[{w}a]setpts=PTS-STARTPTS"
    surplus = window.a_source_frames - window.a_frames
    if surplus > 0:
        fit += f",trim=end_frame={window.a_frames}"
    elif surplus < 0:
        fit += f",tpad=stop_mode=clone:stop={-surplus}"
    if window.kind == "fit":
        return f"{graph};{fit}[{w}]"
    b_graph = _source(window.b, first_input + len(window.a), f"{w}b")
    offset = (window.a_frames - window.overlap) / fps
    duration = window.overlap / fps
    if transition == "fade":
        hold = window.out_frames - window.a_frames  # `a` holds its last frame under the opaque end of `b`
        return (
            f"{graph};{b_graph};{fit}" + (f",tpad=stop_mode=clone:stop={hold}" if hold > 0 else "") + f"[{w}f];"
            f"[{w}b]setpts=PTS+{offset:.6f}/TB,format=yuva420p,"
            f"fade=t=in:st={offset:.6f}:d={duration:.6f}:alpha=1[{w}o];"
            f"[{w}f][{w}o]overlay=format=yuv420:eof_action=pass[{w}]"
        )
    return (
        f"{graph};{b_graph};{fit}[{w}f];"
        f"[{w}f][{w}b]xfade=transition={transition}:duration={duration:.6f}:offset={offset:.6f}[{w}]"
    )


WINDOW_SPEED = [
    "-me_method", "dia", "-subq", "0", "-rc-lookahead", "0", "-mbtree", "0", "-b_strategy", "0", "-aq-mode", "0",
    "-x264-params", "partitions=none:no-deblock=1",
]
"""x264 analysis settings for the short windows: ~45% less encode CPU than the house settings, at a higher
bitrate (SSIM 0.990 against the blended source vs 0.988 for the house settings on the bench windows). Only
options that leave the parameter sets (SPS/PPS) alone: crf (pic_init_qp), weighted prediction, 8x8dct, B-frame
pyramid and the like stay as the house has them, so the windows still concatenate with the copied chunks
(checked after encoding; see stitch). Deblocking off is a slice-header choice, not a PPS one."""

READ_FRAMES_SLACK = 0.5
"""Input `-t` covers the piece plus half a frame: ffmpeg applies an input duration to decoded frames in display
order, so nothing past the piece needs decoding; the half frame only guards float rounding (trim cuts exactly)."""


def _seek_input(path: Path, piece: Piece, fps: int) -> list[str]:
    """Input args that decode only the piece: seek to its first frame (a keyframe, so nothing decoded is thrown
    away) and stop reading just after its last, instead of decoding the chunk to its end."""
    seek = ["-ss", f"{piece.start / fps:.6f}"] if piece.start else []
    return [*seek, "-t", f"{(piece.frames + READ_FRAMES_SLACK) / fps:.6f}", "-threads", "1", "-i", str(path)]


def window_groups(windows: int, cores: int) -> int:
    """How many ffmpeg runs share the windows: as few as possible (each run costs ~0.1 s of start-up and
    probing), but no run may hold more than its fair share of the cores (windows // cores), or the largest one
    alone sets the wall time: 5 windows on 2 cores → 3 runs of 2, 2 and 1 rather than 3 + 2."""
    if windows <= cores:
        return windows
    per_run = windows // cores
    return -(-windows // per_run)


async def encode_windows(
    windows: Sequence[Window], paths: dict[str, Path], workdir: Path, fps: int, transition: str,
    fast: bool = True,
) -> dict[int, Path]:
    """Encode a group of windows in one ffmpeg run, straight from the chunks (input seeking, no split)."""
    inputs: list[str] = []
    graphs: list[str] = []
    outputs: list[str] = []
    result: dict[int, Path] = {}
    n = 0
    for w in windows:
        for piece in (*w.a, *w.b):
            inputs += _seek_input(paths[piece.clip], piece, fps)
        graphs.append(window_filter(w, fps, transition, first_input=n))
        n += len(w.a) + len(w.b)
        result[w.index] = workdir / f"window-{w.index}.mp4"
        outputs += ["-map", f"[w{w.index}]", "-an", *house_at(fps).video_args(), *(WINDOW_SPEED if fast else []),
                    "-frames:v", str(w.out_frames), str(result[w.index])]
    await ffmpeg(*inputs, "-filter_complex", ";".join(graphs), *outputs)
    return result


async def concat_mux(segments: Sequence[Path], audio: Path | None, out: Path, workdir: Path) -> Path:
    """One stream-copy pass: pieces and windows in order, the music bed muxed in, moov moved to the front."""
    listing = write_concat_list(segments, workdir / "master.txt")
    args = ["-f", "concat", "-safe", "0", "-i", str(listing)]
    if audio is not None:
        args += ["-i", str(audio), "-map", "0:v:0", "-map", "1:a:0"]
    else:
        args += ["-map", "0:v:0"]
    await ffmpeg(*args, "-c", "copy", "-movflags", "+faststart", str(out))
    return out


async def count_frames(path: Path) -> int:
    """Video frames (samples) in a file: from its sample table when it has one, else ffprobe counts packets."""
    track = await asyncio.to_thread(read_track, path)
    if track is not None:
        return track.frames
    out = await run_tool(
        [ffprobe_binary(), "-v", "error", "-select_streams", "v:0", "-count_packets",
         "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", str(path)],
        timeout_s=120,
    )
    return int(out.decode().strip().split(",")[0] or 0)


async def assemble(
    timeline: Timeline, clips: dict[str, Clip], paths: dict[str, Path], window_paths: dict[int, Path],
    audio: Path | None, out: Path, workdir: Path, reused: dict[int, Span] | None = None,
) -> str:
    """Write the master from the copied pieces and the windows (encoded now, or `reused` spans of an earlier
    master), with the bed muxed in.

    Straight from the MP4 sample tables when the files allow it (no process, nothing decoded: ~0.05 s for a
    30 s 1080p master); otherwise ffmpeg splits the chunks at keyframes and its concat demuxer joins the parts
    (~1.5 s of CPU, most of it decoding frames to probe each part). Returns which way was taken. The fallback
    needs every window as a file: the caller encodes reused windows after all before taking it (JoinUnsupported
    is raised to it when `reused` is given).
    """
    reused = reused or {}

    def window_span(segment: Segment) -> Span:
        window = timeline.window_of(segment)
        return reused.get(window.index) or Span(window_paths[window.index], 0, window.out_frames)

    spans = [Span(paths[s.piece.clip], s.piece.start, s.piece.end) if s.piece else window_span(s)
             for s in timeline.segments]
    try:
        await asyncio.to_thread(join_mp4, spans, audio, out)
        return "sample-tables"
    except JoinUnsupported as exc:
        if reused:
            raise
        log.info("joining by sample tables is not possible (%s); using ffmpeg's concat", exc)
    pieces = await split_clips(timeline, clips, paths, workdir)
    segments = [pieces[s.piece] if s.piece else window_paths[timeline.window_of(s).index] for s in timeline.segments]
    await concat_mux(segments, audio, out, workdir)
    return "ffmpeg-concat"


def beats_of(probes: Sequence[ClipProbe], files: Sequence[ClipFile], targets: Sequence[int]) -> list[BeatClips]:
    """Group probed chunks by beat in (beat, chunk) order, with each beat's frame target."""
    by_beat: dict[int, list[tuple[int, Clip]]] = {}
    for f, p in zip(files, probes, strict=True):
        by_beat.setdefault(f.beat, []).append((f.chunk, p.clip))
    if sorted(by_beat) != list(range(len(targets))):
        raise MediaToolError(f"chunks cover beats {sorted(by_beat)}, the plan has {len(targets)}")
    return [
        BeatClips(b, targets[b], tuple(c for _, c in sorted(by_beat[b], key=lambda t: t[0])))
        for b in range(len(targets))
    ]


async def _house_inputs(
    files: Sequence[ClipFile], workdir: Path, width: int, height: int, fps: int, *, everything: bool = False
) -> tuple[dict[str, Path], list[ClipProbe], int]:
    """Probe the chunks; re-encode those that are not in the house format or whose parameter sets differ from
    the others' (or all of them, `everything`), so that stream copy and concat are valid."""
    probes = list(await asyncio.gather(*(probe_clip(f.path, f.id) for f in files)))
    paths = {f.id: f.path for f in files}
    common = Counter(p.extradata for p in probes).most_common(1)[0][0]
    stray = [
        f for f, p in zip(files, probes, strict=True)
        if everything or p.extradata != common or house_problems(p, width, height, fps)
    ]
    if not stray:
        return paths, probes, 0
    fixed = await asyncio.gather(
        *(normalise(paths[f.id], workdir / f"house-{f.id}.mp4", width, height, fps) for f in stray)
    )
    for f, path in zip(stray, fixed, strict=True):
        paths[f.id] = path
    reprobed = {f.id: await probe_clip(paths[f.id], f.id) for f in stray}
    return paths, [reprobed.get(f.id, p) for f, p in zip(files, probes, strict=True)], len(stray)


async def extradata_of(path: Path) -> str:
    track = await asyncio.to_thread(read_track, path)
    if track is not None:
        return track.extradata_md5
    out = await run_tool(
        [ffprobe_binary(), "-v", "error", "-select_streams", "v:0", "-show_data_hash", "md5",
         "-show_entries", "stream=extradata_hash", "-of", "csv=p=0", str(path)],
        timeout_s=60,
    )
    return out.decode().strip().split(":")[-1]


def window_fingerprint(window: Window, hashes: dict[str, str], *, fps: int, width: int, height: int,
                       transition: str, fast: bool) -> str:
    """What a window is made of — its kind, the exact frames of the chunks it blends (by content), its length,
    the transition and the encoder settings — as one hash: equal fingerprints, equal windows."""
    parts = {
        "kind": window.kind, "a_frames": window.a_frames, "overlap": window.overlap,
        "a": [(hashes[p.clip], p.start, p.end) for p in window.a],
        "b": [(hashes[p.clip], p.start, p.end) for p in window.b],
        "fps": fps, "size": [width, height], "transition": transition, "fast": fast,
        "house": dataclasses.asdict(house_at(fps)),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


async def content_hashes(files: Sequence[ClipFile]) -> dict[str, str]:
    """Each chunk's content hash: the one it was stored with, else hashed from the file."""
    async def one(f: ClipFile) -> str:
        return f.sha256 or await asyncio.to_thread(lambda: hashlib.sha256(f.path.read_bytes()).hexdigest())

    return {f.id: h for f, h in zip(files, await asyncio.gather(*(one(f) for f in files)), strict=True)}


def placed_windows(timeline: Timeline, fingerprints: dict[int, str]) -> list[PlacedWindow]:
    """Where each window sits in the master (its first frame and length), with its fingerprint."""
    out, at = [], 0
    for segment in timeline.segments:
        frames = timeline.frames_of(segment)
        if segment.window is not None:
            out.append(PlacedWindow(fingerprints[segment.window], at, frames))
        at += frames
    return out


def reusable(timeline: Timeline, fingerprints: dict[int, str], reuse: ReusedWindows | None) -> dict[int, Span]:
    """The windows an earlier master already holds (same fingerprint, same length), as spans of that master."""
    if reuse is None:
        return {}
    held = {w.fingerprint: w for w in reuse.windows}
    spans = {}
    for window in timeline.windows:
        found = held.get(fingerprints[window.index])
        if found is not None and found.frames == window.out_frames:
            spans[window.index] = Span(reuse.master, found.start, found.start + found.frames)
    return spans


async def stitch(
    files: Sequence[ClipFile],
    beat_targets: Sequence[int],
    overlap_frames: int,
    *,
    width: int,
    height: int,
    fps: int,
    out: Path,
    workdir: Path,
    music: BedSource | None = None,
    transition: str = "fade",
    concurrency: int | None = None,
    max_fit: int | None = None,
    reuse: ReusedWindows | None = None,
) -> StitchResult:
    """Join house-format chunks into a master of exactly sum(targets) - overlap * (beats - 1) frames.

    `music`, when given, is called after the windows are encoded (start the bed's work before calling stitch
    so it runs meanwhile); a bed that resolves to None leaves the master silent. `max_fit`: see plan_timeline.
    Chunks that our encoder cannot join by stream copy (made with other settings) are re-encoded first: slower,
    never wrong.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    cores = concurrency or usable_cpus()
    expected = sum(beat_targets) - overlap_frames * (len(beat_targets) - 1)
    paths, probes, normalised = await _house_inputs(files, workdir, width, height, fps)
    hashes = await content_hashes(files)
    reused: dict[int, Span] = {}
    for attempt in (0, 1):
        timeline = plan_timeline(beats_of(probes, files, beat_targets), overlap_frames, max_fit)
        if timeline.total_frames != expected:
            raise MediaToolError(f"internal: planned {timeline.total_frames} frames, expected {expected}")
        clips = {p.clip.id: p.clip for p in probes}
        fingerprints = {w.index: window_fingerprint(w, hashes, fps=fps, width=width, height=height,
                                                    transition=transition, fast=not attempt)
                        for w in timeline.windows}
        reused = reusable(timeline, fingerprints, reuse) if not normalised else {}
        window_paths = await _encode(timeline.windows, reused, paths, workdir, fps, transition, cores, attempt)
        if not window_paths or attempt or await extradata_of(next(iter(window_paths.values()))) == \
                probes[0].extradata:
            break
        # the chunks were encoded with other parameter sets than ours: bring them all to ours (and encode the
        # windows with the plain house settings), once
        paths, probes, normalised = await _house_inputs(files, workdir, width, height, fps, everything=True)
    audio = await music() if music is not None else None
    try:
        assembled_by = await assemble(timeline, clips, paths, window_paths, audio, out, workdir, reused)
    except JoinUnsupported as exc:  # the fallback needs every window as a file: encode the reused ones after all
        log.info("reused windows cannot be joined by sample tables (%s); encoding them", exc)
        window_paths |= await _encode([w for w in timeline.windows if w.index in reused], {}, paths, workdir, fps,
                                      transition, cores, 0)
        reused = {}
        assembled_by = await assemble(timeline, clips, paths, window_paths, audio, out, workdir)
    frames = await count_frames(out)
    encoded_frames = sum(w.out_frames for w in timeline.windows if w.index not in reused)
    return StitchResult(
        path=out, frames=frames, expected_frames=expected, copied_frames=timeline.copied_frames,
        encoded_frames=encoded_frames, windows=len(timeline.windows), has_audio=audio is not None,
        normalised=normalised, assembled_by=assembled_by, placed=placed_windows(timeline, fingerprints),
        reused_windows=len(reused),
    )


async def _encode(windows: Sequence[Window], reused: dict[int, Span], paths: dict[str, Path], workdir: Path, fps: int,
                  transition: str, cores: int, attempt: int) -> dict[int, Path]:
    """Encode the windows not reused, spread over a few ffmpeg runs."""
    todo = [w for w in windows if w.index not in reused]
    if not todo:
        return {}
    groups = window_groups(len(todo), cores)
    batches = [todo[g::groups] for g in range(groups)]
    encoded = await asyncio.gather(*(encode_windows(batch, paths, workdir, fps, transition, fast=not attempt)
                                     for batch in batches))
    return {i: p for batch in encoded for i, p in batch.items()}
