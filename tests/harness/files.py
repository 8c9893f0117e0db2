"""Small valid sample files for tests: the edge decides file types by magic
bytes and estimates pages from PDF page objects, so these are enough."""

from __future__ import annotations

import struct
import zlib


def png_bytes(width: int = 4, height: int = 4, noise: bytes | None = None) -> bytes:
    """A valid PNG (8-bit greyscale); `noise` fills the pixels if given."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = width
    pixels = noise if noise is not None else bytes(row * height)
    raw = b"".join(b"\x00" + pixels[y * row:(y + 1) * row] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 0)) + chunk(b"IEND", b""))


def pdf_bytes(pages: int = 1) -> bytes:
    """A small PDF with `pages` page objects (what the edge counts for credits)."""
    kids = " ".join(f"{i + 3} 0 R" for i in range(pages))
    objs = [b"1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj",
            f"2 0 obj <</Type /Pages /Kids [{kids}] /Count {pages}>> endobj".encode()]
    objs += [f"{i + 3} 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]>> endobj".encode() for i in range(pages)]
    return b"%PDF-1.4\n" + b"\n".join(objs) + b"\ntrailer <</Root 1 0 R>>\n%%EOF\n"


PNG = png_bytes()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 \x0e\x00\x00\x00" + bytes(14)
TIFF = b"II*\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00"
