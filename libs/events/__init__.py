"""Event contracts and Kafka plumbing shared by every Hotro service."""

from libs.events.envelope import Envelope, EnvelopeError, decode_envelope, encode_envelope
from libs.events.schemas import (
    CONTRACTS,
    Classification,
    DeclaredUnit,
    FirstHandler,
    Requester,
    TicketAssigned,
    TicketRouted,
    TicketSubmitted,
    data_of,
    parse_data,
)

__all__ = [
    "CONTRACTS",
    "Classification",
    "DeclaredUnit",
    "Envelope",
    "EnvelopeError",
    "FirstHandler",
    "Requester",
    "TicketAssigned",
    "TicketRouted",
    "TicketSubmitted",
    "data_of",
    "decode_envelope",
    "encode_envelope",
    "parse_data",
]
