"""Names and faults as other people write them (issue 15).

Applications named by their long Vietnamese name, a shortened or misspelt form, without tone
marks or by a screen of theirs; incidents told politely as requests, errors quoted after a
question; and what identifies no application at all.
"""

from __future__ import annotations

import numpy as np
import pytest

from services.routing.domain import learned
from services.routing.domain.classify import classify
from services.routing.domain.cues import problem_spans, unidentified
from services.routing.domain.mentions import (
    MISSPELT_CODE,
    OFFICIAL_NAME,
    PhraseIndex,
    application_phrases,
    find_mentions,
    tokenize,
)
from services.routing.domain.ticket_type import ticket_type_of

from .shipped import catalog


@pytest.mark.parametrize(
    ("text", "application"),
    [
        ("Tabmiss báo lỗi khi em bấm lưu chứng từ", "TABMIS"),  # one letter too many
        ("tamis hom nay ko chay dc bao cao", "TABMIS"),  # one missing
        ("edoc ko vao dc, bao timeout", "EDOCMAN"),  # shortened
        ("ĐT 9h10 KB Tam Nông: đầu tư WAN lỗi 500.", "DTKB-WAN"),
        ("tcs exchange with tax dept failed", "TCS-TT"),  # a code no plain word looks like
        ("Thanh toán liên KB báo lỗi 'Không kết nối được Trung tâm'", "TTLKB-T4"),
        ("Hi team, we cannot post journal entries on the general ledger", "TABMIS"),
        ("The Treasury online services portal is unavailable (502)", "DVC"),
    ],
)
def test_applications_are_found_however_they_are_named(text: str, application: str) -> None:
    assert classify(text, catalog()).application == application


def test_the_full_official_name_weighs_as_much_as_the_code() -> None:
    index = PhraseIndex(application_phrases(catalog()))
    name = "Thu ngân sách nhà nước và trao đổi thông tin thu"

    [mention] = find_mentions(tokenize(name), index)

    assert (mention.key, mention.weight) == ("TCS-TT", OFFICIAL_NAME)


def test_a_misspelt_code_counts_less_than_the_code_and_short_words_are_never_misspelt_codes() -> (
    None
):
    index = PhraseIndex(application_phrases(catalog()))

    [misspelt] = find_mentions(tokenize("tabmít treo"), index)
    assert (misspelt.key, misspelt.weight) == ("TABMIS", MISSPELT_CODE)
    assert index.misspelt("tabmis") == []  # the code itself is not a typo of itself
    assert index.misspelt("bms") == [] and index.misspelt("mails") == []


@pytest.mark.parametrize(
    ("text", "type_"),
    [
        ("Nhờ anh chị kiểm tra giúp, lệnh chuyển Có đi Vietinbank không gửi đi được", "incident"),
        ("Đề nghị hỗ trợ: chương trình ĐKTS báo trùng mã tài sản khi kê khai", "incident"),
        ("Cho em hỏi sao duyệt lệnh chi không được ạ? Nó báo 'Không đủ số dư'", "incident"),
        (
            "Xin chào, em muốn hỏi chạy báo cáo thì hệ thống báo 'No data found' là sao ạ?",
            "incident",
        ),
        ("Cho em hỏi cách in lại giấy rút dự toán đã duyệt ạ", "service_request"),
        ("Làm sao để hủy giấy nộp tiền đã in nhưng chưa truyền?", "service_request"),
        ("Đề nghị cấp phát IP tĩnh cho máy chấm công mới", "service_request"),
        ("Nhờ a/c khai thác dữ liệu chi thường xuyên năm 2025 giúp em", "service_request"),
        ("Công cụ khai thác dữ liệu TABMIS báo 'Session expired' liên tục", "incident"),
        ("Đề nghị nâng cấp chức năng in hàng loạt giấy rút dự toán", "proposal"),
    ],
)
def test_the_fault_not_the_phrasing_makes_an_incident(text: str, type_: str) -> None:
    assert ticket_type_of(text) == type_


def test_cannot_do_something_is_a_fault_wherever_the_verb_stands() -> None:
    words = tokenize("chương trình không ký được lệnh").words

    assert problem_spans(words)
    assert not problem_spans(tokenize("máy chấm công mới").words)


def test_a_requester_who_cannot_tell_the_application_goes_to_triage() -> None:
    text = "Máy hiện 'Object reference not set', em không biết của chương trình nào"
    result = classify(text, catalog())

    assert (result.group, result.source) == ("SERVICE_DESK", "triage")
    every_program = tokenize("đường truyền chập chờn, vào chương trình nào cũng chậm")
    assert not unidentified(every_program.words, every_program.sentence)


def test_a_group_named_by_its_own_name_is_a_topic_of_that_group() -> None:
    result = classify("Nhờ nhóm kỹ thuật dựng môi trường kiểm thử", catalog())

    assert result.group == "TECHNICAL"


def test_calibration_softens_a_head_that_is_sure_of_noise_and_never_sharpens() -> None:
    rng = np.random.default_rng(0)
    matrix = rng.random((60, 40))
    noise = [str(label) for label in rng.integers(0, 3, 60)]  # labels unrelated to the features
    signal = ["a" if row[0] > 0.5 else "b" for row in matrix]  # labels the features decide

    assert learned._temperature(matrix, noise, ("0", "1", "2")) > 1.0
    assert learned._temperature(matrix, signal, ("a", "b")) >= 1.0
