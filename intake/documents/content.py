"""What an uploaded file is, told from its bytes alone: never from its name or from the content
type the browser sent. Only PDF, JPEG and PNG files are documents.

- PDF: the ``%PDF-`` header, an ``%%EOF`` marker near the end (a truncated file has none), and
  pypdf opens it and reads every page (a password that must be typed refuses it: the packet
  could not append it).
- JPEG and PNG: Pillow identifies it, its format is the one its first bytes announce, it
  verifies (a PNG's every chunk to the end), and a JPEG decodes whole (a truncated image does
  not); an image so large that decoding it would exhaust the server is refused.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
CONTENT_TYPES = (PDF, JPEG, PNG)
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}
LABELS = {PDF: "PDF", JPEG: "JPEG image", PNG: "PNG image"}

PDF_HEADER = b"%PDF-"
PDF_END = b"%%EOF"
# Writers may put a little after the last %%EOF (line ends, padding): look in this many bytes.
PDF_END_WINDOW = 1024
JPEG_START = b"\xff\xd8\xff"
PNG_START = b"\x89PNG\r\n\x1a\n"
# An image with more pixels than this is refused before it is decoded (a 600 dpi scan of a
# legal-size page is about 20 million).
MAX_IMAGE_PIXELS = 50_000_000


class NotADocument(ValueError):
    """The bytes are not an acceptable document; ``reason`` says why, in words for the user."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class DetectedContent:
    content_type: str
    pages: int | None = None  # PDF only

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]

    @property
    def label(self) -> str:
        return LABELS[self.content_type]


def detect_content(data: bytes) -> DetectedContent:
    """The type of ``data`` (a PDF, JPEG or PNG file that opens), or NotADocument."""
    if data.startswith(PDF_HEADER):
        return DetectedContent(PDF, pages=_pdf_pages(data))
    if data.startswith(JPEG_START):
        _check_image(data, "JPEG")
        return DetectedContent(JPEG)
    if data.startswith(PNG_START):
        _check_image(data, "PNG")
        return DetectedContent(PNG)
    raise NotADocument("is not a PDF, JPEG or PNG file")


def _pdf_pages(data: bytes) -> int:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PyPdfError

    if PDF_END not in data[-PDF_END_WINDOW:]:
        raise NotADocument("is not a complete PDF file (it may have been cut short)")
    # pypdf logs what it repairs; those lines would only repeat the refusal (or the file's name).
    pypdf_log = logging.getLogger("pypdf")
    level = pypdf_log.level
    pypdf_log.setLevel(logging.CRITICAL)
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = reader.pages
        count = len(pages)
        for page in pages:
            page.mediabox  # noqa: B018 (reads each page object: a broken one raises)
    except FileNotDecryptedError:
        raise NotADocument(
            "is a password-protected PDF: attach a copy without a password"
        ) from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError):
        raise NotADocument("is not a PDF file that can be opened (it may be damaged)") from None
    finally:
        pypdf_log.setLevel(level)
    if count == 0:
        raise NotADocument("is a PDF file without pages")
    return count


def _check_image(data: bytes, expected_format: str) -> None:
    from PIL import Image, UnidentifiedImageError

    damaged = NotADocument(
        f"is not a {expected_format} image that can be opened (it may be damaged or cut short)"
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != expected_format:
                    raise damaged
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise NotADocument(
                        f"is an image of {width} x {height} pixels, too large to open safely"
                    )
                image.verify()
            if expected_format == "JPEG":
                # A PNG's verify() reads every chunk to the end and checks its CRC; a JPEG's
                # checks little, so it is decoded, at an eighth of its size (every byte is
                # still read, with far less memory). verify() left the image unusable: reopen.
                with Image.open(io.BytesIO(data)) as image:
                    image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
                    image.load()
    except NotADocument:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
    ):
        raise damaged from None
