"""The government's yearly calendar adjustments, as validated data (ARCHITECTURE rule 7).

Every year the Prime Minister (through the Ministry of Home Affairs, formerly MOLISA) decides
extra days off for civil servants and the Saturdays worked in exchange. The `holidays` package
tracks some of these late or not at all, so `catalog/calendar_adjustments.yaml` is the
authoritative override and must be re-checked each year.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class YearAdjustments(_Strict):
    """One year's decision: dates are keys, the value says why (kept for auditors)."""

    source: str = Field(min_length=1)
    days_off: dict[date, str] = Field(default_factory=dict)
    working_days: dict[date, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> YearAdjustments:
        both = sorted(set(self.days_off) & set(self.working_days))
        if both:
            raise ValueError(f"dates both off and worked: {', '.join(map(str, both))}")
        weekend_off = sorted(d for d in self.days_off if d.weekday() >= 5)
        if weekend_off:
            raise ValueError(
                f"days_off on a weekend are already rest days (typo?): {', '.join(map(str, weekend_off))}"
            )
        return self


class CalendarAdjustments(_Strict):
    """All years' adjustments for one country."""

    country: str = Field(min_length=2)
    years: dict[int, YearAdjustments] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _dates_in_their_year(self) -> CalendarAdjustments:
        for year, adj in self.years.items():
            stray = sorted(d for d in (*adj.days_off, *adj.working_days) if d.year != year)
            if stray:
                raise ValueError(f"year {year} lists dates of another year: {stray}")
        return self

    def days_off(self) -> frozenset[date]:
        return frozenset(d for adj in self.years.values() for d in adj.days_off)

    def working_days(self) -> frozenset[date]:
        return frozenset(d for adj in self.years.values() for d in adj.working_days)

    def missing_years(self, today: date) -> list[int]:
        """This year and the next when the file has no entry for them: the government
        publishes each year's swaps in Q4 of the year before, and a year left out silently
        counts its bridge days as working days (issue 14: warn, do not fail)."""
        return [year for year in (today.year, today.year + 1) if year not in self.years]
