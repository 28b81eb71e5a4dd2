"""How a query becomes full text (domain/search.py): folding, chat spellings, relaxation."""

from __future__ import annotations

from services.knowledge.domain import search


def test_query_words_fold_diacritics_and_case() -> None:
    assert search.query_words("Không đăng nhập được TABMIS") == [
        "khong", "dang", "nhap", "duoc", "tabmis"
    ]  # fmt: skip
    assert search.query_words("KHONG dang NHAP duoc tabmis") == search.query_words(
        "không đăng nhập được tabmis"
    )


def test_chat_spellings_are_spelt_out_and_repeats_dropped() -> None:
    assert search.query_words("ko dc dn tabmis, ko vào dc") == [
        "khong", "duoc", "dang", "nhap", "tabmis", "vao"
    ]  # fmt: skip
    assert search.query_words("quên mk") == ["quen", "mat", "khau"]


def test_the_rarest_words_are_kept_from_a_long_text_in_their_order() -> None:
    terms = ["khong", "in", "duoc", "bang", "ke", "kqkb", "loi", "phong", "chu", "may"]
    frequency = {"khong": 900, "duoc": 800, "loi": 700, "may": 600, "in": 50, "bang": 40,
                 "ke": 40, "kqkb": 5, "phong": 30, "chu": 30}  # fmt: skip
    assert search.keep_rarest(terms, frequency, limit=5) == ["bang", "ke", "kqkb", "phong", "chu"]
    assert search.keep_rarest(["tabmsi", "khong"], {"khong": 900}, limit=1) == ["tabmsi"]


def test_at_least_k_of_n_groups_becomes_an_or_of_ands() -> None:
    groups = [["khong"], ["tabmis", "tabmi"], ["nhap"]]
    assert search.at_least(groups, 3) == "'khong' & ('tabmis' | 'tabmi') & 'nhap'"
    assert search.at_least(groups, 2) == (
        "('khong' & ('tabmis' | 'tabmi')) | ('khong' & 'nhap') | (('tabmis' | 'tabmi') & 'nhap')"
    )
    assert search.any_of(groups) == "'khong' | ('tabmis' | 'tabmi') | 'nhap'"


def test_relaxation_asks_for_every_word_first_then_fewer_down_to_half() -> None:
    assert search.relaxation(1) == [1]
    assert search.relaxation(4) == [4, 3, 2]
    assert search.relaxation(5) == [5, 4, 3]
    # C(8, 4) = 70 clauses would be too big a query: relaxing stops at 5 of 8.
    assert search.relaxation(8) == [8, 7, 6, 5]


def test_a_stored_document_is_its_folded_words() -> None:
    assert search.fold_document("Lỗi phông chữ", None, "KQKB-TT") == "loi phong chu kqkb tt"
