"""Baseline (a) of bench/stitch.py: the way MoviePy-based generators stitch an ad.

Runs in its own throwaway environment (`uv run --isolated --with moviepy`), because MoviePy pins Pillow < 12 and
must not hold back the workspace's Pillow. Prints one JSON line: {"seconds": wall time of compose + write}.
"""

import argparse
import json
import time

from moviepy import AudioFileClip, VideoFileClip, afx, concatenate_videoclips, vfx


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--music", required=True)
    parser.add_argument("--crossfade", type=float, default=0.5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("clips", nargs="+")
    args = parser.parse_args()

    started = time.perf_counter()
    clips = [VideoFileClip(p) for p in args.clips]
    clips = [clips[0]] + [c.with_effects([vfx.CrossFadeIn(args.crossfade)]) for c in clips[1:]]
    video = concatenate_videoclips(clips, method="compose", padding=-args.crossfade)
    music = AudioFileClip(args.music).subclipped(0, video.duration)
    music = music.with_effects([afx.AudioFadeIn(0.5), afx.AudioFadeOut(1.5)])
    video = video.with_audio(music)
    video.write_videofile(
        args.out, fps=30, codec="libx264", audio_codec="aac", audio_fps=48000, preset="veryfast",
        threads=args.threads, ffmpeg_params=["-crf", "20", "-pix_fmt", "yuv420p", "-profile:v", "high",
                                             "-movflags", "+faststart"], logger=None,
    )
    print(json.dumps({"seconds": time.perf_counter() - started}))


if __name__ == "__main__":
    main()
