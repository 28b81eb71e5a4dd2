"""A stand-in for the trained model: says what a test needs it to say."""

from __future__ import annotations

from dataclasses import dataclass

from services.routing.domain.learned import Guess, Prediction


@dataclass
class FixedModel:
    group: str = "SERVICE_DESK"
    group_p: float = 0.9
    type: str = "incident"
    type_p: float = 0.9
    application: str | None = None
    application_p: float = 0.9
    version: str = "clf-test"

    def predict(self, text: str) -> Prediction:
        return Prediction(
            group=Guess(self.group, self.group_p),
            type=Guess(self.type, self.type_p),
            application=Guess(self.application, self.application_p) if self.application else None,
        )
