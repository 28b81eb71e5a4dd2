"""The API's error messages as a Vietnamese reader sees them beside a field.

The domain already speaks Vietnamese first ("Yêu cầu … / Ticket …"): its Vietnamese half is
kept. Validation messages of pydantic are English and generic: they are worded again from
their `type`, keeping the English in parentheses for whoever reports the problem.
"""

from __future__ import annotations

from typing import Any

BY_TYPE = {
    "missing": "Vui lòng nhập trường này.",
    "string_too_short": "Không được để trống.",
    "string_too_long": "Nội dung quá dài.",
    "string_pattern_mismatch": "Không đúng định dạng.",
    "literal_error": "Giá trị không hợp lệ.",
    "enum": "Giá trị không hợp lệ.",
    "unknown_code": "Mã không có trong danh mục.",
    "json_invalid": "Dữ liệu gửi lên không hợp lệ.",
    "too_large": "Tệp hoặc nội dung vượt quá dung lượng cho phép.",
    "attachment_refused": "Tệp đính kèm không được chấp nhận.",
    "rate_limited": "Quá nhiều yêu cầu, vui lòng thử lại sau.",
}
BY_STATUS = {
    401: "Phiên đăng nhập không còn hiệu lực.",
    403: "Bạn không có quyền thực hiện thao tác này.",
    404: "Không tìm thấy.",
    409: "Không thực hiện được ở trạng thái hiện tại.",
    413: "Tệp hoặc nội dung vượt quá dung lượng cho phép.",
    429: "Quá nhiều yêu cầu, vui lòng thử lại sau.",
    502: "Dịch vụ phía sau trả lời không hợp lệ.",
    503: "Dịch vụ phía sau tạm thời không trả lời, vui lòng thử lại.",
}
_VIETNAMESE_LETTERS = set("ăâđêôơưáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")


def _is_vietnamese(text: str) -> bool:
    return any(c in _VIETNAMESE_LETTERS for c in text.lower())


def vietnamese(issue: dict[str, Any], status: int) -> str:
    """One issue of the API's `detail` list, in Vietnamese."""
    msg = str(issue.get("msg") or "")
    first = msg.split(" / ")[0].strip()
    if first and _is_vietnamese(first):
        return first
    worded = BY_TYPE.get(str(issue.get("type") or "")) or BY_STATUS.get(status)
    if worded is None:
        worded = "Giá trị không hợp lệ." if status == 422 else "Không thực hiện được."
    return f"{worded} ({msg})" if msg else worded
