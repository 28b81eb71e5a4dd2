"""The suite's one error body, `{"error", "detail": [{loc, field, msg, type}]}` (SPEC §8).

Every service installs these handlers through `ServiceKit.http`, so a refusal reads the same
whether the gateway, escalation or routing wrote it: validation failures in words (Vietnamese,
then English, whole sentences in each), unknown paths and wrong methods included. A service's
own refusals raise `ApiError` (or build `problem(...)`) rather than writing a body by hand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

#: Parts of a pydantic location that say where, not which field.
_WHERE = ("body", "query", "path", "header", "cookie")
OPENAPI_HINT = "/api/v1/openapi.json"


class ApiError(Exception):
    """A request refused with a status, where (`loc`), why (`reason`) and a `kind` slug."""

    def __init__(
        self, loc: Sequence[Any], reason: str, status: int = 422, kind: str = "invalid"
    ) -> None:
        super().__init__(reason)
        self.loc = tuple(loc)
        self.reason = reason
        self.status = status
        self.kind = kind


def issue(loc: Sequence[Any], msg: str, kind: str) -> dict[str, Any]:
    """One entry of `detail`: the location as given, the field it names, the reason."""
    field = ".".join(str(p) for p in loc if p not in _WHERE)
    # A location that is only "where" (`path`, `body`) is its own field.
    where = str(loc[-1]) if loc else "body"
    return {"loc": list(loc), "field": field or where, "msg": msg, "type": kind}


def problem(
    status: int,
    kind: str,
    loc: Sequence[Any] | str,
    msg: str,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The one body for a refusal; `loc` is a location tuple or a bare field name."""
    where = (loc,) if isinstance(loc, str) else tuple(loc)
    return JSONResponse(
        {"error": kind, "detail": [issue(where, msg, kind)]}, status_code=status, headers=headers
    )


def normalised(body: Any) -> Any:
    """A body another service wrote, in the one shape (`loc` and `type` filled in); bodies
    that are not refusals (no `error`, or no list `detail`) are left as they are."""
    if not isinstance(body, dict) or "error" not in body:
        if isinstance(body, dict) and isinstance(body.get("detail"), str | list):
            return _from_fastapi(body["detail"])
        return body
    detail = body.get("detail")
    if isinstance(detail, str):
        detail = [{"field": "body", "msg": detail}]
    if not isinstance(detail, list):
        return body
    entries = []
    for entry in detail:
        if not isinstance(entry, dict):
            entry = {"msg": str(entry)}
        field = str(entry.get("field") or "body")
        loc = entry.get("loc") or field.split(".")
        entries.append(
            {
                "loc": list(loc),
                "field": field,
                "msg": str(entry.get("msg", "")),
                "type": str(entry.get("type") or body.get("error")),
            }
        )
    return {**body, "detail": entries}


def _from_fastapi(detail: Any) -> dict[str, Any]:
    """FastAPI's own `{"detail": …}` body (a service without our handlers) in our shape."""
    if isinstance(detail, list):
        return {
            "error": "validation_failed",
            "detail": [validation_issue(e) for e in detail if isinstance(e, dict)],
        }
    return {"error": "refused", "detail": [issue(("body",), str(detail), "refused")]}


# --- validation messages in words -----------------------------------------------------------


def _said(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _sentence(error: dict[str, Any]) -> str:
    """Vietnamese, then English, for pydantic's common error types; never a regex."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    given = _said(error.get("input", ""))
    words = {
        "missing": ("Trường này là bắt buộc.", "This field is required."),
        "extra_forbidden": (
            "Trường này không có trong yêu cầu hợp lệ.",
            "This field is not accepted here.",
        ),
        "string_too_short": (
            f"Cần ít nhất {ctx.get('min_length')} ký tự (không tính khoảng trắng đầu cuối).",
            f"At least {ctx.get('min_length')} characters are needed.",
        ),
        "string_too_long": (
            f"Tối đa {ctx.get('max_length')} ký tự.",
            f"At most {ctx.get('max_length')} characters are allowed.",
        ),
        "too_long": (
            f"Tối đa {ctx.get('max_length')} phần tử.",
            f"At most {ctx.get('max_length')} items are allowed.",
        ),
        "string_pattern_mismatch": (
            f"Giá trị '{given}' không đúng định dạng của trường này.",
            f"'{given}' is not in the format this field takes.",
        ),
        "string_type": ("Cần một chuỗi ký tự.", "A text value is expected."),
        "int_parsing": (f"'{given}' không phải là số nguyên.", f"'{given}' is not a whole number."),
        "int_type": ("Cần một số nguyên.", "A whole number is expected."),
        "int_from_float": ("Cần một số nguyên.", "A whole number is expected."),
        "float_parsing": (f"'{given}' không phải là số.", f"'{given}' is not a number."),
        "bool_parsing": (
            f"'{given}' không phải true hoặc false.",
            f"'{given}' is not true or false.",
        ),
        "greater_than": (
            f"Giá trị phải lớn hơn {ctx.get('gt')}.",
            f"The value must be more than {ctx.get('gt')}.",
        ),
        "greater_than_equal": (
            f"Giá trị phải từ {ctx.get('ge')} trở lên.",
            f"The value must be {ctx.get('ge')} or more.",
        ),
        "less_than": (
            f"Giá trị phải nhỏ hơn {ctx.get('lt')}.",
            f"The value must be less than {ctx.get('lt')}.",
        ),
        "less_than_equal": (
            f"Giá trị tối đa là {ctx.get('le')}.",
            f"The value must be {ctx.get('le')} or less.",
        ),
        "literal_error": (
            f"'{given}' không hợp lệ; chọn một trong: {ctx.get('expected')}.",
            f"'{given}' is not allowed; use one of {ctx.get('expected')}.",
        ),
        "enum": (
            f"'{given}' không hợp lệ; chọn một trong: {ctx.get('expected')}.",
            f"'{given}' is not allowed; use one of {ctx.get('expected')}.",
        ),
        "uuid_parsing": (
            f"'{given}' không phải là mã định danh (UUID).",
            f"'{given}' is not a UUID.",
        ),
        "datetime_parsing": (
            f"'{given}' không phải thời điểm ISO 8601 (ví dụ 2026-12-01T09:00:00+07:00).",
            f"'{given}' is not an ISO 8601 time (for example 2026-12-01T09:00:00+07:00).",
        ),
        "datetime_from_date_parsing": (
            f"'{given}' không phải thời điểm ISO 8601 (ví dụ 2026-12-01T09:00:00+07:00).",
            f"'{given}' is not an ISO 8601 time (for example 2026-12-01T09:00:00+07:00).",
        ),
        "timezone_aware": (
            "Thời điểm cần có múi giờ (ví dụ +07:00).",
            "The time needs its offset (for example +07:00).",
        ),
        "date_parsing": (
            f"'{given}' không phải ngày dạng YYYY-MM-DD.",
            f"'{given}' is not a date (YYYY-MM-DD).",
        ),
        "date_from_datetime_parsing": (
            f"'{given}' không phải ngày dạng YYYY-MM-DD.",
            f"'{given}' is not a date (YYYY-MM-DD).",
        ),
        "json_invalid": (
            "Nội dung gửi lên không phải JSON hợp lệ.",
            "The body is not valid JSON.",
        ),
        "model_type": ("Cần một đối tượng JSON.", "A JSON object is expected."),
        "model_attributes_type": ("Cần một đối tượng JSON.", "A JSON object is expected."),
        "dict_type": ("Cần một đối tượng JSON.", "A JSON object is expected."),
        "list_type": ("Cần một danh sách.", "A list is expected."),
        "value_error": (_value_error(error), _value_error(error)),
        "assertion_error": (_value_error(error), _value_error(error)),
    }
    if kind in words:
        vi, en = words[kind]
        return vi if vi == en else f"{vi} / {en}"
    return str(error.get("msg", "invalid"))


def _value_error(error: dict[str, Any]) -> str:
    """Our own validators raise with a bilingual or English reason: keep it, minus the
    'Value error, ' pydantic puts in front."""
    message = str(error.get("msg", ""))
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def validation_issue(error: dict[str, Any]) -> dict[str, Any]:
    return issue(tuple(error.get("loc", ())), _sentence(error), str(error.get("type", "invalid")))


# --- the handlers ---------------------------------------------------------------------------

_STATUS_KINDS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _allowed_methods(request: Request) -> str:
    """Every method the API takes at this path, from its OpenAPI document (Starlette's own
    `Allow` names only the first route that matched the path)."""
    openapi = getattr(request.app, "openapi", None)
    try:
        paths = openapi()["paths"] if openapi else {}
    except Exception:  # a document that cannot be built is no reason to fail a refusal
        return ""
    methods = {
        method.upper()
        for template, operations in paths.items()
        if re.fullmatch(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)), request.url.path)
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }
    return ", ".join(sorted(methods))


def _http_problem(request: Request, error: StarletteHTTPException) -> JSONResponse:
    path = request.url.path
    headers = dict(error.headers or {})
    if error.status_code == 404 and error.detail in (None, "Not Found"):
        return problem(
            404,
            "not_found",
            ("path",),
            f"Không có địa chỉ {path}; danh sách địa chỉ của API ở {OPENAPI_HINT}. / "
            f"There is no {path}; the API's paths are listed at {OPENAPI_HINT}.",
            headers,
        )
    if error.status_code == 405:
        allowed = _allowed_methods(request) or headers.get("allow", headers.get("Allow", ""))
        headers["Allow"] = allowed
        headers.pop("allow", None)
        return problem(
            405,
            "method_not_allowed",
            ("method",),
            f"{path} không nhận phương thức {request.method}; dùng {allowed}. / "
            f"{path} does not take {request.method}; use {allowed}.",
            headers,
        )
    kind = _STATUS_KINDS.get(error.status_code, "error")
    return problem(error.status_code, kind, ("body",), str(error.detail), headers)


def install_error_handlers(app: FastAPI) -> None:
    """The one shape for validation failures, `ApiError`, unknown paths and wrong methods."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        issues = [validation_issue(e) for e in error.errors()]
        return JSONResponse({"error": "validation_failed", "detail": issues}, status_code=422)

    @app.exception_handler(ApiError)
    async def refused(_: Request, error: ApiError) -> JSONResponse:
        return problem(error.status, error.kind, error.loc, error.reason)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return _http_problem(request, error)
