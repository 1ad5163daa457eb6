"""An image's kind and size read from its first bytes (PNG, JPEG, GIF, WebP), without
decoding it: enough to check an upload is an image and to fill an item's width and height."""

from __future__ import annotations

import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class ImageSize:
    content_type: str
    width: int
    height: int


class NotAnImage(ValueError):
    """The bytes are not a PNG, JPEG, GIF or WebP image whose size can be read."""


def probe(head: bytes) -> ImageSize:
    """The kind and size of the image whose file starts with ``head`` (the first 64 KiB are
    plenty for any header); ``NotAnImage`` otherwise."""
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR" and len(head) >= 24:
        width, height = struct.unpack(">II", head[16:24])
        return _sized("image/png", width, height)
    if head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 10:
        width, height = struct.unpack("<HH", head[6:10])
        return _sized("image/gif", width, height)
    if head.startswith(b"\xff\xd8"):
        return _jpeg(head)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp(head)
    raise NotAnImage("not a PNG, JPEG, GIF or WebP image")


def _sized(content_type: str, width: int, height: int) -> ImageSize:
    if width <= 0 or height <= 0:
        raise NotAnImage(f"the {content_type} header gives no size ({width}×{height})")
    return ImageSize(content_type, width, height)


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(head: bytes) -> ImageSize:
    at = 2
    while at + 4 <= len(head):
        if head[at] != 0xFF:
            raise NotAnImage("a JPEG segment does not start with a marker")
        marker = head[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            at += 2
            continue
        (length,) = struct.unpack(">H", head[at + 2:at + 4])
        if marker in _SOF:
            if at + 9 > len(head):
                break
            height, width = struct.unpack(">HH", head[at + 5:at + 9])
            return _sized("image/jpeg", width, height)
        if marker == 0xDA or length < 2:
            break
        at += 2 + length
    raise NotAnImage("no JPEG frame header in the file's start")


def _webp(head: bytes) -> ImageSize:
    chunk = head[12:16]
    if chunk == b"VP8X" and len(head) >= 30:
        width = 1 + int.from_bytes(head[24:27], "little")
        height = 1 + int.from_bytes(head[27:30], "little")
        return _sized("image/webp", width, height)
    if chunk == b"VP8 " and len(head) >= 30:
        width, height = struct.unpack("<HH", head[26:30])
        return _sized("image/webp", width & 0x3FFF, height & 0x3FFF)
    if chunk == b"VP8L" and len(head) >= 25:
        bits = int.from_bytes(head[21:25], "little")
        return _sized("image/webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    raise NotAnImage("a WebP file without a frame header")
