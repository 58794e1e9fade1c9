"""A probe of an MP4 in-process, from its `moov` box: what ffprobe would say, without starting ffprobe.

Starting ffprobe costs ~0.1 s of CPU on this machine kind (it maps and relocates ~200 shared libraries) for a few
kilobytes of box reading; the chunker probed every chunk it encoded and the scorer every video it scored, so at
small sizes the start-ups were a large share of the pipeline's CPU. This reader answers for the files the
pipeline writes (H.264 video, optional AAC audio, a `colr` box) and returns None for anything else — another
codec, a fragmented file, an untagged colour matrix, an odd profile — so the caller asks ffprobe, as before.
Its answers are checked field by field against ffprobe's on the pipeline's own kinds of file (tests/unit/media).
"""

import struct
from fractions import Fraction
from pathlib import Path

from admint.media.media_info import MediaInfo
from admint.media.mp4 import boxes, find_box, media_timescale, scan, stbl_of, track_of, trak_of

PROFILES = {77: "Main", 88: "Extended", 100: "High"}
"""H.264 profile_idc → ffprobe's profile name (Baseline depends on a constraint flag: see _profile_name)."""
MATRICES = {1: "bt709", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 9: "bt2020nc"}
"""ISO/IEC 23091-2 matrix_coefficients → ffprobe's color_space name (2, unspecified, is left to ffprobe)."""
AAC_OBJECT_TYPE = 0x40
"""The esds objectTypeIndication of MPEG-4 audio (AAC)."""
VISUAL_ENTRY_HEADER = 78
"""Bytes of a visual sample entry's own fields, before its child boxes (avcC, colr, …)."""
AUDIO_ENTRY_HEADER = 28
"""Bytes of an audio sample entry's own fields, before its child boxes (esds)."""


def read_media_info(path: Path) -> MediaInfo | None:
    """The MediaInfo ffprobe would give for `path`, or None when only ffprobe can tell."""
    try:
        layout = scan(path)
        moov = layout.moov if layout.whole else None
        track = track_of(moov) if moov is not None else None
        video = trak_of(moov, b"vide") if moov is not None and track is not None else None
        if moov is None or track is None or video is None:
            return None
        sample_entry = _sample_entry(moov, video)
        colour = sample_entry and _colour(moov, *sample_entry)
        profile = sample_entry and _profile_name(moov, *sample_entry)
        duration = _movie_duration_s(moov)
        if not (colour and profile and duration):
            return None
        audio = _audio(moov)
        return MediaInfo(
            duration_s=duration, width=track.width, height=track.height, fps=track.fps, video_codec="h264",
            profile=profile, pix_fmt="yuv420p", frames=track.frames, has_audio=audio is not None,
            audio_codec="aac" if audio else "", audio_rate=audio or 0, faststart=layout.faststart,
            color_space=colour, color_range="tv",
        )
    except (struct.error, IndexError, OSError, ValueError, _NeedsFfprobe):
        return None


class _NeedsFfprobe(Exception):
    """Something only ffprobe can tell (raised where a helper would otherwise need a third kind of answer)."""


def _movie_duration_s(moov: bytes) -> float | None:
    """The movie header's duration in seconds (ffprobe's format duration), rounded to its microseconds."""
    mvhd = find_box(moov, 8, len(moov), b"mvhd")
    if mvhd is None:
        return None
    s = mvhd[0]
    if moov[s] == 1:
        timescale, duration = struct.unpack(">IQ", moov[s + 20 : s + 32])
    else:
        timescale, duration = struct.unpack(">II", moov[s + 12 : s + 20])
    if not timescale or not duration:
        return None
    return round(duration / timescale, 6)


def _first_entry(moov: bytes, trak: tuple[int, int]) -> tuple[bytes, int, int] | None:
    """(type, payload start, payload end) of a track's first sample entry."""
    stbl = stbl_of(moov, trak)
    stsd = stbl and find_box(moov, *stbl, b"stsd")
    return next(iter(boxes(moov, stsd[0] + 8, stsd[1])), None) if stsd else None


def _sample_entry(moov: bytes, trak: tuple[int, int]) -> tuple[int, int] | None:
    """Payload range of the video track's first sample entry, when it is avc1."""
    entry = _first_entry(moov, trak)
    return (entry[1], entry[2]) if entry is not None and entry[0] == b"avc1" else None


def _profile_name(moov: bytes, start: int, end: int) -> str | None:
    """ffprobe's profile name from the avcC record, for 8-bit 4:2:0 profiles only (None otherwise)."""
    avcc = find_box(moov, start + VISUAL_ENTRY_HEADER, end, b"avcC")
    if avcc is None:
        return None
    record = moov[avcc[0] : avcc[1]]
    profile_idc, constraints = record[1], record[2]
    if profile_idc == 66:
        return "Constrained Baseline" if constraints & 0x40 else "Baseline"
    if profile_idc == 100 and not _high_is_8bit_420(record):
        return None
    return PROFILES.get(profile_idc)


def _high_is_8bit_420(record: bytes) -> bool:
    """A High-profile avcC ends with chroma_format and bit depths after its parameter sets; High allows 4:0:0."""
    pos = 6
    for _ in range(record[5] & 0x1F):  # sequence parameter sets, each with a 16-bit length
        pos += 2 + int.from_bytes(record[pos : pos + 2], "big")
    pps, pos = record[pos], pos + 1
    for _ in range(pps):
        pos += 2 + int.from_bytes(record[pos : pos + 2], "big")
    if pos + 3 > len(record):
        return False  # no extension: ffprobe would look at the SPS itself
    chroma_format, luma_depth, chroma_depth = record[pos] & 0x03, record[pos + 1] & 0x07, record[pos + 2] & 0x07
    return chroma_format == 1 and luma_depth == 0 and chroma_depth == 0


def _colour(moov: bytes, start: int, end: int) -> str | None:
    """The color_space of a limited-range stream from the sample entry's nclx `colr` box; None when absent,
    unspecified or full range (ffprobe then names the pixel format after the decoder, yuvj420p)."""
    colr = find_box(moov, start + VISUAL_ENTRY_HEADER, end, b"colr")
    if colr is None or colr[1] - colr[0] < 11 or moov[colr[0] : colr[0] + 4] != b"nclx":
        return None
    matrix, flags = struct.unpack(">HB", moov[colr[0] + 8 : colr[0] + 11])
    return None if flags & 0x80 else MATRICES.get(matrix)


def _audio(moov: bytes) -> int | None:
    """The AAC track's sample rate; None without an audio track."""
    trak = trak_of(moov, b"soun")
    if trak is None:
        return None
    entry = _first_entry(moov, trak)
    if entry is None or entry[0] != b"mp4a":
        raise _NeedsFfprobe("audio that is not MPEG-4 audio")
    _, s, e = entry
    esds = find_box(moov, s + AUDIO_ENTRY_HEADER, e, b"esds")
    if esds is None or _object_type(moov[esds[0] + 4 : esds[1]]) != AAC_OBJECT_TYPE:
        raise _NeedsFfprobe("audio that is not AAC")
    rate = Fraction(struct.unpack(">I", moov[s + 24 : s + 28])[0], 1 << 16)
    timescale = media_timescale(moov, trak)
    if timescale is None or rate != timescale:  # they disagree (or > 65535 Hz): the codec config decides
        raise _NeedsFfprobe("an audio sample rate the boxes disagree on")
    return timescale


def _object_type(descriptor: bytes) -> int | None:
    """objectTypeIndication of the DecoderConfigDescriptor inside an ES_Descriptor (ISO/IEC 14496-1)."""
    pos = 0
    tag, pos = descriptor[pos], _skip_length(descriptor, pos + 1)
    if tag != 0x03:
        return None
    flags = descriptor[pos + 2]
    pos += 3 + (2 if flags & 0x80 else 0)
    if flags & 0x40:
        pos += 1 + descriptor[pos]
    if flags & 0x20:
        pos += 2
    if descriptor[pos] != 0x04:
        return None
    return descriptor[_skip_length(descriptor, pos + 1)]


def _skip_length(data: bytes, pos: int) -> int:
    """The position after an expandable descriptor length (1-4 bytes, 7 bits each)."""
    for _ in range(4):
        more = data[pos] & 0x80
        pos += 1
        if not more:
            break
    return pos
