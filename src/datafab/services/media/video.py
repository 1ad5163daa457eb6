"""A video file's frames, read with PyAV (the optional ``video`` extra): its frame count,
frame rate and size, read once when an item names it, and one frame decoded on demand
(seek to the keyframe before it, decode forward to it) and given back as a PNG image."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from itertools import islice
from pathlib import Path
from typing import Any

from datafab.errors import InvalidInput

EXTRA = "pip install 'datafab[video]'"
MAX_DECODED = 10_000  # frames decoded forward from a keyframe before giving up
MAX_COUNTED = 100_000  # the most frames a tracks item has (primitives.tracks.MAX_FRAMES)


class NoVideo(ValueError):
    """The file cannot be read as a video (or PyAV is not installed)."""


@dataclass(frozen=True)
class VideoFacts:
    frame_count: int
    fps: float
    width: int
    height: int


def looks_like_video(head: bytes) -> bool:
    """Whether the file's first bytes are those of an MP4/MOV, Matroska/WebM or AVI file."""
    return (head[4:8] == b"ftyp" or head.startswith(b"\x1a\x45\xdf\xa3")
            or (head[:4] == b"RIFF" and head[8:12] == b"AVI "))


def content_type(head: bytes) -> str:
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return "video/x-msvideo" if head[:4] == b"RIFF" else "video/mp4"


def _av() -> Any:
    try:
        import av
    except ImportError as exc:
        raise NoVideo(f"reading video files needs PyAV ({EXTRA})") from exc
    return av


def facts(path: Path) -> VideoFacts:
    """The video's frame count, frame rate and size (frames counted by decoding them when the
    container does not say)."""
    av = _av()
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise NoVideo("the file has no video stream")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate
            if not rate:
                raise NoVideo("the file does not give its frame rate")
            count = stream.frames or sum(  # counted, up to one past the most an item takes
                1 for _ in islice(container.decode(stream), MAX_COUNTED + 1))
            return VideoFacts(int(count), float(rate), stream.codec_context.width,
                              stream.codec_context.height)
    except av.FFmpegError as exc:
        raise NoVideo(f"not a readable video: {exc}") from exc


def frame_png(path: Path, frame: int, fps: float) -> bytes | None:
    """Frame number ``frame`` (from 0, at ``fps``) as PNG bytes; None past the video's end."""
    av = _av()
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        base = stream.time_base or Fraction(1, 1_000_000)
        wanted = Fraction(frame) / Fraction(fps).limit_denominator(1_000_000)
        half = Fraction(1) / (2 * Fraction(fps).limit_denominator(1_000_000))
        start = stream.start_time or 0
        container.seek(start + max(0, int((wanted - half) / base)), stream=stream,
                       backward=True, any_frame=False)
        for n, decoded in enumerate(container.decode(stream)):
            if n > MAX_DECODED:
                return None
            at = (decoded.pts - start) * base if decoded.pts is not None else None
            if at is None or at >= wanted - half:
                return _png(av, decoded)
    return None


def _png(av: Any, decoded: Any) -> bytes:
    rgb = decoded.reformat(format="rgb24")
    codec = av.CodecContext.create("png", "w")
    codec.width, codec.height, codec.pix_fmt = rgb.width, rgb.height, "rgb24"
    packets = [*codec.encode(rgb), *codec.encode(None)]
    return b"".join(bytes(p) for p in packets)


def fill_item(path: Path | None, data: dict[str, Any], field: str) -> dict[str, Any]:
    """A video item with ``frame_count``, ``fps``, ``width`` and ``height`` read from its
    file where it does not give them; the file must be readable (``field`` names it)."""
    wanted = ("frame_count", "fps", "width", "height")
    if all(data.get(k) is not None for k in wanted):
        return data
    if path is None:
        raise InvalidInput(f"{field}: no video file by this name under the media folder",
                           field=field)
    try:
        found = facts(path)
    except NoVideo as exc:
        raise InvalidInput(f"{field}: {exc}", field=field) from exc
    read = {"frame_count": found.frame_count, "fps": found.fps, "width": found.width,
            "height": found.height}
    return {**data, **{k: read[k] for k in wanted if data.get(k) is None}}
