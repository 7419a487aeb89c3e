"""Sample evidence files, made in the test: a PDF, a JPEG that says where it was taken,
spreadsheets, and the files that must be refused."""

import io
import zipfile

from PIL import Image

GPS_IFD = 0x8825

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML_AS_PDF = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script>'
    b"</svg>"
)
CSV = "place,sites\n亦庄,12\nTongzhou,3\n".encode()


def jpeg_with_gps(size: tuple[int, int] = (1600, 1200)) -> bytes:
    """A photo as a phone saves it: EXIF with the maker and the place (Beijing)."""
    image = Image.new("RGB", size, (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (39.0, 47.0, 30.0), 3: "E", 4: (116.0, 30.0, 0.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def gps_of(content: bytes) -> dict:
    with Image.open(io.BytesIO(content)) as image:
        return dict(image.getexif().get_ifd(GPS_IFD))


def xlsx() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["place", "sites"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ods() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
        archive.writestr("META-INF/manifest.xml", "<manifest/>")
    return out.getvalue()
