"""The pure parts of libs/events: envelope codec, upcasters, skip/apply/rewind, partitions."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest

from libs.events.consumer import contiguous_run, upcast
from libs.events.envelope import Envelope, EnvelopeError, decode_envelope, encode_envelope
from libs.events.relay import partition_for
from libs.events.upcasting import UpcasterRegistry

WHEN = datetime(2024, 12, 30, 8, 15, 0, 123456, tzinfo=timezone(timedelta(hours=7)))


def envelope(position: int, prev: int = 0, **overrides: Any) -> Envelope:
    fields: dict[str, Any] = {
        "id": f"evt-{position}",
        "source": "hotro/intake",
        "type": "hotro.ticket.submitted.v1",
        "subject": "ticket-1",
        "time": WHEN,
        "data": {"ticket_id": "ticket-1", "n": position},
        "position": position,
        "prev": prev,
    }
    fields.update(overrides)
    return Envelope(**fields)


# --- envelope codec ---------------------------------------------------------------------------


def test_round_trip_keeps_every_field() -> None:
    original = envelope(
        42,
        prev=17,
        data={"text": "Không đăng nhập được TABMIS", "nested": {"a": [1, 2.5, None, True]}},
        dataschema="https://hotro.kbnn.vn/schemas/hotro.ticket.submitted.v1.json",
    )
    decoded = decode_envelope(encode_envelope(original))
    assert decoded == original
    assert decoded.time == WHEN and decoded.time.utcoffset() == timedelta(hours=7)


def test_encoding_is_cloudevents_structured_json() -> None:
    body = orjson.loads(encode_envelope(envelope(1)))
    # the REQUIRED context attributes are always on the wire
    assert body["specversion"] == "1.0"
    assert {"id", "source", "type", "specversion"} <= body.keys()
    assert {"subject", "time", "data", "position"} <= body.keys()
    # defaults are omitted on the wire and restored on read
    assert "prev" not in body and "dataschema" not in body
    restored = decode_envelope(orjson.dumps(body))
    assert (restored.prev, restored.datacontenttype) == (0, "application/json")


def test_utc_time_round_trips() -> None:
    original = envelope(3, time=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert decode_envelope(encode_envelope(original)) == original


@pytest.mark.parametrize(
    "raw",
    [
        None,
        b"",
        b"garbage",
        b"\xff\xfe\x00",
        b"[]",
        b"{}",
        b'{"id": "x"}',
        # every field present but position is not an integer
        orjson.dumps(
            {
                "id": "x",
                "source": "s",
                "type": "t",
                "subject": "s",
                "time": WHEN.isoformat(),
                "data": {},
                "position": "seven",
            }
        ),
        # data must be an object
        orjson.dumps(
            {
                "id": "x",
                "source": "s",
                "type": "t",
                "subject": "s",
                "time": WHEN.isoformat(),
                "data": [1],
                "position": 1,
            }
        ),
        # time must be a timestamp
        orjson.dumps(
            {
                "id": "x",
                "source": "s",
                "type": "t",
                "subject": "s",
                "time": "yesterday",
                "data": {},
                "position": 1,
            }
        ),
    ],
    ids=[
        "none",
        "empty",
        "garbage",
        "binary",
        "array",
        "empty-object",
        "partial",
        "position-type",
        "data-type",
        "time-format",
    ],
)
def test_garbage_raises_envelope_error(raw: bytes | None) -> None:
    with pytest.raises(EnvelopeError):
        decode_envelope(raw)


def test_envelope_error_is_a_value_error() -> None:
    assert issubclass(EnvelopeError, ValueError)


# --- upcasters -------------------------------------------------------------------------------


def test_upcasters_chain_v1_to_v3() -> None:
    registry = UpcasterRegistry()
    registry.register("x.v1", "x.v2", lambda d: {**d, "priority": d.get("priority", "normal")})
    registry.register("x.v2", "x.v3", lambda d: {"name": d.pop("title"), **d})
    v1 = {"title": "Mất kết nối WAN"}

    assert registry.upcast("x.v1", v1) == (
        "x.v3",
        {"name": "Mất kết nối WAN", "priority": "normal"},
    )
    assert registry.upcast("x.v2", {"title": "t", "priority": "high"}) == (
        "x.v3",
        {"name": "t", "priority": "high"},
    )
    # the newest version, and unknown types, pass through untouched
    assert registry.upcast("x.v3", {"name": "n"}) == ("x.v3", {"name": "n"})
    assert registry.upcast("other.v1", {"a": 1}) == ("other.v1", {"a": 1})
    # the caller's dict is never mutated by a step
    assert v1 == {"title": "Mất kết nối WAN"}


def test_upcaster_double_registration_is_rejected() -> None:
    registry = UpcasterRegistry()
    registry.register("x.v1", "x.v2", lambda d: d)
    with pytest.raises(ValueError, match="already registered"):
        registry.register("x.v1", "x.v2b", lambda d: d)
    assert registry.upcast("x.v1", {}) == ("x.v2", {})


def test_upcaster_cycle_is_reported() -> None:
    registry = UpcasterRegistry()
    registry.register("x.v1", "x.v2", lambda d: d)
    registry.register("x.v2", "x.v1", lambda d: d)
    with pytest.raises(ValueError, match="cycle"):
        registry.upcast("x.v1", {})


# --- contiguous_run: skip, apply or rewind ---------------------------------------------------


def chain(*pairs: tuple[int, int]) -> list[Envelope]:
    return [envelope(position, prev) for position, prev in pairs]


@pytest.mark.parametrize(
    ("stream", "last", "applied", "hole"),
    [
        pytest.param([], 0, [], False, id="empty"),
        pytest.param([(1, 0), (2, 1), (3, 2)], 0, [1, 2, 3], False, id="prev-0-start"),
        pytest.param(
            [(4, 0), (9, 4), (12, 9)], 0, [4, 9, 12], False, id="positions-are-global-not-dense"
        ),
        pytest.param([(1, 0), (2, 1), (3, 2)], 3, [], False, id="all-already-applied"),
        pytest.param([(1, 0), (2, 1), (3, 2), (4, 3)], 2, [3, 4], False, id="duplicates-skipped"),
        pytest.param(
            [(1, 0), (1, 0), (2, 1), (2, 1), (3, 2)],
            0,
            [1, 2, 3],
            False,
            id="duplicates-within-batch",
        ),
        pytest.param([(3, 2)], 0, [], True, id="hole-at-start"),
        pytest.param([(1, 0), (3, 2), (4, 3)], 0, [1], True, id="hole-stops-the-run"),
        pytest.param([(5, 4)], 2, [], True, id="prev-ahead-of-last"),
        pytest.param(
            [(1, 0), (3, 2), (2, 1)],
            0,
            [1, 2],
            True,
            id="filler-after-the-hole-applied-rewind-still-needed",
        ),
        # what the topic looks like after a broker lost its data: a few events the relay sent
        # before noticing, then its republish from the start
        pytest.param(
            [(5, 4), (6, 5), (1, 0), (2, 1), (3, 2), (4, 3), (5, 4), (6, 5)],
            2,
            [3, 4, 5, 6],
            False,
            id="republish-after-loss",
        ),
    ],
)
def test_contiguous_run(
    stream: list[tuple[int, int]], last: int, applied: list[int], hole: bool
) -> None:
    run, found_hole = contiguous_run(chain(*stream), last)
    assert [e.position for e in run] == applied
    assert found_hole is hole


def test_contiguous_run_never_applies_across_a_hole() -> None:
    # whatever the order, nothing is applied unless its prev was applied before it
    stream = chain((1, 0), (4, 3), (2, 1), (5, 4), (3, 2))
    run, _ = contiguous_run(stream, 0)
    done = 0
    for e in run:
        assert e.prev <= done < e.position
        done = e.position


# --- partition_for -----------------------------------------------------------------------------


def test_partition_for_is_stable_across_processes() -> None:
    keys = ["ticket-1", "3f1c2a9e-0000-4000-8000-000000000001", "", "Hà Nội"]
    here = [partition_for(k, 6) for k in keys]
    assert here == [3, 1, 0, 0]
    assert [partition_for(k, 12) for k in keys] == [9, 1, 0, 6]
    # a fresh interpreter (another PYTHONHASHSEED) agrees: no use of hash()
    code = (
        "from libs.events.relay import partition_for;"
        f"print([partition_for(k, 6) for k in {keys!r}])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
        env={"PYTHONHASHSEED": "12345", "PYTHONPATH": "."},
    )
    assert out.stdout.strip() == str(here)


def test_partition_for_stays_in_range_and_spreads() -> None:
    seen = {partition_for(f"ticket-{i}", 6) for i in range(200)}
    assert seen == set(range(6))
    assert all(partition_for(f"k{i}", 6) == partition_for(f"k{i}", 6) for i in range(50))


def test_the_consumer_hands_sinks_the_newest_version_of_an_old_event() -> None:
    registry = UpcasterRegistry()
    registry.register(
        "hotro.test.noted.v1",
        "hotro.test.noted.v2",
        lambda data: {"note": data["text"]},
    )
    old = Envelope(
        id="t:1",
        source="hotro/test",
        type="hotro.test.noted.v1",
        subject="t",
        time=datetime(2026, 11, 29, tzinfo=UTC),
        data={"text": "cũ"},
        position=1,
    )

    new = upcast(old, registry)

    assert (new.type, new.data) == ("hotro.test.noted.v2", {"note": "cũ"})
    assert (new.id, new.position, new.subject) == (old.id, old.position, old.subject)
    assert upcast(new, registry) is new
