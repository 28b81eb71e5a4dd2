"""Cue phrases in folded Vietnamese chat: what signals a fault, a working system, or a request.

Users write the way they chat ("ko vao dc tabmis", "cap lai mk"), so every cue is matched on
folded words after the chat abbreviations are spelled out. Positions are reported in the
*original* word indexes, so a cue can be measured against an application mention.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

#: Chat abbreviations as they appear after folding ("đc" folds to "dc").
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "ko": ("khong",),
    "k": ("khong",),
    "kg": ("khong",),
    "khg": ("khong",),
    "hok": ("khong",),
    "hong": ("khong",),
    "dc": ("duoc",),
    "dk": ("duoc",),
    "mk": ("mat", "khau"),
    "pass": ("mat", "khau"),
    "password": ("mat", "khau"),
    "pw": ("mat", "khau"),
    "pwd": ("mat", "khau"),
    "tk": ("tai", "khoan"),
    "acc": ("tai", "khoan"),
    "account": ("tai", "khoan"),
    "nsd": ("nguoi", "su", "dung"),
    "user": ("nguoi", "su", "dung"),
    "vs": ("voi",),
    "dv": ("don", "vi"),
    "dl": ("du", "lieu"),
    "csdl": ("co", "so", "du", "lieu"),
}

#: Something is broken. Matched only outside a "works fine" phrase ("không lỗi").
PROBLEM = (
    "loi",
    "error",
    "err",
    "exception",
    "ora",
    "timeout",
    "time out",
    "fail",
    "failed",
    "failure",
    "crash",
    "treo",
    "cham",
    "bi sap",
    "sap roi",
    "gian doan",
    "ngung hoat dong",
    "khong hoat dong",
    "khong vao",
    "chua vao",
    "khong thay",
    "mat mang",
    "khong ping",
    "khong dang nhap",
    "chua dang nhap",
    "khong truy cap",
    "khong ket noi",
    "mat ket noi",
    "khong chay",
    "khong mo",
    "khong in",
    "khong gui",
    "khong nhan",
    "khong hien",
    "khong load",
    "khong duoc",
    "bi khoa",
    "http 500",
    "http 502",
    "http 503",
    "http 504",
    "http 404",
    "http 403",
    "internal server error",
    "bad gateway",
    "service unavailable",
    "unavailable",
    "cannot",
    "can not",
    "can t",
    "not found",
    "not working",
    "stuck",
    "rejected",
    "bi tra ve",
    "tu tat",
    "bao sai",
    "khong khop",
    "chenh lech",
    "bi lech",
    "tinh sai",
    "sai so lieu",
    # what an error message says, quoted after "báo"
    "khong hop le",
    "khong ton tai",
    "da ton tai",
    "khong tim thay",
    "khong du",
    "bi trung",
    "trung ma",
    "het phien",
    "session expired",
    "no data",
    "not open",
    "invalid",
    "access violation",
    "runtime error",
    "denied",
    "bi da ra",
    "bi mo",
    "trang tron",
    "ra trang",
    "nhan doi",
    "so am",
    # security incidents
    "gia mao",
    "ma doc",
    "nhiem virus",
    "bi nhiem",
    "lua dao",
    "phishing",
    "ransomware",
    "tan cong",
)

#: Words that contain a fault cue but say something else: "chấm công" folds to "cham cong".
NOT_A_FAULT = ("cham cong", "cham diem", "cham soc")

#: The system is fine: a mention here is context ("TTSP vẫn bình thường"), not the problem.
WORKING = (
    "binh thuong",
    "on dinh",
    "van chay",
    "van ok",
    "van on",
    "van vao duoc",
    "van dung duoc",
    "van hoat dong",
    "hoat dong tot",
    "chay tot",
    "khong loi",
    "khong bi loi",
    "khong co loi",
    "khong sao",
    "thanh cong",
    "chay xong",
    "works fine",
    "working fine",
)

#: Words that show something on the screen: "màn hình báo lỗi" is not about the monitor.
DISPLAY = (
    "man hinh bao",
    "man hinh hien",
    "man hinh thong bao",
    "man hinh xuat hien",
    "tren man hinh",
    "chup man hinh",
    "anh chup man hinh",
)

#: The channel a message used, not the subject: "gửi ảnh qua mail" says nothing of MAIL.
CHANNEL = (
    "qua mail",
    "qua email",
    "qua e mail",
    "qua thu dien tu",
    "via email",
    "by email",
)

#: "Đề nghị cài…", "nhờ tạo…", "please provide…": asking for something to be done. A request
#: only when no fault is reported in the same sentence ("nhờ mở form bị lỗi" is a fault).
REQUEST_MARKERS = ("de nghi", "kinh de nghi", "xin", "nho", "please", "request", "can you")
REQUEST_ACTIONS = (
    "cai",
    "cai dat",
    "cai lai",
    "cap",
    "cap moi",
    "tao",
    "bo sung",
    "cap nhat",
    "khai bao",
    "dang",
    "dang ky",
    "gia han",
    "tang",
    "cau hinh",
    "huong dan",
    "thay doi",
    "khoi phuc",
    "trich xuat",
    "mo",
    "reset",
    "keo",
    "gop",
    "chuyen",
    "dieu chinh",
    "thu hoi",
    "huy",
    "ket noi",
    "provide",
    "create",
    "add",
    "install",
)

#: SPEC §3.2: a request to fulfil, not a fault.
SERVICE_REQUEST = (
    "cap lai mat khau",
    "reset mat khau",
    "reset lai mat khau",
    "dat lai mat khau",
    "khoi phuc mat khau",
    "quen mat khau",
    "cap quyen",
    "phan quyen",
    "bo sung quyen",
    "them quyen",
    "mo quyen",
    "tao tai khoan",
    "tao moi tai khoan",
    "cap tai khoan",
    "cap moi tai khoan",
    "mo khoa tai khoan",
    "mo khoa nguoi su dung",
    "unlock",
    "tao nguoi su dung",
    "tao moi nguoi su dung",
    "them nguoi su dung",
)

#: Asking for data: a request unless the same text reports a fault ("công cụ khai thác dữ liệu
#: TABMIS báo 'Session expired'" names the tool that fails).
DATA_REQUEST = ("khai thac du lieu", "trich xuat du lieu", "xin so lieu", "can so lieu")

#: A how-to question ("cho em hỏi cách…", "làm sao để…"): a service request when it reports no
#: fault; "cho em hỏi sao duyệt không được, báo lỗi…" reports one and is an incident.
HOW_TO = (
    "cho hoi",
    "xin hoi",
    "muon hoi",
    "hoi cach",
    "cach",
    "lam sao",
    "lam the nao",
    "the nao de",
    "o dau",
    "quy trinh",
    "how to",
    "how do",
    "how can",
)

#: The requester says they cannot tell which application fails ("em không biết của chương
#: trình nào"): Service Desk triage (SPEC §1: "anything unidentified → SERVICE_DESK"),
#: whatever device words stand beside it. Not knowing, then "which", in one sentence; "vào
#: chương trình nào cũng chậm" (every program is slow) is not it.
DONT_KNOW = ("khong biet", "khong ro", "chua ro", "chua biet", "not sure", "don t know")
WHICH = ("chuong trinh nao", "ung dung nao", "phan mem nao", "he thong nao", "which")


#: SPEC §3.2: an idea for the responsible department's monthly digest.
PROPOSAL = (
    "gop y",
    "y kien dong gop",
    "de xuat",
    "kien nghi",
    "suggestion",
    "feature request",
    "bo sung chuc nang",
    "them chuc nang",
    "bo sung tinh nang",
    "them tinh nang",
    "nen co",
    "nen cho phep",
    "nen bo sung",
    "mong muon bo sung",
    "nang cap chuc nang",
    "nang cap tinh nang",
    "cai tien chuc nang",
)

Span = tuple[int, int]


def spell_out(words: Sequence[str]) -> tuple[list[str], list[int]]:
    """Chat abbreviations spelled out, with the original index of every resulting word."""
    expanded: list[str] = []
    origin: list[int] = []
    for index, word in enumerate(words):
        for part in ABBREVIATIONS.get(word, (word,)):
            expanded.append(part)
            origin.append(index)
    return expanded, origin


def find_cues(words: Sequence[str], phrases: Iterable[str]) -> list[Span]:
    """Spans (in `words` indexes, end exclusive) where any phrase occurs on word boundaries."""
    expanded, origin = spell_out(words)
    by_first = _by_first_word(tuple(phrases))
    spans: set[Span] = set()
    for start, word in enumerate(expanded):
        for target in by_first.get(word, ()):
            end = start + len(target)
            if tuple(expanded[start:end]) == target:
                spans.add((origin[start], origin[end - 1] + 1))
    return sorted(spans)


@cache
def _by_first_word(phrases: tuple[str, ...]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """The cue lists are constants: index each once by its first word."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        target = tuple(phrase.split())
        index.setdefault(target[0], []).append(target)
    return {first: tuple(targets) for first, targets in index.items()}


#: "không ký được", "chưa gửi đi được": the commonest way to say something fails.
_CANNOT = ("khong", "chua")
_CANNOT_REACH = 3


def problem_spans(words: Sequence[str]) -> list[Span]:
    """Fault cues that are not part of a "works fine" phrase ("không bị lỗi" is not a fault)."""
    fine = find_cues(words, (*WORKING, *NOT_A_FAULT))
    found = sorted({*find_cues(words, PROBLEM), *_cannot_spans(words)})
    return [
        span for span in found if not any(span[0] < end and start < span[1] for start, end in fine)
    ]


def _cannot_spans(words: Sequence[str]) -> list[Span]:
    """ "không <verb…> được" with at most `_CANNOT_REACH` words between, in original indexes."""
    expanded, origin = spell_out(words)
    spans: list[Span] = []
    for start, word in enumerate(expanded):
        if word not in _CANNOT:
            continue
        for end in range(start + 2, min(len(expanded), start + 2 + _CANNOT_REACH)):
            if expanded[end] == "duoc":
                spans.append((origin[start], origin[end] + 1))
                break
    return spans


def unidentified(words: Sequence[str], sentence: Sequence[int]) -> bool:
    """The text says its writer does not know which application is at fault."""
    which = find_cues(words, WHICH)
    return any(
        sentence[start] == sentence[w_start] and end <= w_start
        for start, end in find_cues(words, DONT_KNOW)
        for w_start, _ in which
    )


def first_cue(words: Sequence[str], phrases: Iterable[str]) -> Span | None:
    spans = find_cues(words, phrases)
    return spans[0] if spans else None


def request_intent(words: Sequence[str]) -> Span | None:
    """The first "asking for something to be done": a marker, then within two words an action."""
    actions = find_cues(words, REQUEST_ACTIONS)
    for start, end in find_cues(words, REQUEST_MARKERS):
        for action_start, action_end in actions:
            if end <= action_start <= end + 2:
                return start, action_end
    return None
