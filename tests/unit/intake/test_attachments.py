"""What files a ticket accepts: size, real type by content, never an executable."""

from __future__ import annotations

import pytest

from services.intake.domain.attachments import AttachmentPolicy, AttachmentRefused, check_file

POLICY = AttachmentPolicy(max_bytes=1000)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20


@pytest.mark.parametrize(
    ("name", "declared", "data", "kept_as"),
    [
        ("bien-ban.pdf", "application/octet-stream", b"%PDF-1.7 ...", "application/pdf"),
        ("Ảnh chụp lỗi.png", "image/png", PNG, "image/png"),
        ("bao-cao.xlsx", "application/octet-stream", b"PK\x03\x04rest", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("log.txt", "text/plain", "Lỗi ORA-12541".encode(), "text/plain"),
        ("BMS lỗi.txt", "text/plain", b"BMS khong chay", "text/plain"),
        ("noname", "text/csv", b"a,b\n1,2\n", "text/csv"),
    ],
)  # fmt: skip
def test_accepted_files_are_kept_with_the_type_their_content_shows(
    name: str, declared: str, data: bytes, kept_as: str
) -> None:
    checked = check_file(name, declared, data, POLICY)
    assert (checked.content_type, checked.size) == (kept_as, len(data))


@pytest.mark.parametrize(
    ("name", "declared", "data", "reason"),
    [
        ("setup.exe", "application/pdf", b"MZ\x90\x00", "executable"),
        ("invoice.pdf", "application/pdf", b"MZ\x90\x00", "executable"),
        ("run.sh", "text/plain", b"#!/bin/sh\nrm -rf /", "executable"),
        ("anh.pdf", "application/pdf", PNG, "name says .pdf"),
        ("big.pdf", "application/pdf", b"%PDF" + b"x" * 1000, "limit is 1000"),
        ("x.pdf", "application/pdf", b"not a pdf", "does not look like"),
        ("bin.txt", "text/plain", b"abc\x00def", "binary content"),
        ("empty.txt", "text/plain", b"", "empty"),
        ("x.html", "text/html", b"<script>alert(1)</script>", "not accepted"),
    ],
)  # fmt: skip
def test_refused_files_say_why(name: str, declared: str, data: bytes, reason: str) -> None:
    with pytest.raises(AttachmentRefused, match=reason):
        check_file(name, declared, data, POLICY)
