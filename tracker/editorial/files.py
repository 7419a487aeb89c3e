"""Evidence files as they come in: checked by their content, never by their name.

A file is accepted when it is what it looks like inside: a PDF (it starts `%PDF-`), an
image Pillow opens (JPEG, PNG, GIF, WebP), an XLSX or ODS spreadsheet (a zip with the
parts that make one), or CSV text. SVG and HTML are refused, whatever their name says,
since a browser would run what they carry; an archived copy of a web page is the one
HTML kept, and it is only ever served as a download that runs nothing
(tracker.public.files). Images are re-encoded, which drops their EXIF data (the place a
phone records where the photo was taken), and get a preview for the public pages.

Nothing is stored until the record that holds the file is saved (`EvidenceFile.store_files`),
and a refused file leaves nothing behind.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from tracker.models import EvidenceFile

PREVIEW_SIZE = (800, 800)
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "text/csv": "csv",
    "text/html": "html",
}
ODS = b"application/vnd.oasis.opendocument.spreadsheet"
# A spreadsheet holds a handful of parts; thousands of them is not one.
MAX_ZIP_MEMBERS = 1000
HTML_MARKERS = re.compile(
    rb"<(!doctype\s+html|html|head|body|script|iframe|meta|title|style|a\s|img\s|div|p>)",
    re.IGNORECASE,
)


class FileRefused(ValueError):
    """The file cannot be kept; the message says why, for the person who sent it."""


@dataclass
class CheckedFile:
    """A file's content as it will be stored, and what was learnt checking it."""

    content: bytes
    media_type: str
    original_name: str
    preview: bytes = b""
    preview_size: tuple[int, int] | None = None
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        self.sha256 = hashlib.sha256(self.content).hexdigest()

    @property
    def is_image(self) -> bool:
        return self.media_type.startswith("image/")

    @property
    def stored_name(self) -> str:
        """`evidence/<sha256>/<name>.<extension of what it is>`: the name a download gets."""
        stem = self.original_name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
        stem = stem.rsplit(".", 1)[0] if "." in stem else stem
        stem = unicodedata.normalize("NFKC", stem)
        stem = re.sub(r"[^\w-]+", "-", stem, flags=re.UNICODE).strip("-_")[:80] or "file"
        return f"evidence/{self.sha256}/{stem}.{EXTENSIONS[self.media_type]}"

    def attach_to(self, record: EvidenceFile) -> EvidenceFile:
        """Set `record`'s file fields; the content is written when it is saved."""
        record.file.name = self.stored_name
        record.sha256 = self.sha256
        record.size = len(self.content)
        record.media_type = self.media_type
        record.original_name = self.original_name[:200]
        pending = {"file": ContentFile(self.content)}
        if self.preview:
            record.preview.name = f"evidence/{self.sha256}/preview.jpg"
            record.preview_width, record.preview_height = self.preview_size or (None, None)
            pending["preview"] = ContentFile(self.preview)
        else:
            record.preview.name = ""
            record.preview_width = record.preview_height = None
        record.pending_content = pending  # read by store_files
        return record


def too_large(size: int, limit: int) -> str:
    return _("The file is %(size)s; files of up to %(limit)s can be attached.") % {
        "size": filesizeformat(size),
        "limit": filesizeformat(limit),
    }


def check(content: bytes, name: str, *, html_allowed: bool = False) -> CheckedFile:
    """What `content` is, or FileRefused. `html_allowed` is for an archived copy of a
    web page only."""
    limit = settings.EVIDENCE_MAX_FILE_BYTES
    if len(content) > limit:
        raise FileRefused(too_large(len(content), limit))
    if not content:
        raise FileRefused(_("The file is empty."))
    if content.startswith(b"%PDF-"):
        return CheckedFile(content, "application/pdf", name)
    if content.startswith(b"PK\x03\x04"):
        return CheckedFile(content, _spreadsheet(content), name)
    head = content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in head:
        raise FileRefused(
            _("SVG images are refused: they can carry scripts. Send a PNG or JPEG instead.")
        )
    image = _image(content, name)
    if image is not None:
        return image
    if HTML_MARKERS.search(head) or head.startswith(b"<?xml"):
        if html_allowed:
            return CheckedFile(content, "text/html", name)
        raise FileRefused(
            _(
                "Web pages (HTML) are refused, whatever the file is called: save the page "
                "as a PDF instead."
            )
        )
    if _is_csv(content):
        return CheckedFile(content, "text/csv", name)
    raise FileRefused(
        _(
            "This file is not one that can be attached: send a PDF, an image (JPEG, PNG, "
            "GIF or WebP) or a spreadsheet (XLSX, ODS or CSV)."
        )
    )


def _spreadsheet(content: bytes) -> str:
    not_one = FileRefused(
        _("This zip file is not a spreadsheet: only XLSX and ODS files can be attached.")
    )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            if len(names) > MAX_ZIP_MEMBERS:
                raise not_one
            if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
                return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if "mimetype" in names and "content.xml" in names:
                info = archive.getinfo("mimetype")
                if info.file_size <= len(ODS) and archive.read(info).strip() == ODS:
                    return "application/vnd.oasis.opendocument.spreadsheet"
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError) as error:
        raise not_one from error
    raise not_one


def _image(content: bytes, name: str) -> CheckedFile | None:
    """The image re-encoded without EXIF, with its preview; None if it is no image."""
    try:
        with Image.open(io.BytesIO(content)) as opened:
            kind = opened.format or ""
            if kind not in IMAGE_FORMATS:
                return None
            width, height = opened.size
            if width * height > settings.EVIDENCE_MAX_IMAGE_PIXELS:
                raise FileRefused(
                    _("The image is %(width)s × %(height)s pixels: too large to show.")
                    % {"width": width, "height": height}
                )
            opened.load()
            # The camera's orientation is applied to the pixels, since the EXIF that
            # held it goes (with the place the photo was taken).
            image = ImageOps.exif_transpose(opened)
    except FileRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    media_type = IMAGE_FORMATS[kind]
    # Nothing of the original's metadata is written again: comments, XMP (which can
    # hold a place too), ICC and text chunks go with the EXIF.
    image.info.clear()
    out = io.BytesIO()
    if kind == "JPEG":
        image.convert("RGB").save(out, format="JPEG", quality=90)
    elif kind == "GIF":
        image.save(out, format="GIF")
    else:
        # PNG and WebP keep their transparency; metadata (EXIF, text chunks) is not copied.
        image.save(out, format=kind)
    preview = image.convert("RGB") if image.mode not in ("RGB", "L") else image.copy()
    preview.thumbnail(PREVIEW_SIZE)
    preview_out = io.BytesIO()
    preview.save(preview_out, format="JPEG", quality=82)
    return CheckedFile(
        out.getvalue(),
        media_type,
        name,
        preview=preview_out.getvalue(),
        preview_size=preview.size,
    )


def _is_csv(content: bytes) -> bool:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError:
            return False
    if any(ord(char) < 32 and char not in "\t\r\n" for char in text):
        return False
    first = text.lstrip().split("\n", 1)[0]
    if not any(separator in first for separator in ",;\t"):
        return False
    try:
        rows = list(csv.reader(io.StringIO(text[:65536])))
    except csv.Error:
        return False
    return bool(rows)


def refuse_exif(content: bytes, checked: CheckedFile) -> None:
    """For content kept as it is (an import): an image must already be without EXIF."""
    if not checked.is_image:
        return
    with Image.open(io.BytesIO(content)) as image:
        if image.getexif() or any(key in image.info for key in ("xmp", "XML:com.adobe.xmp")):
            raise FileRefused(_("The image still carries EXIF data."))


def read_upload(upload) -> bytes:
    """An uploaded file's bytes, no more than one past the limit (the rest is refused)."""
    if upload.size is not None and upload.size > settings.EVIDENCE_MAX_FILE_BYTES:
        raise FileRefused(too_large(upload.size, settings.EVIDENCE_MAX_FILE_BYTES))
    upload.seek(0)
    return upload.read(settings.EVIDENCE_MAX_FILE_BYTES + 1)


def stored_problems() -> list[str]:
    """Each evidence file whose stored content is missing or no longer matches its
    SHA-256 (after a restore, say), in words; empty when every file is intact."""
    problems = []
    for record in EvidenceFile.objects.order_by("pk").iterator():
        digest = hashlib.sha256()
        try:
            with record.file.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                    digest.update(chunk)
        except (FileNotFoundError, OSError) as error:
            problems.append(
                f"#{record.pk} {record.file.name}: missing ({error.__class__.__name__})"
            )
            continue
        if digest.hexdigest() != record.sha256:
            problems.append(f"#{record.pk} {record.file.name}: content does not match its SHA-256")
    return problems


def forget_stored(sender, instance: EvidenceFile, using: str = "default", **kwargs) -> None:
    """post_delete: once the deletion commits, the stored file and its preview go too,
    unless another record holds the same one (files are stored by their hash)."""
    names = [name for name in (instance.file.name, instance.preview.name) if name]

    def forget() -> None:
        from django.core.files.storage import default_storage

        held: set[str] = set()
        for pair in (
            EvidenceFile.objects.using(using)
            .filter(Q(file__in=names) | Q(preview__in=names))
            .values_list("file", "preview")
        ):
            held.update(pair)
        for name in names:
            if name not in held:
                default_storage.delete(name)

    if names:
        transaction.on_commit(forget, using=using, robust=True)
