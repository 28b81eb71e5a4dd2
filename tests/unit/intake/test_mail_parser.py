"""The e-mail parser on Hotro's own corpus (tests/data/mail/), one behaviour per test."""

from __future__ import annotations

import importlib.util
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes
from email.message import Message
from email.policy import default
from pathlib import Path

import pytest

from services.intake.domain.mail import (
    ParsedMail,
    UnparseableMail,
    ack_body,
    ack_headers,
    ack_subject,
    html_to_text,
    is_auto_reply,
    is_bounce,
    is_mailing_list,
    loop_reason,
    normalize_message_id,
    parse_mail,
    sanitize_html,
    thread_target,
    ticket_number_in_subject,
)
from services.intake.domain.mail.quoting import new_text

DATA = Path(__file__).resolve().parents[2] / "data" / "mail"


def raw(name: str) -> bytes:
    return (DATA / name).read_bytes()


def parse(name: str) -> ParsedMail:
    return parse_mail(raw(name))


def message(name: str) -> Message:
    return message_from_bytes(raw(name), policy=default)


def is_nfc(text: str) -> bool:
    return unicodedata.normalize("NFC", text) == text


# --- charsets and transfer encodings -------------------------------------------------------


def test_utf8_quoted_printable_vietnamese_is_decoded() -> None:
    mail = parse("utf8_qp_vietnamese.eml")
    assert mail.subject == "Không đăng nhập được TABMIS"
    assert mail.from_name == "Nguyễn Văn Hùng"
    assert mail.from_email == "nvhung@kbnn-hanoi.example.vn"
    assert mail.to == ["hotrocntt@kbnn.example.vn"]
    assert mail.cc == ["truongphong@kbnn-hanoi.example.vn", "ltmai@kbnn-hanoi.example.vn"]
    assert "không đăng nhập được TABMIS" in mail.text
    assert mail.message_id == "20260504080511.qp1@kbnn-hanoi.example.vn"
    assert mail.date == datetime(2026, 5, 4, 8, 5, 11, tzinfo=timezone(timedelta(hours=7)))
    assert mail.html_sanitized is None


def test_windows_1258_file_really_holds_combining_tone_marks() -> None:
    data = raw("cp1258_combining.eml")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    # "ậ" in "nhận" is written as "â" (0xE2) followed by the combining dot below (0xF2).
    assert b"nh\xe2\xf2n" in data


def test_the_windows_1258_file_is_what_its_generator_writes() -> None:
    spec = importlib.util.spec_from_file_location("make_cp1258", DATA / "make_cp1258.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    assert generator.build() == raw("cp1258_combining.eml")


def test_windows_1258_with_combining_marks_is_decoded_to_nfc() -> None:
    mail = parse("cp1258_combining.eml")
    assert mail.subject == "Lỗi lệnh chuyển Có trên TTSP"
    assert mail.from_name == "Trần Thị Lan"
    assert "Lỗi lệnh chuyển Có trên TTSP" in mail.text
    assert "Kho bạc Nhà nước Bắc Ninh" in mail.text
    for value in (mail.subject, mail.from_name, mail.text, mail.new_text):
        assert is_nfc(value)
    assert "\u0323" not in mail.text  # no loose combining dot below left


def test_rfc2047_base64_subject_split_inside_a_character_is_joined() -> None:
    mail = parse("rfc2047_subject_b.eml")
    assert mail.subject == "Lỗi kết nối TCKB từ chiều qua"
    assert mail.from_name == "Phạm Minh Tuấn"


def test_rfc2047_quoted_printable_subject_over_two_lines_is_decoded() -> None:
    mail = parse("rfc2047_subject_q.eml")
    assert mail.subject == "Máy in phòng Kế toán không in được"
    assert mail.from_name == "Vũ Thị Hạnh"


def test_base64_body_is_decoded() -> None:
    mail = parse("base64_body.eml")
    assert (
        mail.text == "Chương trình DVC trực tuyến báo lỗi khi ký số hồ sơ.\nMã lỗi: ERR-SIGN-042."
    )
    assert mail.subject == "Lỗi ký số trên DVC"


def test_8bit_body_and_raw_utf8_headers_are_decoded() -> None:
    mail = parse("8bit_body.eml")
    assert mail.subject == "Xin cấp quyền truy cập báo cáo"
    assert mail.from_name == "Đỗ Quang Vinh"
    assert mail.text.startswith("Đề nghị cấp quyền xem báo cáo")


def test_unknown_charset_label_falls_back_without_crashing() -> None:
    mail = parse("unknown_charset.eml")
    assert mail.text.startswith("Đường truyền mạng bị ngắt.")
    assert "\ufffd" in mail.text  # the two broken bytes, replaced rather than fatal


def test_raw_windows_1258_headers_are_decoded_with_the_body_charset_as_hint() -> None:
    body = "Lỗi TTSP".encode("cp1258", errors="ignore")
    data = (
        b"From: " + "Trần".encode("cp1258", errors="ignore") + b" <a@kbnn.example.vn>\r\n"
        b"Subject: " + "Máy in".encode("cp1258") + b"\r\n"
        b"Content-Type: text/plain; charset=windows-1258\r\n\r\n" + body
    )
    mail = parse_mail(data)
    assert mail.subject == "Máy in"
    assert mail.from_email == "a@kbnn.example.vn"


# --- HTML and MIME structure ----------------------------------------------------------------


def test_html_only_message_is_rendered_to_text_without_scripts_or_styles() -> None:
    mail = parse("html_only_with_script.eml")
    assert "Đường truyền WAN của Kho bạc Nghệ An chậm từ 8 giờ sáng." in mail.text
    assert "- Mất gói: 12%" in mail.text
    assert "bấm vào đây <https://intranet.example.vn/anh/wan.png>" in mail.text
    for leaked in ("alert", "color: red", "Tiêu đề trang", "document.cookie"):
        assert leaked not in mail.text


def test_html_is_only_ever_kept_sanitised() -> None:
    html = parse("html_only_with_script.eml").html_sanitized
    assert html is not None
    assert "<b>WAN</b>" in html
    for unsafe in ("<script", "onload", "onerror", "alert", "<style", "evil.example"):
        assert unsafe not in html


def test_multipart_alternative_prefers_the_plain_text_and_keeps_the_html() -> None:
    mail = parse("multipart_alternative.eml")
    assert mail.text == "Phần văn bản: không xem được sổ cái trên TABMIS."
    assert mail.html_sanitized is not None and "<b>HTML</b>" in mail.html_sanitized


def test_multipart_alternative_with_an_empty_plain_part_uses_the_html() -> None:
    assert parse("alternative_empty_plain.eml").text == "Chỉ có nội dung HTML."


def test_multipart_mixed_keeps_the_pdf_and_the_png_as_attachments() -> None:
    mail = parse("mixed_pdf_png.eml")
    assert mail.text == "Gửi kèm biên bản và ảnh chụp màn hình lỗi lệnh chuyển Có trên TTSP."
    pdf, png = mail.attachments
    assert (pdf.filename, pdf.content_type) == ("bien-ban.pdf", "application/pdf")
    assert pdf.data.startswith(b"%PDF-") and pdf.size == len(pdf.data)
    assert (png.filename, png.content_type) == ("Ảnh chụp lỗi.png", "image/png")
    assert png.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.content_id == "anh-loi@kbnn-thanhhoa"


def test_a_forwarded_message_is_attached_as_eml_named_after_its_subject() -> None:
    mail = parse("nested_rfc822_forward.eml")
    assert mail.text == "Em chuyển tiếp thư cảnh báo nhận được sáng nay."
    (forwarded,) = mail.attachments
    assert forwarded.filename == "Cảnh báo đĩa đầy.eml"
    assert forwarded.content_type == "message/rfc822"
    assert b"Message-ID: <alert.77@monitor.example.vn>" in forwarded.data


def test_attachment_file_names_cannot_carry_paths() -> None:
    data = (
        b"From: a@kbnn.example.vn\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n"
        b"--X\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="../../etc/passwd"\r\n\r\nroot\r\n--X--\r\n'
    )
    (attachment,) = parse_mail(data).attachments
    assert "/" not in attachment.filename and "\\" not in attachment.filename


def test_html_that_makes_nh3_panic_is_still_sanitised() -> None:
    html = '<meta http-equiv="Content-Type" content="text/html; charset"><p>Lỗi</p>'
    assert sanitize_html(html) == "<p>Lỗi</p>"


def test_html_the_stdlib_parser_rejects_is_still_rendered() -> None:
    assert html_to_text("<p>Lỗi TTSP</p><![endi]>") == "Lỗi TTSP"


def test_html_blockquote_is_rendered_as_quoted_lines() -> None:
    text = html_to_text("<p>Đồng ý.</p><blockquote><p>Anh xác nhận giúp?</p></blockquote>")
    assert text == "Đồng ý.\n> Anh xác nhận giúp?"


def test_html_rendering_survives_thousands_of_nested_divs() -> None:
    assert html_to_text("<div>" * 5000 + "sâu" + "</div>" * 5000) == "sâu"


# --- replies, threading, quoted history ---------------------------------------------------


KNOWN = {
    "notify.YC-2026-000123.2@hotro.kbnn.example.vn": "YC-2026-000123",
    "ack.YC-2026-000124.1@hotro.kbnn.example.vn": "YC-2026-000124",
}
TICKETS = {"YC-2026-000123", "YC-2026-000124", "YC-2026-000130"}


def test_reply_is_threaded_by_in_reply_to() -> None:
    mail = parse("reply_in_reply_to.eml")
    assert mail.in_reply_to == "notify.YC-2026-000123.2@hotro.kbnn.example.vn"
    assert mail.references == [
        "20260504080511.qp1@kbnn-hanoi.example.vn",
        "notify.YC-2026-000123.2@hotro.kbnn.example.vn",
    ]
    decision = thread_target(mail, KNOWN, TICKETS)
    assert (decision.ticket_number, decision.matched_by) == ("YC-2026-000123", "in_reply_to")
    assert not decision.is_new_ticket


def test_reply_is_threaded_by_references_when_in_reply_to_is_unknown() -> None:
    known = {"20260504080511.qp1@kbnn-hanoi.example.vn": "YC-2026-000123"}
    decision = thread_target(parse("reply_in_reply_to.eml"), known, TICKETS)
    assert (decision.ticket_number, decision.matched_by) == ("YC-2026-000123", "references")


def test_reply_is_threaded_by_the_subject_tag_when_that_ticket_exists() -> None:
    mail = parse("reply_subject_tag.eml")
    assert mail.ticket_number_in_subject == "YC-2026-000123"
    decision = thread_target(mail, {}, TICKETS)
    assert (decision.ticket_number, decision.matched_by) == ("YC-2026-000123", "subject_tag")


def test_a_subject_tag_of_an_unknown_ticket_opens_a_new_ticket() -> None:
    decision = thread_target(parse("reply_subject_tag.eml"), {}, {"YC-2026-000999"})
    assert decision.is_new_ticket and "YC-2026-000123" in decision.reason


def test_headers_win_over_a_subject_tag_that_points_elsewhere() -> None:
    mail = parse("quoted_history_signature.eml")  # tag 000124, In-Reply-To of 000124
    known = {"ack.YC-2026-000124.1@hotro.kbnn.example.vn": "YC-2026-000130"}
    decision = thread_target(mail, known, TICKETS)
    assert decision.ticket_number == "YC-2026-000130"
    assert "[YC-2026-000124] ignored" in decision.reason


def test_a_fresh_message_opens_a_new_ticket() -> None:
    decision = thread_target(parse("utf8_qp_vietnamese.eml"), KNOWN, TICKETS)
    assert decision.is_new_ticket and decision.matched_by is None


def test_ticket_number_tag_is_found_case_insensitively() -> None:
    assert ticket_number_in_subject("TL: [yc-2026-000045] máy in") == "YC-2026-000045"
    assert ticket_number_in_subject("YC-2026-000045 without brackets") is None
    assert ticket_number_in_subject("[YC-26-45]") is None


def test_gmail_vietnamese_quote_and_signature_are_removed_from_new_text() -> None:
    mail = parse("quoted_history_signature.eml")
    assert mail.new_text == (
        "Em đã cài lại driver theo hướng dẫn nhưng vẫn không in được chứng từ C4-02."
    )
    assert "> Chị vui lòng cài lại driver" in mail.text  # the full text keeps everything


def test_outlook_original_message_block_and_dash_dash_signature_are_removed() -> None:
    mail = parse("outlook_reply.eml")
    assert mail.new_text == "Đã cập nhật xong, chương trình chạy bình thường."
    assert "-----Original Message-----" in mail.text


def test_vietnamese_outlook_header_block_in_html_is_removed() -> None:
    mail = parse("outlook_vietnamese_reply.eml")
    assert mail.new_text == "Máy trạm số 3 vẫn báo lỗi phiên bản."


def test_english_gmail_attribution_over_two_lines_is_removed() -> None:
    text = (
        "Đã nhận, cảm ơn.\n\nOn Mon, May 4, 2026 at 4:02 PM Hỗ trợ CNTT <\n"
        "hotrocntt@kbnn.example.vn> wrote:\n\n> Kính gửi anh,\n> ...\n"
    )
    assert new_text(text) == "Đã nhận, cảm ơn."


def test_answers_written_between_quoted_lines_are_kept() -> None:
    text = "> Máy in nào bị lỗi?\nMáy HP phòng Kế toán.\n> Từ khi nào?\nTừ sáng nay.\n"
    assert new_text(text) == "Máy HP phòng Kế toán.\nTừ sáng nay."


def test_a_forwarded_message_is_content_not_history() -> None:
    text = (
        "Chuyển tiếp để xử lý.\n\n---------- Forwarded message ---------\n"
        "From: Giám sát <canhbao@monitor.example.vn>\nDate: Mon, 4 May 2026\n"
        "Subject: Cảnh báo\n\nỔ đĩa D: còn trống 2%.\n"
    )
    assert "Ổ đĩa D: còn trống 2%." in new_text(text)


def test_new_text_falls_back_to_the_whole_text_rather_than_nothing() -> None:
    text = "-----Original Message-----\nFrom: a\nSent: b\n\nNội dung."
    assert new_text(text) == text


def test_a_closer_followed_by_a_long_text_is_not_a_signature() -> None:
    lines = "\n".join(f"Dòng {i}" for i in range(12))
    assert new_text(f"Trân trọng,\n{lines}") == f"Trân trọng,\n{lines}"


# --- loops: auto-replies, bounces, lists ---------------------------------------------------


def test_auto_submitted_marks_an_auto_reply() -> None:
    mail = parse("auto_reply_auto_submitted.eml")
    assert mail.is_auto_reply and not mail.is_bounce and not mail.is_list
    assert mail.loop_reason == "Auto-Submitted: auto-replied"
    assert not mail.may_be_acknowledged
    assert is_auto_reply(message("auto_reply_auto_submitted.eml"))


def test_a_vietnamese_out_of_office_subject_alone_marks_an_auto_reply() -> None:
    mail = parse("out_of_office_subject.eml")
    assert mail.is_auto_reply and mail.loop_reason == "out-of-office subject"


@pytest.mark.parametrize(
    "subject",
    ["Out of Office: Máy in", "Automatic reply: TABMIS", "Auto: Lỗi", "Vắng mặt: họp", "AutoReply"],
)
def test_out_of_office_subjects_in_english_and_vietnamese(subject: str) -> None:
    msg = Message()
    msg["From"] = "a@kbnn.example.vn"
    msg["Subject"] = subject
    assert is_auto_reply(msg)


@pytest.mark.parametrize(
    ("header", "value", "auto"),
    [
        ("Auto-Submitted", "no", False),
        ("Auto-Submitted", "auto-generated", True),
        ("Precedence", "junk", True),
        ("Precedence", "auto_reply", True),
        ("X-Autoreply", "yes", True),
        ("X-Autorespond", "Tôi vắng mặt", True),
        ("X-Auto-Response-Suppress", "DR, OOF", True),
        ("X-Auto-Response-Suppress", "All", True),
        ("X-Auto-Response-Suppress", "DR", False),
    ],
)
def test_auto_reply_headers(header: str, value: str, auto: bool) -> None:
    msg = Message()
    msg["From"] = "a@kbnn.example.vn"
    msg["Subject"] = "Không đăng nhập được TABMIS"
    msg[header] = value
    assert is_auto_reply(msg) is auto


def test_precedence_bulk_marks_an_auto_reply() -> None:
    mail = parse("precedence_bulk.eml")
    assert mail.is_auto_reply and mail.loop_reason == "Precedence: bulk"


def test_list_id_marks_a_mailing_list() -> None:
    mail = parse("mailing_list.eml")
    assert mail.is_list and not mail.is_auto_reply and mail.loop_reason == "List-Id header"
    assert is_mailing_list(message("mailing_list.eml"))


def test_delivery_status_bounce_names_our_message_and_the_recipient() -> None:
    mail = parse("bounce_delivery_status.eml")
    assert mail.is_bounce and mail.loop_reason == "delivery-status report"
    assert mail.bounced_message_ids == ["ack.YC-2026-000123.1@hotro.kbnn.example.vn"]
    assert mail.bounced_recipient == "NVHung@kbnn-hanoi.example.vn"  # as we addressed it
    assert [a.content_type for a in mail.attachments] == [
        "message/delivery-status",
        "message/rfc822",
    ]
    assert is_bounce(message("bounce_delivery_status.eml"))


def test_mailer_daemon_bounce_reads_the_returned_headers() -> None:
    mail = parse("bounce_mailer_daemon.eml")
    assert mail.is_bounce and mail.loop_reason == "sent by MAILER-DAEMON"
    assert mail.bounced_message_ids == ["ack.YC-2026-000125.1@hotro.kbnn.example.vn"]
    assert mail.bounced_recipient == "pvloc.old@kbnn-gialai.example.vn"


def test_a_delayed_delivery_report_is_a_bounce_but_names_no_failed_message() -> None:
    mail = parse("bounce_delayed_dsn.eml")
    assert mail.is_bounce and not mail.may_be_acknowledged
    assert mail.bounced_message_ids == [] and mail.bounced_recipient is None


def test_a_null_return_path_marks_a_bounce() -> None:
    msg = Message()
    msg["Return-Path"] = "<>"
    msg["From"] = "relay@example.vn"
    assert is_bounce(msg) and loop_reason(msg) == "null Return-Path"


def test_a_message_from_a_person_may_be_acknowledged() -> None:
    mail = parse("utf8_qp_vietnamese.eml")
    assert mail.may_be_acknowledged and mail.loop_reason is None


# --- refusals ------------------------------------------------------------------------------


def test_binary_garbage_is_unparseable_with_a_reason() -> None:
    with pytest.raises(UnparseableMail, match="no headers"):
        parse("malformed_garbage.eml")


def test_a_message_without_from_is_unparseable() -> None:
    with pytest.raises(UnparseableMail, match="no From header") as refused:
        parse("malformed_no_from.eml")
    assert refused.value.reason == "no From header"


@pytest.mark.parametrize("data", [b"", b"   \r\n", b"From: \r\n\r\nbody", b"From: <>\r\n\r\nx"])
def test_empty_or_senderless_input_is_unparseable(data: bytes) -> None:
    with pytest.raises(UnparseableMail):
        parse_mail(data)


def nested_multipart(levels: int) -> bytes:
    head = b"From: a@kbnn.example.vn\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
    opening = b"".join(
        b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1)
        for i in range(levels)
    )
    closing = b"".join(b"--b%d--\r\n" % i for i in range(levels, -1, -1))
    return head + opening + b"--b%d\r\n\r\ndeep\r\n" % levels + closing


def test_moderately_nested_mime_is_read() -> None:
    assert parse_mail(nested_multipart(10)).text == "deep"


@pytest.mark.parametrize("levels", [50, 3000])
def test_absurdly_nested_mime_is_refused_whole_not_read_in_part(levels: int) -> None:
    with pytest.raises(UnparseableMail, match="nested"):
        parse_mail(nested_multipart(levels))


# --- odd but legal input ---------------------------------------------------------------------


def test_encoded_word_inside_an_address_cannot_change_the_mailbox() -> None:
    mail = parse_mail(b"From: =?utf-8?q?attacker=40evil.example?=@kbnn.example.vn\r\n\r\nhello")
    assert mail.from_email == "=?utf-8?q?attacker=40evil.example?=@kbnn.example.vn"


def test_a_comma_inside_an_encoded_display_name_does_not_split_the_address() -> None:
    mail = parse_mail(b"From: =?utf-8?Q?L=C3=AA,_Mai?= <ltmai@kbnn.example.vn>\r\n\r\nx")
    assert (mail.from_name, mail.from_email) == ("Lê, Mai", "ltmai@kbnn.example.vn")


def test_date_without_zone_is_utc_and_a_broken_date_is_none() -> None:
    assert parse_mail(b"From: a@b.vn\r\nDate: Mon, 4 May 2026 08:00:00 -0000\r\n\r\nx").date == (
        datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
    )
    assert parse_mail("From: a@b.vn\r\nDate: hôm qua\r\n\r\nx".encode()).date is None


def test_message_ids_are_compared_without_angle_brackets() -> None:
    assert normalize_message_id(" <abc@hotro.kbnn.example.vn> ") == "abc@hotro.kbnn.example.vn"


# --- acknowledgement ---------------------------------------------------------------------------


def test_ack_subject_carries_the_ticket_number_once() -> None:
    subject = ack_subject("YC-2026-000123", "Re: [YC-2026-000123] Không đăng nhập được TABMIS")
    assert subject == "[YC-2026-000123] Đã tiếp nhận yêu cầu: Re: Không đăng nhập được TABMIS"
    assert ticket_number_in_subject(subject) == "YC-2026-000123"


def test_ack_subject_cannot_inject_headers_and_has_a_placeholder() -> None:
    assert "\n" not in ack_subject("YC-2026-000001", "a\r\nBcc: x@evil.example")
    assert ack_subject("YC-2026-000001", "").endswith("(không có tiêu đề)")


def test_ack_body_is_vietnamese_with_correct_diacritics() -> None:
    body = ack_body("YC-2026-000123", "Nguyễn Văn Hùng", "Không đăng nhập được TABMIS")
    assert body.startswith("Kính gửi anh/chị Nguyễn Văn Hùng,")
    assert "đã tiếp nhận yêu cầu của anh/chị với mã số YC-2026-000123" in body
    assert "[YC-2026-000123]" in body and "Tiêu đề: Không đăng nhập được TABMIS" in body
    assert "Trân trọng," in body and is_nfc(body)


def test_ack_headers_mark_the_reply_automatic_and_threaded() -> None:
    headers = ack_headers(parse("reply_in_reply_to.eml"))
    assert headers["Auto-Submitted"] == "auto-replied"
    assert headers["In-Reply-To"] == "<reply.irt.1@kbnn-hanoi.example.vn>"
    assert headers["References"].endswith("<reply.irt.1@kbnn-hanoi.example.vn>")


def test_a_reply_to_our_acknowledgement_threads_back_to_the_ticket() -> None:
    original = parse("utf8_qp_vietnamese.eml")
    subject = ack_subject("YC-2026-000123", original.subject)
    reply = parse_mail(
        f"From: {original.from_email}\r\nSubject: Re: {subject}\r\n\r\nCảm ơn.".encode()
    )
    decision = thread_target(reply, {}, TICKETS)
    assert decision.ticket_number == "YC-2026-000123"
