"""Which files a ticket may carry (SPEC §8: size limits) and what they really are.

A file's declared type and name are the sender's word; its first bytes are not. The type kept
is the one its content shows (PDF, PNG, Office …), a name that contradicts the content is
refused, and executables are refused whatever they are called: a ticket system is a classic
way to carry malware into an office.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field

DEFAULT_ALLOWED_TYPES = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/bmp",
        "image/webp",
        "text/plain",
        "text/csv",
        "message/rfc822",
        "application/zip",
        "application/x-7z-compressed",
        "application/vnd.rar",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.ms-outlook",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/xml",
    }
)

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
)
_EXECUTABLE = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"#!")
_EXTENSIONS = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "webp": "image/webp",
    "txt": "text/plain",
    "log": "text/plain",
    "csv": "text/csv",
    "eml": "message/rfc822",
    "xml": "application/xml",
    "zip": "application/zip",
    "7z": "application/x-7z-compressed",
    "rar": "application/vnd.rar",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "msg": "application/vnd.ms-outlook",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
#: Content families whose files are containers of a more precise type named by the extension.
_CONTAINERS = {
    "application/zip": ("docx", "xlsx", "pptx", "zip"),
    "application/x-ole-storage": ("doc", "xls", "ppt", "msg"),
}
_EXECUTABLE_EXTENSIONS = frozenset(
    {"exe", "dll", "com", "bat", "cmd", "scr", "msi", "ps1", "vbs", "js", "jar", "sh", "lnk"}
)
#: Types whose content must show their signature (all binary types we know, but WebP's RIFF).
_SIGNED_TYPES = frozenset(_EXTENSIONS.values()) - {"image/webp"} - {
    "text/plain", "text/csv", "message/rfc822", "application/xml",
}  # fmt: skip
_TEXT_TYPES = frozenset({"text/plain", "text/csv", "message/rfc822", "application/xml"})


@dataclass(frozen=True)
class AttachmentPolicy:
    max_bytes: int = 10 * 1024 * 1024
    max_files: int = 10
    allowed_types: frozenset[str] = field(default_factory=lambda: DEFAULT_ALLOWED_TYPES)


class AttachmentRefused(ValueError):
    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename = filename
        self.reason = reason


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    size: int
    sha256: str


def attachment_id(ticket_id: str, sha256: str, filename: str) -> str:
    """The same file under the same name on the same ticket is one attachment (retries)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"hotro:{ticket_id}:{sha256}:{filename}"))


def check_file(
    filename: str, declared_type: str, data: bytes, policy: AttachmentPolicy
) -> CheckedFile:
    """The file as it will be kept, or AttachmentRefused with the reason."""
    name = filename.strip() or "attachment"
    if len(data) > policy.max_bytes:
        raise AttachmentRefused(name, f"{len(data)} bytes; the limit is {policy.max_bytes}")
    if not data:
        raise AttachmentRefused(name, "empty file")
    content_type = content_type_of(name, declared_type, data)
    if content_type not in policy.allowed_types:
        raise AttachmentRefused(name, f"type {content_type} is not accepted")
    return CheckedFile(name, content_type, len(data), hashlib.sha256(data).hexdigest())


def content_type_of(filename: str, declared_type: str, data: bytes) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if data.startswith(_EXECUTABLE) or extension in _EXECUTABLE_EXTENSIONS:
        raise AttachmentRefused(filename, "executable files are not accepted")
    sniffed = next((t for magic, t in _SIGNATURES if data.startswith(magic)), None)
    if sniffed is None and _is_bmp(data):
        sniffed = "image/bmp"
    by_name = _EXTENSIONS.get(extension)
    if sniffed in _CONTAINERS:
        if extension in _CONTAINERS[sniffed]:
            return _EXTENSIONS[extension]
        if sniffed == "application/zip" and by_name is None:
            return sniffed
        raise AttachmentRefused(filename, f"content is {sniffed} but the name says .{extension}")
    if sniffed is not None:
        if by_name is not None and by_name != sniffed:
            raise AttachmentRefused(
                filename, f"content is {sniffed} but the name says .{extension}"
            )
        return sniffed
    guessed = by_name or (declared_type or "application/octet-stream").split(";")[0].strip().lower()
    if guessed in _TEXT_TYPES and b"\x00" in data[:8192]:
        raise AttachmentRefused(filename, f"binary content in a {guessed} file")
    if guessed in _SIGNED_TYPES:
        # A type we know the signature of, without it: the sender's word only.
        raise AttachmentRefused(filename, f"content does not look like {guessed}")
    if guessed == "image/webp" and not (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        raise AttachmentRefused(filename, "content does not look like image/webp")
    return guessed


def _is_bmp(data: bytes) -> bool:
    """ "BM" alone starts many text files; a real bitmap also has zero reserved bytes."""
    return len(data) >= 26 and data[:2] == b"BM" and data[6:10] == b"\x00\x00\x00\x00"
