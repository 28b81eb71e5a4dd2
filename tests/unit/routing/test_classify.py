"""Application, group and type from what users actually write (SPEC §3.1, §3.2).

Messages as they arrive: with and without tone marks, chat abbreviations, English error
text, two systems named where only one fails, and pick lists that contradict the text.
"""

from __future__ import annotations

import pytest

from services.routing.domain.classify import MODEL_VERSION, classify
from services.routing.domain.ticket_type import ticket_type_of

from .catalog_fixture import CATALOG

ANY = "*"  # several applications fail together: only the group is certain

# (text, picked application, application, group, type)
EXAMPLES: list[tuple[str, str | None, str | None, str, str]] = [
    ("ko vao dc tabmis", None, "TABMIS", "TABMIS", "incident"),
    ("Không đăng nhập được TABMIS, báo sai mật khẩu", None, "TABMIS", "TABMIS", "incident"),
    (
        "Chào anh, đơn vị em không vào được Tabmis từ sáng, báo lỗi "
        "ORA-12170: TNS:Connect timeout occurred",
        None,
        "TABMIS",
        "TABMIS",
        "incident",
    ),
    (
        "TTSP vẫn chạy bình thường nhưng TABMIS báo lỗi ORA-01017",
        None,
        "TABMIS",
        "TABMIS",
        "incident",
    ),
    (
        "Đã chuyển dữ liệu từ TCS-TT sang TABMIS thành công. Tuy nhiên TABMIS báo lỗi "
        "không khớp tổ hợp tài khoản",
        None,
        "TABMIS",
        "TABMIS",
        "incident",
    ),
    ("cấp lại mk TTSP cho chị Lan kế toán", None, "TTSP", "PAYMENT", "service_request"),
    (
        "De nghi reset mat khau tai khoan TCS cho NSD nguyenvana",
        None,
        "TCS-TT",
        "PAYMENT",
        "service_request",
    ),
    (
        "Xin cấp quyền duyệt chứng từ trên phân hệ AP cho cán bộ mới",
        None,
        "TABMIS",
        "TABMIS",
        "service_request",
    ),
    ("App mobile không hiện khoản chi", None, None, "SERVICE_DESK", "incident"),
    ("Ứng dụng báo lỗi khoản chi không hợp lệ", None, None, "SERVICE_DESK", "incident"),
    (
        "Lệnh thanh toán liên kho bạc bị treo ở trạng thái chờ",
        None,
        "TTLKB-T4",
        "PAYMENT",
        "incident",
    ),
    ("TTLKB T3 tai SGD loi khong nhan duoc dien", None, "TTLKB-T3", "PAYMENT", "incident"),
    ("ttlkbt4 không gửi được điện đi", None, "TTLKB-T4", "PAYMENT", "incident"),
    (
        "Cổng dịch vụ công báo HTTP 500 Internal Server Error khi nộp hồ sơ",
        None,
        "DVC",
        "INTERNAL",
        "incident",
    ),
    ("dvctt ko nop duoc ho so, loi 502 Bad Gateway", None, "DVC", "INTERNAL", "incident"),
    ("máy in HP tầng 2 kẹt giấy không in được", None, None, "WORKSTATION", "incident"),
    ("Mất mạng toàn bộ phòng kế toán từ 8h", None, None, "WORKSTATION", "incident"),
    (
        "Máy tính bị nhiễm virus, hiện thông báo đòi tiền chuộc",
        None,
        None,
        "WORKSTATION",
        "incident",
    ),
    ("Zabbix cảnh báo máy chủ CSDL đầy ổ đĩa", None, None, "TECHNICAL", "incident"),
    (
        "Trang hotro không gửi được phiếu yêu cầu, bấm Gửi không có phản hồi",
        None,
        None,
        "SERVICE_DESK",
        "incident",
    ),
    (
        "Góp ý: nên bổ sung chức năng xuất Excel trên DMDC",
        None,
        "DMDC",
        "INTERNAL",
        "proposal",
    ),
    ("Đề xuất nâng cấp KTNB để hỗ trợ chữ ký số", None, "KTNB", "INTERNAL", "proposal"),
    (
        "Kiến nghị cho phép NSD tự reset mật khẩu QLCB",
        None,
        "QLCB",
        "INTERNAL",
        "proposal",
    ),
    (
        "Đề xuất cấp quyền xem báo cáo TABMIS-DW cho phòng KSC",
        None,
        "TABMIS-DW",
        "TABMIS",
        "service_request",
    ),
    (
        "Email không nhận được thư từ ngoài, hộp thư báo đầy",
        None,
        "MAIL",
        "WORKSTATION",
        "incident",
    ),
    ("Outlook ko gui dc mail", None, "MAIL", "WORKSTATION", "incident"),
    (
        "Không mở được văn bản trên eDocman, báo lỗi Java",
        None,
        "EDOCMAN",
        "WORKSTATION",
        "incident",
    ),
    ("Portal KBNN không truy cập được", None, "PORTAL", "WORKSTATION", "incident"),
    (
        "Nhờ tạo tài khoản QLTS cho cán bộ mới chuyển đến",
        None,
        "QLTS",
        "INTERNAL",
        "service_request",
    ),
    (
        "khai thác dữ liệu TABMIS quý 1 theo mẫu đính kèm",
        None,
        "TABMIS-DW",
        "TABMIS",
        "service_request",
    ),
    (
        "Mã QHNS của đơn vị em cấp rồi mà tra cứu không thấy",
        None,
        "QHNS",
        "INTERNAL",
        "incident",
    ),
    (
        "Chương trình ĐTKB-LAN không tổng hợp được báo cáo",
        None,
        "DTKB-LAN",
        "INTERNAL",
        "incident",
    ),
    (
        "THBC DTKB LAN bị lỗi khi tổng hợp số liệu",
        None,
        "THBC-DTKB-LAN",
        "INTERNAL",
        "incident",
    ),
    ("Chương trình KT-ANQP ko lên số dư", None, "KTKB-ANQP", "INTERNAL", "incident"),
    (
        "TCS thu không truyền được dữ liệu sang ngân hàng phục vụ",
        None,
        "TCS-TT",
        "PAYMENT",
        "incident",
    ),
    (
        "Thanh toán bù trừ điện tử: không nhận được file kết quả",
        None,
        "TTBT",
        "PAYMENT",
        "incident",
    ),
    ("Hệ thống CITAD của TTLNH đang chậm", None, "TTLNH", "PAYMENT", "incident"),
    ("Quản lý nợ DMFAS báo lỗi khi chạy báo cáo", None, "DMFAS", "PAYMENT", "incident"),
    ("Lỗi kết nối TTĐT-NH với Vietcombank", None, "TTDT-NH", "PAYMENT", "incident"),
    ("so cai GL bi loi khi khoa so", None, "TABMIS", "TABMIS", "incident"),
    ("hok dang nhap dc dmdc", None, "DMDC", "INTERNAL", "incident"),
    (
        "Mở khóa tk TABMIS cho user hanhnt do nhập sai mk 5 lần",
        None,
        "TABMIS",
        "TABMIS",
        "service_request",
    ),
    ("quên mật khẩu đăng nhập Tabmis", None, "TABMIS", "TABMIS", "service_request"),
    (
        "Đăng ký tài sản mới cho đơn vị bị lỗi không lưu được",
        None,
        "DKTS",
        "INTERNAL",
        "incident",
    ),
    (
        "Cannot login TABMIS, error: FRM-92101 connection failed",
        None,
        "TABMIS",
        "TABMIS",
        "incident",
    ),
    (
        'Bên em bị lỗi như sau:\n> "ORA-00942: table or view does not exist" (KTNB)\n'
        "Mong anh chị hỗ trợ",
        None,
        "KTNB",
        "INTERNAL",
        "incident",
    ),
    (
        "Kính gửi Phòng Hỗ trợ CNTT,\nĐơn vị chúng tôi không đăng nhập được phần mềm "
        "Quản lý tài sản.\nTrân trọng.",
        None,
        "QLTS",
        "INTERNAL",
        "incident",
    ),
    ("Gửi email cho anh em hỗ trợ: TTSP bị treo từ 9h", None, "TTSP", "PAYMENT", "incident"),
    ("Cán bộ dùng USB token ký TTSP không được", None, "TTSP", "PAYMENT", "incident"),
    ("Phần mềm TTSP, TTLKB, TCS đều không vào được", None, ANY, "PAYMENT", "incident"),
    # The pick list: used when the text agrees or is silent, overruled when it clearly differs.
    (
        "TABMIS không đăng nhập được, báo ORA-28000 account is locked",
        "TTSP",
        "TABMIS",
        "TABMIS",
        "incident",
    ),
    ("Không vào được, báo lỗi ORA-12541", "TABMIS", "TABMIS", "TABMIS", "incident"),
    (
        "TCS-TT lỗi khi đẩy chứng từ sang TABMIS",
        "TCS-TT",
        "TCS-TT",
        "PAYMENT",
        "incident",
    ),
    ("nộp hồ sơ bị lỗi 500", "DVC", "DVC", "INTERNAL", "incident"),
    ("máy in không in được", "XYZ", None, "WORKSTATION", "incident"),
]


@pytest.mark.parametrize(
    ("text", "picked", "application", "group", "ticket_type"),
    EXAMPLES,
    ids=[f"{i:02d}" for i in range(len(EXAMPLES))],
)
def test_classifies_realistic_messages(
    text: str, picked: str | None, application: str | None, group: str, ticket_type: str
) -> None:
    result = classify(text, CATALOG, picked)

    if application != ANY:
        assert result.application == application, result.reasons
    assert result.group == group, result.reasons
    assert ticket_type_of(text) == ticket_type


def test_the_alias_ap_needs_a_word_of_its_own() -> None:
    assert classify("app bị lỗi khoản chi, apple", CATALOG).candidates == ()
    assert classify("phân hệ AP bị lỗi", CATALOG).application == "TABMIS"


def test_repeated_mentions_outweigh_a_single_earlier_one() -> None:
    result = classify("Số liệu TTSP đã đối chiếu. TABMIS sai số dư, TABMIS treo", CATALOG)

    assert [code for code, _ in result.candidates] == ["TABMIS", "TTSP"]


def test_a_longer_name_is_one_mention_not_two() -> None:
    result = classify("Kho dữ liệu TABMIS không chạy báo cáo", CATALOG)

    assert [code for code, _ in result.candidates] == ["TABMIS-DW"]


def test_sources_and_confidence_say_how_sure_the_decision_is() -> None:
    agreed = classify("TABMIS lỗi", CATALOG, "TABMIS")
    silent = classify("bị lỗi từ sáng", CATALOG, "TABMIS")
    from_text = classify("TABMIS lỗi", CATALOG)
    topic = classify("máy in kẹt giấy", CATALOG)
    triage = classify("nhờ anh chị xem giúp", CATALOG)

    assert [r.source for r in (agreed, silent, from_text, topic, triage)] == [
        "application_pick",
        "application_pick",
        "text_match",
        "topic",
        "triage",
    ]
    assert agreed.confidence > max(silent.confidence, from_text.confidence)
    assert min(silent.confidence, from_text.confidence) > topic.confidence > triage.confidence
    assert triage.group == "SERVICE_DESK" and triage.application is None
    assert all(r.model_version == MODEL_VERSION and r.reasons for r in (agreed, triage))


def test_a_contradicted_pick_is_explained() -> None:
    result = classify("TABMIS không đăng nhập được", CATALOG, "TTSP")

    assert (result.application, result.source) == ("TABMIS", "text_match")
    assert any("TTSP" in reason for reason in result.reasons)


def test_a_faint_other_mention_does_not_overrule_the_pick() -> None:
    result = classify("TCS-TT lỗi, TTSP vẫn bình thường", CATALOG, "TCS-TT")

    assert (result.application, result.source) == ("TCS-TT", "application_pick")


def test_a_known_application_holds_against_server_words_in_an_alert() -> None:
    alert = "Zabbix cảnh báo máy chủ CSDL đầy ổ đĩa, máy chủ không phản hồi; TABMIS lỗi"
    guessed = classify(alert, CATALOG, "TTSP")
    known = classify(alert, CATALOG, "TTSP", pick_is_known=True)

    assert guessed.application != "TTSP"
    assert (known.application, known.source, known.confidence) == (
        "TTSP",
        "application_pick",
        1.0,
    )
    assert known.group == CATALOG.applications["TTSP"].group


@pytest.mark.parametrize(
    ("text", "ticket_type"),
    [
        ("xin cấp tk QLCB mới cho cán bộ", "service_request"),
        ("reset pass eDocman giúp em", "service_request"),
        ("cap lai mk dang nhap", "service_request"),
        ("Đề nghị cấp lại mật khẩu TCS", "service_request"),
        ("tao moi nsd cho phong KSC", "service_request"),
        ("k vào đc TTSP", "incident"),
        ("mật khẩu bị sai liên tục dù đã nhập đúng", "incident"),
        ("Ý kiến đóng góp về giao diện DVC", "proposal"),
        ("KIẾN NGHỊ bổ sung báo cáo", "proposal"),
        ("de xuat them nut in hang loat", "proposal"),
    ],
)
def test_ticket_type_reads_cue_words_in_chat_spelling(text: str, ticket_type: str) -> None:
    assert ticket_type_of(text) == ticket_type
