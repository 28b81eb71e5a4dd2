"""The treasury's working calendar, shared by escalation (SLA clocks) and monitoring (the
morning round): business hours, Vietnamese public holidays with Tết from `holidays`, and the
government's yearly adjustments (bridge days, compensatory working Saturdays) from the catalog."""

from libs.calendar.business import (
    BusinessCalendar,
    Calendar,
    CalendarRangeError,
    TwentyFourSeven,
    WorkingHours,
    require_aware,
)
from libs.calendar.loader import CalendarConfigError, load_business_calendar

__all__ = [
    "BusinessCalendar",
    "Calendar",
    "CalendarConfigError",
    "CalendarRangeError",
    "TwentyFourSeven",
    "WorkingHours",
    "load_business_calendar",
    "require_aware",
]
