"""`Content-Disposition` for every file we send, built one way (RFC 6266 with RFC 5987's
`filename*`).

A file name may hold what a user typed (a patient's record number). Sent raw, a quote ends the
`filename` parameter early, a CR/LF breaks the header (Django refuses it: a 500), and a slash
names a folder. Here the name is cleaned (no control characters, no path separators, no
quotes), the plain `filename` gets an ASCII-only copy for old clients, and `filename*` carries
the exact UTF-8 name, percent-encoded.
"""

import re
import unicodedata
from typing import TypeVar
from urllib.parse import quote

from django.http import HttpResponseBase

# Any response with headers: HttpResponse, FileResponse, StreamingHttpResponse.
DownloadResponse = TypeVar("DownloadResponse", bound=HttpResponseBase)

_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f"\\/:*?<>|;]+')
_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME_LENGTH = 150


def safe_file_name(name: str, *, default: str = "download") -> str:
    """The name with control characters, quotes and path separators made `_`; never empty,
    never a dot-file, at most MAX_NAME_LENGTH characters."""
    cleaned = "".join(
        "_" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
        for ch in unicodedata.normalize("NFC", str(name))
    )
    cleaned = _UNSAFE.sub("_", cleaned).strip(" ._") or default
    if len(cleaned) > MAX_NAME_LENGTH:
        stem, dot, suffix = cleaned.rpartition(".")
        if dot and 0 < len(suffix) <= 10:
            cleaned = stem[: MAX_NAME_LENGTH - len(suffix) - 1] + "." + suffix
        else:
            cleaned = cleaned[:MAX_NAME_LENGTH]
    return cleaned


def content_disposition(name: str, *, attachment: bool = True) -> str:
    """`attachment; filename="ascii_copy"; filename*=UTF-8''percent-encoded` (RFC 6266)."""
    clean = safe_file_name(name)
    ascii_name = unicodedata.normalize("NFKD", clean).encode("ascii", "ignore").decode("ascii")
    ascii_name = _ASCII_UNSAFE.sub("_", ascii_name).strip("._") or "download"
    kind = "attachment" if attachment else "inline"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(clean, safe='')}"


def set_download_name(
    response: DownloadResponse, name: str, *, attachment: bool = True
) -> DownloadResponse:
    """Set the response's Content-Disposition (replacing the one FileResponse may have set)."""
    response["Content-Disposition"] = content_disposition(name, attachment=attachment)
    return response
