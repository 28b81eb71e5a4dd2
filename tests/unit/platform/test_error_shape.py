"""The suite's one error body (libs/platform/errors.py), through a real FastAPI app."""

from __future__ import annotations

import re

from fastapi import FastAPI, Query
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from libs.platform.errors import ApiError, install_error_handlers, normalised


class Body(BaseModel):
    phone: str = Field(pattern=r"^[0-9+()\-.\s]{6,30}$")
    subject: str = Field(min_length=3, max_length=10)


def _app() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/things")
    async def make(body: Body, limit: int = Query(1, ge=1, le=5)) -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/refused")
    async def refuse() -> None:
        raise ApiError(("query", "office"), "Không có. / There is none.", 403, "forbidden")

    @app.get("/things")
    async def read() -> list[str]:
        return []

    return TestClient(app)


def _shape(body: dict) -> None:
    assert set(body) == {"error", "detail"}
    for entry in body["detail"]:
        assert set(entry) == {"loc", "field", "msg", "type"}


def test_validation_failures_are_sentences_in_both_languages_never_a_regex() -> None:
    answer = _app().post("/things?limit=9", json={"phone": "abc", "subject": "x"})
    assert answer.status_code == 422
    body = answer.json()
    _shape(body)
    by_field = {e["field"]: e for e in body["detail"]}
    assert set(by_field) == {"phone", "subject", "limit"}
    assert "^" not in by_field["phone"]["msg"] and "'abc'" in by_field["phone"]["msg"]
    assert by_field["subject"]["msg"].startswith("Cần ít nhất 3 ký tự")
    assert " / At least 3 characters are needed." in by_field["subject"]["msg"]
    assert by_field["limit"]["msg"] == "Giá trị tối đa là 5. / The value must be 5 or less."
    assert by_field["limit"]["loc"] == ["query", "limit"]


def test_a_missing_field_and_broken_json_are_said_in_words() -> None:
    client = _app()
    missing = client.post("/things", json={"phone": "0243 824 0000"}).json()
    assert missing["detail"][0]["msg"] == "Trường này là bắt buộc. / This field is required."
    broken = client.post(
        "/things", content=b"{nope", headers={"content-type": "application/json"}
    ).json()
    assert broken["detail"][0]["type"] == "json_invalid"
    assert "JSON" in broken["detail"][0]["msg"]


def test_unknown_paths_and_wrong_methods_answer_in_the_same_shape() -> None:
    client = _app()
    missing = client.get("/nowhere")
    assert missing.status_code == 404
    _shape(missing.json())
    assert missing.json()["error"] == "not_found"
    assert "/nowhere" in missing.json()["detail"][0]["msg"]
    assert "/api/v1/openapi.json" in missing.json()["detail"][0]["msg"]
    wrong = client.delete("/things")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET, POST"  # every route at the path, not the first
    assert wrong.json()["error"] == "method_not_allowed"
    assert "use GET, POST." in wrong.json()["detail"][0]["msg"]


def test_an_api_error_names_its_field() -> None:
    answer = _app().get("/refused")
    assert answer.status_code == 403
    assert answer.json() == {
        "error": "forbidden",
        "detail": [
            {
                "loc": ["query", "office"],
                "field": "office",
                "msg": "Không có. / There is none.",
                "type": "forbidden",
            }
        ],
    }


def test_bodies_of_other_shapes_are_brought_to_the_one_shape() -> None:
    old = {"error": "forbidden", "detail": [{"field": "Authorization", "msg": "no"}]}
    assert normalised(old)["detail"] == [
        {"loc": ["Authorization"], "field": "Authorization", "msg": "no", "type": "forbidden"}
    ]
    fastapi_default = {"detail": "Not Found"}
    assert normalised(fastapi_default)["error"] == "refused"
    raw_validation = {"detail": [{"loc": ["body", "assignee"], "msg": "x", "type": "missing"}]}
    fixed = normalised(raw_validation)
    assert fixed["error"] == "validation_failed"
    assert fixed["detail"][0]["field"] == "assignee"
    assert re.search("bắt buộc", fixed["detail"][0]["msg"])
    ok = {"ticket_id": "x", "tier": "L2"}
    assert normalised(ok) == ok
