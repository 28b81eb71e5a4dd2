"""Incident, service request or proposal (SPEC §3.2): cue words first, then the model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from services.routing.domain import cues
from services.routing.domain.learned import Prediction
from services.routing.domain.mentions import Tokens, tokenize

TicketType = Literal["incident", "service_request", "proposal"]

#: The model's type is taken over the default ("incident") when it is this sure.
MODEL_TYPE_AT = 0.5


def ticket_type_of(text: str) -> TicketType:
    """The cue words alone (no model): an incident unless the text asks or proposes."""
    return cue_type(tokenize(text)) or "incident"


def type_of(tokens: Tokens, prediction: Callable[[], Prediction | None]) -> tuple[TicketType, str]:
    """The type and why: cue words (explicit) first; else the model when sure; else an
    incident. `prediction` is only asked for when no cue decides (it costs a model call)."""
    cue = cue_type(tokens)
    if cue is not None:
        return cue, f"type {cue}: cue words in the text"
    guess = prediction()
    if guess is not None and guess.type.probability >= MODEL_TYPE_AT:
        if guess.type.label == "service_request":
            return (
                "service_request",
                f"type service_request: the model reads it ({guess.type.probability:.2f})",
            )
        if guess.type.label == "proposal":
            return "proposal", f"type proposal: the model reads it ({guess.type.probability:.2f})"
    return "incident", ""


def cue_type(tokens: Tokens) -> TicketType | None:
    """The type the cue words state, if any.

    "góp ý: nên cho NSD tự reset mật khẩu" is a proposal; a proposal word directly before a
    request ("đề xuất cấp quyền cho anh A") is the administrative way of asking, so the
    request wins there. "Đề nghị cài…", "nhờ tạo…" ask for something to be done, unless the
    same sentence reports a fault ("nhờ mở form bị lỗi"). Otherwise the fault decides, not the
    phrasing: "nhờ kiểm tra giúp…", "đề nghị hỗ trợ…" or a question followed by an error is an
    incident, and a how-to question that reports no fault is a request.
    """
    text_words = tokens.words
    request = cues.first_cue(text_words, cues.SERVICE_REQUEST)
    proposal = cues.first_cue(text_words, cues.PROPOSAL)
    if proposal and (request is None or proposal[1] + 2 < request[0]):
        return "proposal"
    if request:
        return "service_request"
    asking = cues.request_intent(text_words)
    if asking is not None:
        sentence = tokens.sentence[asking[0]]
        faults = cues.problem_spans(text_words)
        if not any(tokens.sentence[start] == sentence for start, _ in faults):
            return "service_request"
    faulty = bool(cues.problem_spans(text_words))
    if cues.first_cue(text_words, cues.DATA_REQUEST) and not faulty:
        return "service_request"
    if faulty:
        return "incident"
    if cues.first_cue(text_words, cues.HOW_TO):
        return "service_request"
    return None
