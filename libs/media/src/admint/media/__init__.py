"""admint media: ffmpeg/ffprobe and in-process image work shared by the media services. Knows no bus."""
