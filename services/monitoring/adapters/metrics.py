"""Check results on /metrics (ARCHITECTURE rule 8): counts, durations, state changes."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

CHECK_RESULTS = Counter(
    "hotro_check_results_total", "Check results by kind and outcome", ["kind", "outcome"]
)
CHECK_DURATION = Histogram(
    "hotro_check_duration_seconds",
    "How long a probe took",
    ["kind"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
CHECK_TRANSITIONS = Counter(
    "hotro_check_state_changes_total", "Confirmed changes of a target's state", ["state"]
)
CHECKS_SKIPPED = Counter(
    "hotro_checks_skipped_total",
    "Runs skipped because the previous run of the same check was still going",
    ["kind"],
)
