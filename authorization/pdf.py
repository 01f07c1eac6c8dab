"""The packet as one PDF: cover sheet, criteria table and attestation, then the attached
documents in order, every page with the packet's footer.

``packet_pdf(content)`` renders a :class:`~authorization.content.PacketContent`:

1. ``templates/authorization/pdf/packet.html`` (autoescaped: criteria text is data from another
   person) through WeasyPrint: the cover sheet, the criteria table (gaps first, in red) and the
   attestation, on US Letter pages whose bottom band is left free for the footer;
2. each attached document, in ``content.documents`` order: a PDF's pages appended with pypdf,
   each shrunk slightly (7 % on US Letter) towards the top so the footer band never covers its text;
   a JPEG or PNG on a page of its own, scaled to fit under a heading naming it; a document
   that cannot be read (damaged, encrypted, of another type) becomes a page saying so and why,
   never an exception;
3. a footer-only overlay rendered by WeasyPrint, one page per page of the packet and of the
   same size, merged onto every page: "Page N of M", the criteria label and version, the
   coverage policy and its revision date, the packet id and revision, and while the packet is
   not attested "Draft: not attested" in red.

Cost: the packet is built in memory, and each attachment is read once
(``PacketDocument.read``). An attached PDF is parsed by pypdf and copied into a PDF of its own
before it joins the packet, which isolates a damaged file from the rest; page content streams
are decompressed and wrapped, never parsed. Images are decoded with Pillow (refused beyond its
decompression-bomb limit, ``Image.MAX_IMAGE_PIXELS``) and downscaled to
``IMAGE_MAX_PIXELS_LONG_SIDE`` (300 dpi on the page) before WeasyPrint embeds them. Time is
dominated by the pages WeasyPrint lays out (about 0.3 s for the cover and the table) and by the
footer, about 15 ms to render and 12 ms to merge per page. Measured on the development machine:
the sample packet (5 pages) in 0.5 s; a packet with 323 pages and 100 MB of attachments (a
300-page text PDF, a 94 MB scan of 20 pages, a 4 MB photo) in 16 s, its peak memory about 6
times its attachments' size (660 MB). Time and memory grow with the pages and bytes attached;
the upload limit (20 MB a document) is what bounds them.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from PIL import Image, ImageOps
from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.generic import ContentStream
from weasyprint import HTML
from weasyprint.urls import URLFetcherResponse

from authorization.content import PacketContent, PacketCriterion, PacketDocument

logger = logging.getLogger(__name__)

TEMPLATE = "authorization/pdf/packet.html"  # cover sheet, criteria table, attestation
ATTACHMENT_TEMPLATE = "authorization/pdf/attachment.html"  # an image or a notice
FOOTER_TEMPLATE = "authorization/pdf/footer.html"  # the overlay: footers only

PDF = "application/pdf"
IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}

# The band at the bottom of every page that the footer is drawn in (points; 72 to the inch).
FOOTER_BAND = 54
# An image is embedded at most this many pixels on its long side (300 dpi over 8 inches).
IMAGE_MAX_PIXELS_LONG_SIDE = 2400

# The only URL the pages may load: the image of the page being rendered. Nothing from the
# network or the file system (criteria text is escaped, but a URL in it must not be fetched).
IMAGE_URL = "packet-attachment:image"


class UnappendableError(Exception):
    """An attached document that cannot be put in the packet; the message says why."""


@dataclass(frozen=True)
class DocumentRef:
    number: int  # 1-based, in the packet's order
    label: str  # "Document 2: MRI report, 2026-11-02"
    title: str


@dataclass(frozen=True)
class CriterionRow:
    criterion: PacketCriterion
    documents: tuple[DocumentRef, ...]
    answer_documents: tuple[DocumentRef | None, ...]  # beside each answer, its source document

    @property
    def answers(self) -> list[tuple[Any, DocumentRef | None]]:
        return list(zip(self.criterion.answers, self.answer_documents, strict=True))


def packet_pdf(content: PacketContent) -> bytes:
    """The packet as PDF bytes (see the module's docstring for what it holds and costs)."""
    refs = document_refs(content)
    writer = PdfWriter()
    _append_pdf(writer, _render(TEMPLATE, packet_context(content, refs)))
    for document, ref in zip(content.documents, refs, strict=True):
        _append_pdf(writer, document_pages(content, document, ref))
    stamp_footers(writer, content)
    writer.add_metadata(
        {"/Title": f"Prior authorization packet {content.packet_id}, revision {content.revision}"}
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def document_label(number: int, document: PacketDocument) -> str:
    """How the packet names an attached document: "Document 2: MRI report, 2026-11-02"."""
    return f"Document {number}: {document.kind_label}, {document.document_date.isoformat()}"


def document_refs(content: PacketContent) -> list[DocumentRef]:
    """Each attached document's number and label, in the packet's order."""
    return [
        DocumentRef(number, document_label(number, document), document.title)
        for number, document in enumerate(content.documents, 1)
    ]


def packet_context(content: PacketContent, numbered: list[DocumentRef]) -> dict[str, Any]:
    """What the template prints: the content, its criteria ordered gaps first with their
    documents resolved, and the summary's counts."""
    refs: dict[int, DocumentRef] = {}
    for document, ref in zip(content.documents, numbered, strict=True):
        refs.setdefault(document.id, ref)
    ordered = sorted(content.criteria, key=lambda criterion: not criterion.is_gap)
    rows = [
        CriterionRow(
            criterion=criterion,
            documents=tuple(refs[i] for i in criterion.document_ids if i in refs),
            answer_documents=tuple(
                refs.get(answer.document_id) if answer.document_id is not None else None
                for answer in criterion.answers
            ),
        )
        for criterion in ordered
    ]
    gaps = [row.criterion for row in rows if row.criterion.is_gap]
    return {
        "content": content,
        "rows": rows,
        "gaps": gaps,
        "criteria_count": len(rows),
        "documents": list(zip(content.documents, numbered, strict=True)),
        "draft": content.attestation is None,
    }


# ---- attached documents ------------------------------------------------------------------


def document_pages(content: PacketContent, document: PacketDocument, ref: DocumentRef) -> bytes:
    """The pages an attached document adds to the packet, as a PDF of their own: its own pages,
    its image on a page, or a page saying why it could not be appended."""
    try:
        data = document.read()
    except Exception:  # storage is outside the packet: a missing or unreadable file
        logger.warning("Packet %s: document %s could not be read", content.packet_id, document.id)
        return notice_page(ref, "the stored file could not be read")
    try:
        if document.content_type == PDF:
            return attached_pdf(data)
        if document.content_type in IMAGE_TYPES:
            return image_page(ref, data)
        raise UnappendableError(f"its type ({document.content_type}) cannot be appended")
    except UnappendableError as exc:
        reason = str(exc)
    except Exception as exc:  # pypdf and Pillow raise many kinds on a damaged file
        logger.warning(
            "Packet %s: document %s could not be appended (%s)",
            content.packet_id,
            document.id,
            type(exc).__name__,
        )
        reason = (
            "the file is damaged or is not a readable PDF"
            if document.content_type == PDF
            else "the file is damaged or is not a readable image"
        )
    return notice_page(ref, reason)


def attached_pdf(data: bytes) -> bytes:
    """An attached PDF's pages, each shrunk into the space above the footer band, as a PDF."""
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        # Only a PDF with an owner password and no user password opens with the empty one.
        raise UnappendableError("it is encrypted with a password")
    if not reader.pages:
        raise UnappendableError("it has no pages")
    writer = PdfWriter()
    for source in reader.pages:
        page = writer.add_page(source)
        fit_above_footer(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def fit_above_footer(page: PageObject) -> None:
    """Shrink a page's content about the top centre so the footer band below it is free.

    The visible box becomes the media box and a rotation moves into the content first, so the
    footer overlay lands upright at the bottom of what a reader sees. The content stream is
    wrapped (``q <matrix> cm ... Q``, compressed again), never parsed."""
    if page.rotation:
        page.transfer_rotation_to_content()
    page.mediabox = page.cropbox
    left, bottom = float(page.mediabox.left), float(page.mediabox.bottom)
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    if height <= FOOTER_BAND * 2:
        return
    scale = (height - FOOTER_BAND) / height
    matrix = (
        Transformation()
        .scale(scale, scale)
        .translate(left * (1 - scale) + width * (1 - scale) / 2, bottom * (1 - scale) + FOOTER_BAND)
        .ctm
    )
    contents = page.get_contents()
    if contents is None:
        return
    stream = ContentStream(contents, page.pdf)
    operands = " ".join(f"{value:.6f}" for value in matrix)
    stream.set_data(b"q " + operands.encode() + b" cm\n" + stream.get_data() + b"\nQ\n")
    page.replace_contents(stream)
    page.compress_content_streams()


def image_page(ref: DocumentRef, data: bytes) -> bytes:
    """A JPEG or PNG on a page of its own, under a heading naming it, scaled to fit."""
    image_bytes, mime_type = normalized_image(data)
    html = render_to_string(ATTACHMENT_TEMPLATE, {"document": ref, "image_url": IMAGE_URL})
    return _render_html(html, images={IMAGE_URL: (image_bytes, mime_type)})


def normalized_image(data: bytes) -> tuple[bytes, str]:
    """The image upright (EXIF orientation), in RGB or greyscale, at most
    ``IMAGE_MAX_PIXELS_LONG_SIDE`` on its long side; JPEG for photographs, PNG otherwise."""
    with Image.open(io.BytesIO(data)) as opened:
        if opened.format not in IMAGE_TYPES.values():
            raise UnappendableError("it is not a JPEG or PNG image")
        source_format = opened.format
        image = ImageOps.exif_transpose(opened)
        image.load()
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGBA").convert("RGB") if "A" in image.mode else image.convert("RGB")
    if max(image.size) > IMAGE_MAX_PIXELS_LONG_SIDE:
        image.thumbnail((IMAGE_MAX_PIXELS_LONG_SIDE, IMAGE_MAX_PIXELS_LONG_SIDE))
    out = io.BytesIO()
    if source_format == "JPEG":
        image.save(out, format="JPEG", quality=88)
        return out.getvalue(), "image/jpeg"
    image.save(out, format="PNG", optimize=False)
    return out.getvalue(), "image/png"


def notice_page(ref: DocumentRef, reason: str) -> bytes:
    """A page standing in for a document that could not be appended, saying why."""
    return _render(ATTACHMENT_TEMPLATE, {"document": ref, "reason": reason})


# ---- the footer ----------------------------------------------------------------------------


def stamp_footers(writer: PdfWriter, content: PacketContent) -> None:
    """Merge the footer overlay onto every page of the packet."""
    sizes = [(float(page.mediabox.width), float(page.mediabox.height)) for page in writer.pages]
    distinct = list(dict.fromkeys(sizes))
    overlay = PdfReader(
        io.BytesIO(
            _render(
                FOOTER_TEMPLATE,
                {
                    "content": content,
                    "footer_pages": [distinct.index(size) for size in sizes],
                    "page_sizes": list(enumerate(distinct)),
                    "draft": content.attestation is None,
                },
            )
        )
    )
    if len(overlay.pages) != len(writer.pages):  # pragma: no cover - a template mistake
        raise RuntimeError("The footer overlay does not have one page per packet page.")
    for page, footer in zip(writer.pages, overlay.pages, strict=True):
        left, bottom = float(page.mediabox.left), float(page.mediabox.bottom)
        if left or bottom:
            page.merge_transformed_page(footer, Transformation().translate(left, bottom))
        else:
            page.merge_page(footer)


# ---- rendering -----------------------------------------------------------------------------


def _render(template: str, context: dict[str, Any]) -> bytes:
    return _render_html(render_to_string(template, context))


def _render_html(html: str, images: dict[str, tuple[bytes, str]] | None = None) -> bytes:
    return HTML(string=html, url_fetcher=_fetcher(images or {})).write_pdf()


def _fetcher(images: dict[str, tuple[bytes, str]]) -> Callable[[str], URLFetcherResponse]:
    def fetch(url: str) -> URLFetcherResponse:
        if url in images:
            data, mime_type = images[url]
            return URLFetcherResponse(url, body=data, headers={"Content-Type": mime_type})
        raise ValueError("The packet's pages load nothing but their own image.")

    return fetch


def _append_pdf(writer: PdfWriter, data: bytes) -> None:
    writer.append(PdfReader(io.BytesIO(data)))
