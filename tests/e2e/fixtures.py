"""Documents generated at test time (Pillow): small text pages and multi-page PDFs."""

import io

from PIL import Image, ImageDraw, ImageFont


def text_page(lines: list[str], size=(1240, 700), font_px=40) -> Image.Image:
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=font_px)
    y = 50
    for line in lines:
        draw.text((60, y), line, fill=0, font=font)
        y += int(font_px * 1.6)
    return img


def receipt_png(n: int) -> bytes:
    """A one-page receipt with a number that makes each document distinct."""
    img = text_page([
        "CORNER GROCERY LTD",
        "12 High Street, Springfield",
        f"Receipt No: R-{n:05d}   Date: 14/03/2024",
        f"Milk 2L          {n % 7 + 1}.50",
        f"TOTAL            {n % 7 + 1}.50",
    ])
    buf = io.BytesIO()
    img.save(buf, "PNG", dpi=(300, 300))
    return buf.getvalue()


def scanned_pdf(pages: int, dense: bool = False) -> bytes:
    """An image-only PDF (every page needs OCR), `pages` pages long. `dense`
    pages are full A4 sheets of text at 300 DPI: seconds of OCR each, for tests
    that must catch a host in the middle of a document."""
    def page(i: int) -> Image.Image:
        head = [f"Page {i + 1} of {pages}", "Quarterly statement"]
        if not dense:
            return text_page(head + [f"Balance carried forward {100 + i}.00"])
        rows = [f"{d:02d}/03/2024  Transfer ref {i:02d}{d:04d}  amount {d * 17 + i}.{d % 100:02d}" for d in range(1, 61)]
        return text_page(head + rows, size=(2480, 3508), font_px=34)
    imgs = [page(i) for i in range(pages)]
    buf = io.BytesIO()
    imgs[0].save(buf, "PDF", save_all=True, append_images=imgs[1:], resolution=300.0)
    return buf.getvalue()
