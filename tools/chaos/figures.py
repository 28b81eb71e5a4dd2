"""The figures of a chaos run, as `make chaos` and `pytest -s` print them."""

from __future__ import annotations

from tools.chaos.faults import BROKER, KILL, POSTGRES
from tools.chaos.ledger import ACCEPTED, CHANNELS, DIVERTED, IN_DOUBT, REFUSED
from tools.chaos.run import ChaosResult
from tools.suite import SERVICES


def report(result: ChaosResult, shown_problems: int = 20) -> str:
    config, faults, findings = result.config, result.faults, result.findings
    done = [f.kind for f in faults.done]
    lines = [
        f"Chaos run {result.ledger.run} (seed {config.seed}): {result.load_s:.0f} s of load,"
        f" {done.count(KILL)} kills, {done.count(BROKER)} broker restarts,"
        f" {done.count(POSTGRES)} PostgreSQL restarts",
        "",
        f"  {'channel':<10} {'accepted':>8} {'refused':>8} {'in doubt':>8} {'diverted':>8}"
        f" {'attempts':>8}",
    ]
    counts = result.ledger.counts()
    attempts = {c: 0 for c in CHANNELS}
    for request in result.ledger.requests:
        attempts[request.channel] += request.attempts
    for channel in CHANNELS:
        c = counts[channel]
        lines.append(
            f"  {channel:<10} {c[ACCEPTED]:>8} {c[REFUSED]:>8} {c[IN_DOUBT]:>8} {c[DIVERTED]:>8}"
            f" {attempts[channel]:>8}"
        )
    total = sum(counts[c][ACCEPTED] for c in CHANNELS)
    lines += [
        f"  {'total':<10} {total:>8}",
        "",
        "  kills:     " + ", ".join(f"{s} ×{faults.kills[s]}" for s in SERVICES),
        "  restarts:  "
        + ", ".join(f"{s} ×{faults.restarts[s]}" for s in SERVICES)
        + f" (by the supervisor; exits we did not cause: {len(faults.unplanned_exits)}"
        + (f": {'; '.join(faults.unplanned_exits)}" if faults.unplanned_exits else "")
        + ")",
        f"  poison:    {len(result.poison.injected)} injected on intake's topic;"
        f" {findings.dead_letters} dead letters",
        f"  drain:     {result.drain_s:.1f} s of the last clients' retries after the load",
        "  settle:    "
        + (f"{result.settle_s:.1f} s" if result.settle_s is not None else "did NOT settle")
        + " until every read model held every accepted request",
        f"  lost {len(findings.lost)} · doubled {len(findings.doubled)}"
        f" · refused but visible {len(findings.refused_seen)} · stuck {len(findings.stuck)}"
        f" · foreign dead letters {len(findings.foreign_dead_letters)}"
        f" · poison not dead-lettered {len(findings.missing_poison)}"
        f" · diverted {len(findings.diverted)}",
    ]
    problems = result.problems
    if problems:
        lines += ["", f"  PROBLEMS ({len(problems)}):"]
        lines += [f"    {p}" for p in problems[:shown_problems]]
        if len(problems) > shown_problems:
            lines.append(f"    … and {len(problems) - shown_problems} more")
    return "\n".join(lines)


def schedule_text(result: ChaosResult) -> str:
    return "\n".join(f"  {fault}" for fault in result.schedule)
