"""The sample-table joiner writes what ffmpeg's concat demuxer would (frame for frame), or declines.

Real files made by ffmpeg with the house encoder settings; every check goes through ffmpeg/ffprobe, which is
what players of the master will see.
"""

import json
import struct
import subprocess
from pathlib import Path

import pytest

from admint.media.house import HOUSE
from admint.media.mp4_join import JoinUnsupported, Span, join_mp4
from tests.support.framecode import make_clip

pytestmark = pytest.mark.unit

W, H, FPS = 160, 288, HOUSE.fps


def ffmpeg(*args: str) -> str:
    """Run ffmpeg; its stderr (errors only)."""
    proc = subprocess.run(["ffmpeg", "-hide_banner", "-v", "error", "-y", *args],
                          capture_output=True, check=True, text=True)
    return proc.stderr


def video_md5s(path: Path, start: int | None = None, end: int | None = None) -> list[tuple[int, str]]:
    """(pts, md5) of each decoded video frame, optionally of display frames [start, end) only."""
    trim = ["-vf", f"trim=start_frame={start}:end_frame={end}"] if start is not None else []
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v:0", *trim, "-f", "framemd5", "-"],
        capture_output=True, check=True, text=True,
    ).stdout
    rows = [line.split(",") for line in out.splitlines() if line and not line.startswith("#")]
    return [(int(r[2]), r[5].strip()) for r in rows]


def probe(path: Path) -> dict:  # type: ignore[type-arg]
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-of", "json", "-show_entries",
         "stream=codec_type,codec_name,profile,pix_fmt,nb_read_frames,duration:format=duration", str(path)],
        capture_output=True, check=True, text=True,
    ).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def top_level_boxes(path: Path) -> list[bytes]:
    kinds, pos, size = [], 0, path.stat().st_size
    with path.open("rb") as fh:
        while pos < size:
            fh.seek(pos)
            length, kind = struct.unpack(">I4s", fh.read(8))
            kinds.append(kind)
            pos += struct.unpack(">Q", fh.read(8))[0] if length == 1 else length
    return kinds


def bed(path: Path, seconds: float) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", *HOUSE.audio_args(), str(path))
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("join")
    return {
        "a": make_clip(d / "a.mp4", 1, 60, width=W, height=H),
        "b": make_clip(d / "b.mp4", 2, 45, width=W, height=H),
        "c": make_clip(d / "c.mp4", 3, 30, width=W, height=H),
        "bed": bed(d / "bed.m4a", 120 / FPS),
    }


def test_joins_spans_from_the_middle_of_files_and_whole_files_frame_exactly(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    a, b, c = clips["a"], clips["b"], clips["c"]
    spans = [Span(a, 15, 45), Span(b, 0, 45), Span(c, 0, 30), Span(a, 0, 15)]
    out = tmp_path / "master.mp4"
    assert join_mp4(spans, clips["bed"], out) == 120

    info = probe(out)
    video, audio = (next(s for s in info["streams"] if s["codec_type"] == t) for t in ("video", "audio"))
    assert (video["codec_name"], video["profile"], video["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert int(video["nb_read_frames"]) == 120
    assert float(video["duration"]) == pytest.approx(120 / FPS, abs=1 / FPS)
    assert float(info["format"]["duration"]) == pytest.approx(120 / FPS, abs=1 / FPS)
    assert audio["codec_name"] == "aac" and float(audio["duration"]) == pytest.approx(120 / FPS, abs=0.05)
    assert top_level_boxes(out) == [b"ftyp", b"moov", b"mdat"]

    # display order and content survive, B-frames around the joins included, at evenly spaced timestamps
    want = [md5 for s in spans for _, md5 in video_md5s(s.path, s.start, s.end)]
    got = video_md5s(out)
    assert [md5 for _, md5 in got] == want
    step = got[1][0] - got[0][0]
    assert [pts for pts, _ in got] == [got[0][0] + i * step for i in range(120)]
    assert ffmpeg("-i", str(out), "-f", "null", "-") == ""


def test_interleaves_each_span_with_the_audio_of_its_time(clips: dict[str, Path], tmp_path: Path) -> None:
    spans = [Span(clips["a"], 0, 60), Span(clips["b"], 0, 30), Span(clips["c"], 0, 30)]
    out = tmp_path / "master.mp4"
    join_mp4(spans, clips["bed"], out)
    packets = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "packet=stream_index,pos", "-of", "json", str(out)],
        capture_output=True, check=True, text=True,
    ).stdout)["packets"]
    order = [p["stream_index"] for p in sorted(packets, key=lambda p: int(p["pos"]))]
    runs = [s for i, s in enumerate(order) if i == 0 or order[i - 1] != s]
    assert runs == [0, 1, 0, 1, 0, 1]
    per_run = [sum(1 for _ in g) for g in _groups(order)]
    assert per_run[0::2] == [60, 30, 30]
    assert per_run[1::2] == pytest.approx([94, 47, 47], abs=2)  # 2 s, 1 s, 1 s of 1024-sample AAC frames


def _groups(order: list[int]) -> list[list[int]]:
    groups: list[list[int]] = []
    for s in order:
        if groups and groups[-1][-1] == s:
            groups[-1].append(s)
        else:
            groups.append([s])
    return groups


def test_one_whole_file_without_audio_plays_as_the_source(clips: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "master.mp4"
    assert join_mp4([Span(clips["b"], 0, 45)], None, out) == 45
    assert [s["codec_type"] for s in probe(out)["streams"]] == ["video"]
    assert video_md5s(out) == video_md5s(clips["b"])


def test_reads_its_own_output_co64_and_interleaved_chunks(clips: dict[str, Path], tmp_path: Path) -> None:
    first, again = tmp_path / "first.mp4", tmp_path / "again.mp4"
    join_mp4([Span(clips["a"], 0, 60), Span(clips["c"], 0, 30), Span(clips["b"], 0, 30)], clips["bed"], first)
    spans = [Span(first, 45, 75), Span(clips["b"], 15, 45)]  # crosses a chunk of audio in `first`
    assert join_mp4(spans, None, again) == 60
    assert [md5 for _, md5 in video_md5s(again)] == [
        md5 for s in spans for _, md5 in video_md5s(s.path, s.start, s.end)
    ]


@pytest.mark.parametrize("case", ["other crf", "no b-frames", "other timescale", "mid-gop start",
                                  "mid-gop end", "fragmented", "bed without audio", "no video"])
def test_declines_what_it_cannot_join_exactly(clips: dict[str, Path], tmp_path: Path, case: str) -> None:
    a, audio = clips["a"], clips["bed"]
    spans = [Span(a, 0, 30)]
    if case in ("other crf", "no b-frames", "other timescale"):
        extra = {"other crf": ["-crf", "30"], "no b-frames": ["-bf", "0"],
                 "other timescale": ["-video_track_timescale", "30000"]}[case]
        spans.append(Span(make_clip(tmp_path / "x.mp4", 4, 30, width=W, height=H, encoder_args=extra), 0, 30))
    elif case == "mid-gop start":
        spans.append(Span(a, 5, 15))
    elif case == "mid-gop end":
        spans.append(Span(a, 15, 20))
    elif case == "fragmented":
        fragmented = tmp_path / "frag.mp4"
        ffmpeg("-i", str(a), "-c", "copy", "-movflags", "frag_keyframe+empty_moov", str(fragmented))
        spans.append(Span(fragmented, 0, 30))
    elif case == "bed without audio":
        audio = a
    elif case == "no video":
        spans.append(Span(audio, 0, 1))
    out = tmp_path / "master.mp4"
    with pytest.raises(JoinUnsupported):
        join_mp4(spans, audio, out)
    assert not out.exists()
