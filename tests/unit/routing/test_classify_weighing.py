"""How the classifier weighs what a text names, and when the trained model speaks (SPEC §3.1)."""

from __future__ import annotations

import pytest

from libs.catalog.model import Signal
from services.routing.domain.classify import MODEL_VERSION, classify
from services.routing.domain.ticket_type import ticket_type_of

from .catalog_fixture import CATALOG
from .fakes import FixedModel

WITH_SIGNALS = CATALOG.model_copy(
    update={
        "routing": CATALOG.routing.model_copy(
            update={
                "signals": [
                    Signal(phrase="FRM", application="TABMIS", weight=1.5),
                    Signal(phrase="online public service", application="DVC", weight=2.0),
                ]
            }
        )
    }
)


def test_a_screen_error_betrays_its_application() -> None:
    result = classify("Lỗi FRM-40735 khi nhập chứng từ", WITH_SIGNALS)

    assert (result.application, result.source) == ("TABMIS", "text_match")


def test_a_code_in_capitals_outweighs_a_long_description() -> None:
    result = classify("Chương trình TTSP không gửi được, thanh toán liên ngân hàng vẫn ok", CATALOG)

    assert result.application == "TTSP"


def test_a_two_letter_module_counts_only_in_capitals() -> None:
    assert classify("phân hệ AP bị lỗi", CATALOG).application == "TABMIS"
    assert classify("KBNN Ba Vì bị lỗi, ba lần rồi", CATALOG).application is None


def test_a_unit_identifier_is_not_a_fault_of_its_application() -> None:
    text = "Trường (mã QHNS 1023456) không gửi được hồ sơ qua dịch vụ công, báo lỗi"

    assert classify(text, CATALOG).application == "DVC"


def test_the_screen_that_shows_an_error_is_not_a_monitor() -> None:
    result = classify("TABMIS lỗi, màn hình báo HTTP 503", CATALOG)

    assert result.application == "TABMIS"


def test_the_channel_a_user_writes_through_is_not_the_subject() -> None:
    assert classify("phần mềm báo lỗi, em gửi ảnh qua email", CATALOG).application is None


def test_heavy_topic_words_beat_a_passing_mention_of_an_application() -> None:
    text = "Máy tính bị nhiễm virus mã độc, máy in cũng không in được, hộp thư"

    result = classify(text, CATALOG)

    assert (result.group, result.application, result.source) == ("WORKSTATION", None, "topic")


def test_the_model_arbitrates_between_a_topic_and_an_application_of_about_the_same_weight() -> None:
    text = "Không nhận được email xác nhận khi gửi phiếu yêu cầu trên hotro"

    plain = classify(text, CATALOG)
    arbitrated = classify(text, CATALOG, model=FixedModel(group="SERVICE_DESK", group_p=0.8))

    assert plain.group == "WORKSTATION"
    assert (arbitrated.group, arbitrated.application) == ("SERVICE_DESK", None)
    assert any("model reads SERVICE_DESK" in reason for reason in arbitrated.reasons)


def test_a_strong_topic_overrules_the_requesters_pick() -> None:
    result = classify("máy in kẹt giấy không in được", CATALOG, "MAIL")

    assert (result.group, result.application, result.source) == ("WORKSTATION", None, "topic")


def test_the_model_names_the_group_when_the_text_names_nothing() -> None:
    model = FixedModel(group="PAYMENT", group_p=0.8, application="TTSP", application_p=0.7)

    result = classify("lệnh bị ngân hàng trả về", CATALOG, model=model)

    assert (result.application, result.group, result.source) == ("TTSP", "PAYMENT", "model")
    assert result.model_version == f"{MODEL_VERSION}+clf-test"
    assert result.confidence == 0.8


def test_an_unsure_model_sends_the_ticket_to_triage() -> None:
    result = classify("nhờ xem giúp", CATALOG, model=FixedModel(group="TABMIS", group_p=0.4))

    assert (result.group, result.source) == ("SERVICE_DESK", "triage")
    assert "below" in result.reasons[-1]


def test_a_model_application_of_another_group_is_not_taken() -> None:
    model = FixedModel(group="PAYMENT", group_p=0.8, application="TABMIS", application_p=0.9)

    result = classify("lệnh bị trả về", CATALOG, model=model)

    assert (result.application, result.group) == (None, "PAYMENT")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đề nghị cài đặt máy in cho phòng kế toán", "service_request"),
        ("Nhờ tạo nhóm thư cho phòng", "service_request"),
        ("Dear team, please provide a script for the report", "service_request"),
        ("Nhờ mở form nhập liệu bị lỗi ORA-01403", "incident"),
        ("Đề nghị các anh chị kiểm tra lỗi", "incident"),
        ("Đề nghị bổ sung chức năng xuất Excel", "proposal"),
        ("Phần mềm nên cho phép in hàng loạt", "proposal"),
    ],
)
def test_request_and_proposal_wording(text: str, expected: str) -> None:
    assert ticket_type_of(text) == expected


def test_the_model_decides_the_type_only_when_no_cue_does() -> None:
    asks = FixedModel(type="service_request", type_p=0.8)

    assert classify("cấu hình lại máy scan", CATALOG, model=asks).type == "service_request"
    assert classify("góp ý giao diện", CATALOG, model=asks).type == "proposal"
    unsure = FixedModel(type="service_request", type_p=0.3)
    assert classify("cấu hình lại máy scan", CATALOG, model=unsure).type == "incident"
