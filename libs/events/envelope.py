"""The CloudEvents 1.0 envelope every event travels in (structured JSON mode).

`position` is the event's notification id in its source service's log: consumers track it
instead of broker offsets, so a broker that lost its data and got everything republished
cannot make them skip or double anything (ARCHITECTURE.md rule 5).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class Envelope(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    id: str
    source: str
    type: str
    subject: str
    time: datetime
    data: dict[str, Any]
    position: int
    #: The position of the previous event the relay sent to the same partition (0: none).
    prev: int = 0
    #: Required by CloudEvents, so always on the wire (a factory default escapes omit_defaults).
    specversion: str = msgspec.field(default_factory=lambda: "1.0")
    datacontenttype: str = "application/json"
    #: The CloudEvents `dataschema` points at the contract that describes `data`.
    dataschema: str | None = None


class EnvelopeError(ValueError):
    """Raised for bytes that are not a valid envelope; the consumer dead-letters them."""


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Envelope)


def encode_envelope(envelope: Envelope) -> bytes:
    return _encoder.encode(envelope)


def decode_envelope(raw: bytes | None) -> Envelope:
    if raw is None:
        raise EnvelopeError("empty message value")
    try:
        return _decoder.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise EnvelopeError(f"not a CloudEvents envelope: {error}") from error
