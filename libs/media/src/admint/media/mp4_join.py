"""Joining keyframe-aligned spans of H.264 MP4s into one faststart MP4, from the sample tables alone.

The stitcher's copied pieces never need decoding: an MP4's `moov` says where every sample lives, how long it
lasts and when it is shown, so joining spans is table arithmetic plus byte copies. ffmpeg's segment split and
concat demuxer did the same job in two processes (~1.4 s of CPU, mostly probing inputs by decoding frames).

Exactness over reach: anything this writer cannot join exactly (other parameter sets or timing, a span that is
not a closed run of samples, fragmented files, ...) raises JoinUnsupported before `out` is opened, and the
caller falls back to ffmpeg.
"""

import struct
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate
from pathlib import Path

from admint.media.mp4 import boxes, find_box, read_moov, trak_of

REBUILT = {b"trak", b"edts", b"mdia", b"minf", b"stbl"}
"""Containers re-serialised child by child (so one child can be replaced); other boxes are copied whole."""
DROPPED: dict[bytes, bytes | None] = {b"udta": None, b"tref": None, b"meta": None}
"""Per-track extras of the inputs that would be stale or dangling (track references) in the master."""
COPY_BUFFER = 1 << 20


@dataclass(frozen=True)
class Span:
    """Display frames [start, end) of one MP4's H.264 video track; start is a keyframe (sync sample) and end
    is a keyframe or the track's frame count (closed GOPs, so the span is a contiguous run of samples in
    decode order)."""

    path: Path
    start: int
    end: int


class JoinUnsupported(Exception):
    """The inputs are not something the writer can join exactly (caller falls back to ffmpeg)."""


@dataclass
class _Track:
    """One track of one file: where its boxes are in `moov` and its sample tables expanded to one entry per
    sample (tens of thousands at most, so plain lists)."""

    path: Path
    moov: bytes
    mvhd: tuple[int, int]
    trak: tuple[int, int]
    tkhd: tuple[int, int]
    mdhd: tuple[int, int]
    stsd: bytes
    """Payload of the stsd box (the sample description, with avcC for video)."""
    timescale: int
    movie_timescale: int
    tkhd_duration: int
    """In the movie timescale."""
    edits: list[tuple[int, int, bytes]] | None
    """elst entries (segment duration, media time, rate bytes); None without an edit list."""
    ctts_version: int | None
    sizes: list[int]
    offsets: list[int]
    dts: list[int]
    durations: list[int]
    cts: list[int]
    """Composition offsets (pts - dts)."""
    syncs: frozenset[int] | None
    """0-based sync samples; None when every sample is one (no stss)."""

    def is_sync(self, sample: int) -> bool:
        return self.syncs is None or sample in self.syncs

    @cached_property
    def display(self) -> list[int]:
        """Decode index of each display-order frame."""
        return sorted(range(len(self.sizes)), key=lambda k: (self.dts[k] + self.cts[k], k))

    @property
    def media_time(self) -> int:
        """Media time shown first: the first non-empty edit's, else 0."""
        return next((mt for _, mt, _ in self.edits or [] if mt >= 0), 0)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _full(kind: bytes, version: int, payload: bytes) -> bytes:
    return _box(kind, bytes((version, 0, 0, 0)) + payload)


def _need(moov: bytes, parent: tuple[int, int], kind: bytes) -> tuple[int, int]:
    box = find_box(moov, *parent, kind)
    if box is None:
        raise ValueError(f"no {kind.decode()} box")
    return box


def _counted(moov: bytes, box: tuple[int, int], fields: str, skip: int = 0) -> tuple[int, ...]:
    """The flat entries of a full box holding a count then `count` records of struct `fields` (after `skip`
    extra header bytes)."""
    count = struct.unpack_from(">I", moov, box[0] + 4 + skip)[0]
    return struct.unpack_from(">" + fields * count, moov, box[0] + 8 + skip)


def _patch(moov: bytes, box: tuple[int, int], kind: bytes, fields: Sequence[tuple[int, str, int]]) -> bytes:
    """The box with some payload fields (offset, struct format, value) overwritten."""
    payload = bytearray(moov[box[0] : box[1]])
    for offset, fmt, value in fields:
        struct.pack_into(">" + fmt, payload, offset, value)
    return _box(kind, bytes(payload))


def _rebuild(moov: bytes, box: tuple[int, int], kind: bytes, new: dict[bytes, bytes | None]) -> bytes:
    """moov's `kind` box re-serialised: a child named in `new` becomes its value (None drops it), containers
    are rebuilt the same way, anything else is copied verbatim."""
    parts = []
    for k, s, e in boxes(moov, *box):
        if k in new:
            parts.append(new[k] or b"")
        elif k in REBUILT:
            parts.append(_rebuild(moov, (s, e), k, new))
        else:
            parts.append(_box(k, moov[s:e]))
    return _box(kind, b"".join(parts))


def _load(path: Path, handler: bytes) -> _Track:
    try:
        moov = read_moov(path)
        file_size = path.stat().st_size
    except OSError as exc:
        raise JoinUnsupported(f"{path.name}: {exc}") from exc
    if moov is None or find_box(moov, 8, len(moov), b"mvex"):
        raise JoinUnsupported(f"{path.name}: no moov, or a fragmented file")
    trak = trak_of(moov, handler)
    if trak is None:
        raise JoinUnsupported(f"{path.name}: no {handler.decode()} track")
    try:
        track = _parse(path, moov, trak)
    except (struct.error, IndexError, ValueError) as exc:
        raise JoinUnsupported(f"{path.name}: unreadable sample tables ({exc})") from exc
    entry = next(boxes(track.stsd, 8), (b"", 0, 0))[0]
    if handler == b"vide" and entry != b"avc1":
        raise JoinUnsupported(f"{path.name}: video is {entry!r}, not avc1")
    if not track.sizes or max(o + s for o, s in zip(track.offsets, track.sizes, strict=True)) > file_size:
        raise JoinUnsupported(f"{path.name}: no samples, or samples past the end of the file")
    return track


def _parse(path: Path, moov: bytes, trak: tuple[int, int]) -> _Track:
    mvhd = _need(moov, (8, len(moov)), b"mvhd")
    mdia = _need(moov, trak, b"mdia")
    mdhd = _need(moov, mdia, b"mdhd")
    stbl = _need(moov, _need(moov, mdia, b"minf"), b"stbl")
    stsd = _need(moov, stbl, b"stsd")
    if struct.unpack_from(">I", moov, stsd[0] + 4)[0] != 1:
        raise ValueError("not exactly one sample description")

    def version_field(box: tuple[int, int], v0: int, v1: int) -> int:
        return int(struct.unpack_from(">I", moov, box[0] + (v1 if moov[box[0]] else v0))[0])

    tkhd = _need(moov, trak, b"tkhd")
    wide_tkhd = moov[tkhd[0]] == 1
    tkhd_duration = struct.unpack_from(">Q", moov, tkhd[0] + 28)[0] if wide_tkhd else \
        struct.unpack_from(">I", moov, tkhd[0] + 20)[0]
    edts = find_box(moov, *trak, b"edts")
    elst = edts and find_box(moov, *edts, b"elst")
    edits = None
    if elst:
        wide = moov[elst[0]] == 1
        raw = _counted(moov, elst, "Qq4s" if wide else "Ii4s")
        edits = [(int(raw[i]), int(raw[i + 1]), bytes(raw[i + 2])) for i in range(0, len(raw), 3)]

    sample_size, count = struct.unpack_from(">II", moov, _need(moov, stbl, b"stsz")[0] + 4)
    sizes = [sample_size] * count if sample_size else list(_counted(moov, _need(moov, stbl, b"stsz"), "I", 4))
    stts = _counted(moov, _need(moov, stbl, b"stts"), "II")
    durations = [d for i in range(0, len(stts), 2) for d in [stts[i + 1]] * stts[i]]
    dts, t = [], 0
    for d in durations:
        dts.append(t)
        t += d
    ctts = find_box(moov, *stbl, b"ctts")
    cts: list[int] = []
    if ctts:
        raw = _counted(moov, ctts, "Ii" if moov[ctts[0]] == 1 else "II")
        cts = [c for i in range(0, len(raw), 2) for c in [raw[i + 1]] * raw[i]]
    stss = find_box(moov, *stbl, b"stss")
    syncs = frozenset(n - 1 for n in _counted(moov, stss, "I")) if stss else None

    co64 = find_box(moov, *stbl, b"co64")
    chunks = _counted(moov, co64, "Q") if co64 else _counted(moov, _need(moov, stbl, b"stco"), "I")
    stsc = _counted(moov, _need(moov, stbl, b"stsc"), "III")
    offsets: list[int] = []
    for i in range(0, len(stsc), 3):
        first, per, description = stsc[i : i + 3]
        last = stsc[i + 3] - 1 if i + 3 < len(stsc) else len(chunks)
        if description != 1:
            raise ValueError("samples of a second sample description")
        for chunk in range(first - 1, last):
            pos = chunks[chunk]
            for _ in range(per):
                offsets.append(pos)
                pos += sizes[len(offsets) - 1]
    if not (len(offsets) == len(durations) == len(sizes) >= len(cts)):
        raise ValueError("sample tables disagree on the sample count")
    return _Track(
        path=path, moov=moov, mvhd=mvhd, trak=trak, tkhd=tkhd, mdhd=mdhd,
        stsd=moov[stsd[0] : stsd[1]], timescale=version_field(mdhd, 12, 20),
        movie_timescale=version_field(mvhd, 12, 20), tkhd_duration=tkhd_duration, edits=edits,
        ctts_version=moov[ctts[0]] if ctts else None, sizes=sizes, offsets=offsets, dts=dts,
        durations=durations, cts=cts + [0] * (len(sizes) - len(cts)), syncs=syncs,
    )


def _btrt(stsd: bytes) -> tuple[int, int] | None:
    """Payload range of the bitrate box in the (single) sample entry: the one part of a sample description
    that differs between files of identical encoder settings (ffmpeg fills in each file's bitrate)."""
    entry = next(boxes(stsd, 8), None)
    return entry and find_box(stsd, entry[1] + 78, entry[2], b"btrt")


def _description_key(stsd: bytes) -> bytes:
    btrt = _btrt(stsd)
    return stsd if btrt is None else stsd[: btrt[0]] + bytes(btrt[1] - btrt[0]) + stsd[btrt[1] :]


def _run(track: _Track, span: Span) -> range:
    """The samples (decode order) that show display frames [start, end), checked to be a closed run:
    contiguous, starting on a sync sample and followed by one (or the end)."""
    n = len(track.sizes)
    if not 0 <= span.start < span.end <= n:
        raise JoinUnsupported(f"{span.path.name}: frames [{span.start}, {span.end}) outside 0..{n}")
    shown = track.display[span.start : span.end]
    a, b = min(shown), max(shown) + 1
    if b - a != len(shown):
        raise JoinUnsupported(f"{span.path.name}: frames [{span.start}, {span.end}) are not one decode run")
    if not track.is_sync(a) or (b < n and not track.is_sync(b)):
        raise JoinUnsupported(f"{span.path.name}: frames [{span.start}, {span.end}) are not keyframe-aligned")
    return range(a, b)


def _check(first: _Track, track: _Track, span: Span, run: range, duration: int, offset: int) -> None:
    """Samples that will play as they did: same description and timing, and display order continuing exactly
    where the previous span ends (each span's frames shown at offset, offset + duration, ... relative to its
    first decode time, as in the first span)."""
    name = span.path.name
    if _description_key(track.stsd) != _description_key(first.stsd):
        raise JoinUnsupported(f"{name}: sample description (parameter sets) differs from {first.path.name}'s")
    if track.timescale != first.timescale or any(track.durations[k] != duration for k in run):
        raise JoinUnsupported(f"{name}: timescale or frame duration differs from {first.path.name}'s")
    if track.cts[run.start] != offset:
        raise JoinUnsupported(f"{name}: first composition offset {track.cts[run.start]} != {offset}")
    base = track.dts[run.start]
    shown = [track.dts[k] - base + track.cts[k] for k in track.display[span.start : span.end]]
    if shown != [offset + i * duration for i in range(len(run))]:
        raise JoinUnsupported(f"{name}: frames [{span.start}, {span.end}) are not shown evenly")


def _stsc(counts: Sequence[int]) -> bytes:
    """stsc box for chunks of `counts` samples (an entry per change of count)."""
    entries = [(i + 1, c) for i, c in enumerate(counts) if i == 0 or counts[i - 1] != c]
    return _full(b"stsc", 0, struct.pack(">I", len(entries)) + b"".join(struct.pack(">III", i, c, 1)
                                                                       for i, c in entries))


def _ctts(version: int, offsets: Sequence[int]) -> bytes:
    entries: list[list[int]] = []
    for v in offsets:
        if entries and entries[-1][1] == v:
            entries[-1][0] += 1
        else:
            entries.append([1, v])
    fmt = ">Ii" if version == 1 else ">II"
    table = b"".join(struct.pack(fmt, *e) for e in entries)
    return _full(b"ctts", version, struct.pack(">I", len(entries)) + table)


def _co64(offsets: Sequence[int]) -> bytes:
    return _full(b"co64", 0, struct.pack(f">I{len(offsets)}Q", len(offsets), *offsets))


def _video_trak(first: _Track, samples: Sequence[tuple[_Track, int]], counts: Sequence[int],
                chunk_offsets: Sequence[int], movie_duration: int) -> bytes:
    """The first input's video trak with sample tables for `samples`, chunked by `counts`; per-sample boxes
    that are not regenerated (sdtp, sgpd, sbgp, ...) are left out as their numbering would be wrong."""
    moov = first.moov
    sizes = [t.sizes[k] for t, k in samples]
    cts = [t.cts[k] for t, k in samples]
    syncs = [i + 1 for i, (t, k) in enumerate(samples) if t.is_sync(k)]
    duration = first.durations[samples[0][1]]
    media_duration = duration * len(samples)
    stsd = bytearray(first.stsd)
    btrt = _btrt(first.stsd)
    if btrt:  # the whole master's bitrate, as ffmpeg fills it in for a file with no CPB properties
        inputs = {id(t): t for t, _ in samples}.values()
        sources = [struct.unpack_from(">III", t.stsd, btrt[0]) for t in inputs]
        average = sum(sizes) * 8 * first.timescale // media_duration
        struct.pack_into(">III", stsd, btrt[0], max(s[0] for s in sources),
                         max(average, *(s[1] for s in sources)), average)
    tables = [
        _box(b"stsd", bytes(stsd)),
        _full(b"stts", 0, struct.pack(">III", 1, len(samples), duration)),
        _full(b"stss", 0, struct.pack(f">I{len(syncs)}I", len(syncs), *syncs))
        if len(syncs) < len(samples) else b"",  # no stss: every sample is a sync sample
        _ctts(first.ctts_version or 0, cts) if first.ctts_version is not None or any(cts) else b"",
        _stsc(counts),
        _full(b"stsz", 0, struct.pack(f">II{len(sizes)}I", 0, len(sizes), *sizes)),
        _co64(chunk_offsets),
    ]
    wide_tkhd, wide_mdhd = moov[first.tkhd[0]], moov[first.mdhd[0]]
    new: dict[bytes, bytes | None] = {
        **DROPPED,
        b"tkhd": _patch(moov, first.tkhd, b"tkhd", [(20, "I", 1), (28, "Q", movie_duration)] if wide_tkhd
                        else [(12, "I", 1), (20, "I", movie_duration)]),
        b"mdhd": _patch(moov, first.mdhd, b"mdhd", [(24, "Q", media_duration)] if wide_mdhd
                        else [(16, "I", media_duration)]),
        b"stbl": _box(b"stbl", b"".join(tables)),
    }
    if first.edits is not None:
        wide = max(movie_duration, first.media_time) >= 1 << 31
        entry = struct.pack(">Qq" if wide else ">Ii", movie_duration, first.media_time) + first.edits[0][2]
        new[b"elst"] = _full(b"elst", int(wide), struct.pack(">I", 1) + entry)
    return _rebuild(moov, first.trak, b"trak", new)


def _audio_trak(audio: _Track, counts: Sequence[int], chunk_offsets: Sequence[int]) -> bytes:
    """The bed's trak as it is (sample order, stts, sgpd/sbgp, edit list, ...) but for track id 2 and the
    master's chunking."""
    moov = audio.moov
    co64 = _co64(chunk_offsets)
    return _rebuild(moov, audio.trak, b"trak", {
        **DROPPED, b"tkhd": _patch(moov, audio.tkhd, b"tkhd", [(20 if moov[audio.tkhd[0]] else 12, "I", 2)]),
        b"stsc": _stsc(counts), b"stco": co64, b"co64": co64,
    })


def _audio_split(audio: _Track, ends: Sequence[int], video_timescale: int) -> list[int]:
    """How many audio samples go after each span's video: those starting (in presentation time) before the
    span's end, `ends` being the spans' end times in the video timescale; the last span takes the rest."""
    counts, i, n = [], 0, len(audio.sizes)
    for end in ends[:-1]:
        j = i
        while j < n and (audio.dts[j] - audio.media_time) * video_timescale < end * audio.timescale:
            j += 1
        counts.append(j - i)
        i = j
    return [*counts, n - i]


def _ftyp(path: Path) -> bytes:
    with path.open("rb") as fh:
        head = fh.read(64)
    size, kind = struct.unpack_from(">I4s", head)
    if kind == b"ftyp" and 16 <= size <= len(head):
        return head[:size]
    return _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")


def _video_runs(spans: Sequence[Span]) -> tuple[_Track, list[tuple[_Track, range]]]:
    """Each span's track and decode-order samples, checked to join exactly; and the first span's track."""
    tracks: dict[Path, _Track] = {}
    for span in spans:
        if span.path not in tracks:
            tracks[span.path] = _load(span.path, b"vide")
    first = tracks[spans[0].path]
    runs = [(tracks[s.path], _run(tracks[s.path], s)) for s in spans]
    start = runs[0][1].start
    duration, offset = first.durations[start], first.cts[start]
    for span, (track, run) in zip(spans, runs, strict=True):
        _check(first, track, span, run, duration, offset)
    if first.edits is not None and (len(first.edits) != 1 or first.media_time != offset):
        raise JoinUnsupported(f"{first.path.name}: edit list {first.edits} does not start at the first frame")
    return first, runs


def join_mp4(spans: Sequence[Span], audio: Path | None, out: Path) -> int:
    """Write `out`: the video samples of all spans in order (one video track), plus — when given — every
    sample of the first audio track of `audio` (an .m4a of exactly the master's length), moov before mdat
    (faststart), video and audio interleaved per span (each span's video samples as one chunk followed by the
    audio samples covering the same time). Returns the number of video frames written."""
    if not spans:
        raise JoinUnsupported("no spans")
    first, runs = _video_runs(spans)
    samples = [(track, k) for track, run in runs for k in run]
    duration = first.durations[samples[0][1]]
    ends = list(accumulate(len(run) * duration for _, run in runs))
    movie_duration = -(-ends[-1] * first.movie_timescale // first.timescale)  # rounded up, as ffmpeg does

    # the mdat in order: (track, samples) chunks, each span's video then (with a bed) the audio of its time
    chunks: list[tuple[_Track, range]] = list(runs)
    bed = _load(audio, b"soun") if audio is not None else None
    if bed is not None:
        if bed.movie_timescale != first.movie_timescale:
            raise JoinUnsupported(f"{bed.path.name}: movie timescale {bed.movie_timescale} != the video's")
        bounds = [0, *accumulate(_audio_split(bed, ends, first.timescale))]
        chunks = [c for j, video in enumerate(runs)
                  for c in (video, (bed, range(bounds[j], bounds[j + 1]))) if c[1]]
    payload = sum(t.sizes[k] for t, run in chunks for k in run)
    mdat = struct.pack(">I4s", 8 + payload, b"mdat") if payload + 8 < 1 << 32 else \
        struct.pack(">I4sQ", 1, b"mdat", 16 + payload)

    def moov(base: int) -> bytes:
        """The moov for an mdat payload starting at file offset `base`."""
        positions = [base + p for p in accumulate((sum(t.sizes[k] for k in r) for t, r in chunks), initial=0)]
        placed = list(zip(positions[:-1], chunks, strict=True))
        traks = [_video_trak(first, samples, [len(r) for _, r in runs],
                             [p for p, (t, _) in placed if t is not bed], movie_duration)]
        longest = movie_duration
        if bed is not None:
            audio_chunks = [(p, len(r)) for p, (t, r) in placed if t is bed]
            traks.append(_audio_trak(bed, [n for _, n in audio_chunks], [p for p, _ in audio_chunks]))
            longest = max(longest, bed.tkhd_duration)
        wide = first.moov[first.mvhd[0]]
        mvhd = _patch(first.moov, first.mvhd, b"mvhd", [
            (24, "Q", longest) if wide else (16, "I", longest),
            (first.mvhd[1] - first.mvhd[0] - 4, "I", len(traks) + 1),  # next_track_id
        ])
        return _box(b"moov", mvhd + b"".join(traks))

    ftyp = _ftyp(first.path)
    try:  # the moov's size does not depend on the offsets in it (co64 throughout)
        head = ftyp + moov(len(ftyp) + len(moov(0)) + len(mdat)) + mdat
    except struct.error as exc:
        raise JoinUnsupported(f"a field overflows its box ({exc})") from exc
    _write(out, head, chunks, payload)
    return len(samples)


def _write(out: Path, head: bytes, chunks: Sequence[tuple[_Track, range]], payload: int) -> None:
    """Copy the samples' bytes, each run that is contiguous in its file as one buffered copy; on any failure
    remove `out` rather than leave a truncated master."""
    ranges: list[tuple[Path, int, int]] = []
    for track, run in chunks:
        for k in run:
            pos, size = track.offsets[k], track.sizes[k]
            if ranges and ranges[-1][0] == track.path and ranges[-1][1] + ranges[-1][2] == pos:
                ranges[-1] = (track.path, ranges[-1][1], ranges[-1][2] + size)
            else:
                ranges.append((track.path, pos, size))
    buffer = memoryview(bytearray(COPY_BUFFER))
    try:
        with ExitStack() as stack:
            dst = stack.enter_context(out.open("wb"))
            files = {path: stack.enter_context(path.open("rb")) for path in {r[0] for r in ranges}}
            dst.write(head)
            for path, pos, left in ranges:
                src = files[path]
                src.seek(pos)
                while left:
                    got = src.readinto(buffer[: min(left, COPY_BUFFER)])
                    if not got:
                        raise JoinUnsupported(f"{path.name}: shorter than its sample tables say")
                    dst.write(buffer[:got])
                    left -= got
            if dst.tell() != len(head) + payload:
                raise JoinUnsupported("internal: wrote another number of bytes than planned")
    except BaseException:
        out.unlink(missing_ok=True)
        raise
