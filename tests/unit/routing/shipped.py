"""The shipped catalog, corpus and a model trained on it, built once for all routing tests."""

from __future__ import annotations

from functools import cache

from libs.catalog import Catalog, load_catalog
from services.routing.adapters.corpus import HOLDOUT, TRAIN, load_examples
from services.routing.domain.examples import LabelledTicket
from services.routing.domain.learned import TicketModel
from services.routing.domain.learning import train_model


@cache
def catalog() -> Catalog:
    return load_catalog()


@cache
def examples(split: str = TRAIN) -> tuple[LabelledTicket, ...]:
    return tuple(load_examples(catalog(), split))


@cache
def model() -> TicketModel:
    """About a second and a half: trained once per test session."""
    return train_model(examples(TRAIN))


__all__ = ["HOLDOUT", "TRAIN", "catalog", "examples", "model"]
