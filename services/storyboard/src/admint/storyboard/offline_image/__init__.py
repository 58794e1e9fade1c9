"""Offline storyboard frames: numpy/OpenCV renders at the requested size, deterministic per (seed, beat).

canvas (pixels), shapes (product silhouettes, figures, props), cutout (an uploaded product photo via Canny),
scenes (composition by shot type), model (the ImageModel port).
"""

from admint.storyboard.offline_image.model import OfflineImageModel, render_frame, render_png

__all__ = ["OfflineImageModel", "render_frame", "render_png"]
