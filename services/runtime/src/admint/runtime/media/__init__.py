"""Media helpers around ffmpeg/ffprobe: the house format, probing, subprocess running."""
