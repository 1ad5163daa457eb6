"""A small video made with PyAV for the tests: each frame one solid colour."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def colour(n: int) -> tuple[int, int, int]:
    """The colour of frame ``n``: far apart from frame to frame."""
    return ((n * 97) % 256, (255 - n * 53) % 256, (n * 151 + 40) % 256)


def write_video(path: Path, frames: int = 10, width: int = 64, height: int = 48,
                fps: int = 10) -> None:
    import av

    codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"g": "4"}  # a keyframe every 4 frames: frame 7 is decoded forward
        for n in range(frames):
            pixels = np.zeros((height, width, 3), dtype=np.uint8)
            pixels[:] = colour(n)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
