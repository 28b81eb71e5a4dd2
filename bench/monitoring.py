"""`python -m bench.monitoring`: the real checker against N loopback targets, and the morning
round while every WAN channel of the country is checked each minute.

Starts its own PostgreSQL (state under .hotro/bench-monitoring/, fresh each run), the
simulated estate (tools/estate: the 12 morning systems' pages, logins, SMTP, IMAP and TCP
ports) and a helper process holding N cheap loopback listeners (TCP: accept and hang up, as a
WAN router does; HTTP: a fixed 200 page). Then, with monitoring's own `Checker`, `Recorder`,
`ResultStore` and event store, and its default concurrency (64):

* *scenarios*: 1,000 and 5,000 targets (4 TCP : 1 HTTP), every target due every 30 s, for three
  intervals: checks per minute sustained, probe latency p50/p99, how late checks started
  against their schedule (lag), how long each wave took to drain, CPU seconds;
* *the round*: the 21 checks of the 12 morning systems through `MorningRound` (the real
  round of adapters/round_runner.py: every step saved, the report composed and queued), once on
  an idle checker and once while 1,400 WAN channels (TCP) are checked every minute, started
  when a minute's wave has just been queued (the worst moment);
* *raw baselines* on the same machine: asyncio TCP connect + close per second (64 at a time)
  and psycopg single-row committed INSERTs per second.

Prints a table, writes .hotro/bench-monitoring/last.json; stops everything it started. The
figures are what this machine did; nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import resource
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import psycopg
from psycopg_pool import AsyncConnectionPool

from libs.catalog import load_catalog
from libs.catalog.checks import load_estate
from libs.catalog.checks_model import LOCAL_TZ, Check, HttpExpect, TcpExpect
from libs.platform.eventstore import open_application
from libs.platform.outgoing_mail import OutgoingMail
from services.monitoring.adapters.checker import Checker
from services.monitoring.adapters.notifier import WebhookNotifier
from services.monitoring.adapters.probes import Clock, run_probe
from services.monitoring.adapters.readiness_recipients import load_recipients
from services.monitoring.adapters.recorder import Recorder
from services.monitoring.adapters.results import ResultStore
from services.monitoring.adapters.round_runner import MorningRound, RoundParts
from services.monitoring.adapters.round_settings import RoundSettings
from services.monitoring.adapters.store import MonitoringApplication
from services.monitoring.domain.evaluation import Observation, Result
from services.monitoring.domain.morning_round import RoundTimes
from tools.embedded import free_port, remove_tree, start_postgres, stop_postgres
from tools.estate import EstateProcess
from tools.estate.tcp import allow_open_files, bind
from tools.suite import ROOT

STATE = ROOT / ".hotro" / "bench-monitoring"
SCHEMA = "monitoring"
CONCURRENCY = 64  # the service's default HOTRO_CHECK_CONCURRENCY
HTTP_PORTS = 4
HTTP_EVERY = 5  # one target in five is HTTP, the rest TCP
WAN_CHANNELS = 1400
PAGE = "<html><body><h1>Hệ thống mô phỏng</h1></body></html>"
PCTS = {"p50": 50.0, "p99": 99.0}


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile; None when there is nothing to rank."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


# --- the helper process: N cheap listeners ---------------------------------------------------


async def _hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()


async def _http_page(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """HTTP/1.1 just enough for one GET: read the head, answer 200, close."""
    body = PAGE.encode()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
    writer.close()


async def serve(tcp: int) -> None:
    """Bind `tcp` TCP listeners and HTTP_PORTS HTTP ones, print their ports, serve until killed."""
    allow_open_files(tcp + HTTP_PORTS + 256)
    servers = []
    ports: dict[str, list[int]] = {"tcp": [], "http": []}
    for kind, handler, count in (("tcp", _hang_up, tcp), ("http", _http_page, HTTP_PORTS)):
        for _ in range(count):
            sock = bind()
            servers.append(await asyncio.start_server(handler, sock=sock, backlog=1024))
            ports[kind].append(sock.getsockname()[1])
    print(json.dumps(ports), flush=True)
    await asyncio.Event().wait()


@dataclass
class Listeners:
    process: subprocess.Popen[bytes]
    tcp: list[int]
    http: list[int]

    @classmethod
    def start(cls, tcp: int, log: Path) -> Listeners:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as err:
            process = subprocess.Popen(
                [sys.executable, "-m", "bench.monitoring", "--serve", str(tcp)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=err,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the listeners' process exited; see {log}")
        ports = json.loads(line)
        return cls(process, ports["tcp"], ports["http"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


# --- the targets -----------------------------------------------------------------------------


def target_checks(name: str, count: int, interval_s: int, listeners: Listeners) -> list[Check]:
    """`count` checks, one listener each (every HTTP_EVERY-th an HTTP page), due every interval."""
    checks = []
    for i in range(count):
        http = i % HTTP_EVERY == HTTP_EVERY - 1
        common = _common(f"{name}-{i:05d}", interval_s)
        if http:
            port = listeners.http[i % len(listeners.http)]
            checks.append(
                Check(
                    kind="http",
                    target=f"http://127.0.0.1:{port}/t/{i}",
                    expect=HttpExpect(body_contains="Hệ thống"),
                    **common,
                )
            )
        else:
            port = listeners.tcp[i % len(listeners.tcp)]
            checks.append(
                Check(kind="tcp", target=f"127.0.0.1:{port}", expect=TcpExpect(), **common)
            )
    return checks


def wan_checks(listeners: Listeners) -> list[Check]:
    """The country's WAN: 1,400 TCP channels (two per district treasury), every minute."""
    return [
        Check(
            kind="tcp",
            target=f"127.0.0.1:{listeners.tcp[i % len(listeners.tcp)]}",
            expect=TcpExpect(),
            **_common(f"wan-bench-{i:04d}-{i % 2 + 1}", 60, f"KBNN-BENCH-{i // 2:03d}"),
        )
        for i in range(WAN_CHANNELS)
    ]


def _common(check_id: str, interval_s: int, district: str | None = None) -> dict[str, Any]:
    """The settings every bench check shares: a WAN channel's (no application, P2, 5 s)."""
    labels = {"topic": "network", **({"district": district} if district else {})}
    return {
        "id": check_id,
        "application": None,
        "name": check_id,
        "morning": False,
        "interval_s": interval_s,
        "timeout_s": 5.0,
        "confirm_failures": 2,
        "confirm_recoveries": 2,
        "flap_window_s": 3600,
        "flap_max_changes": 6,
        "flap_confirm_recoveries": 4,
        "priority": "P2",
        "labels": labels,
    }


# --- measuring the checker -------------------------------------------------------------------


@dataclass
class Observed:
    """What the checker did, stamped from its own calls."""

    probe_ms: list[float] = field(default_factory=list)
    lag_s: list[float] = field(default_factory=list)
    recorded: list[float] = field(default_factory=list)  # perf_counter when each result was stored
    failures: dict[str, int] = field(default_factory=dict)


def instrument(checker: Checker, observed: Observed, recorder: Recorder) -> None:
    """Wrap probe and record: lag = slot granted − the check's scheduled time on its grid.
    Only the checker's own schedule counts (a morning round's `check_once` is not on it)."""

    async def probe(check: Check, clock: Clock) -> Observation:
        following = checker.next_due.get(check.id)
        if following is not None:
            due = following - timedelta(seconds=check.interval_s)
            observed.lag_s.append(max(0.0, (clock() - due).total_seconds()))
        return await run_probe(check, clock)

    async def record(check: Check, result: Result) -> object:
        transition = await recorder.record(check, result)
        if check.id not in checker.next_due:
            return transition
        observed.probe_ms.append(result.duration_ms)
        observed.recorded.append(time.perf_counter())
        if not result.ok:
            observed.failures[result.reason] = observed.failures.get(result.reason, 0) + 1
        return transition

    checker.probe = probe
    checker.record = record


class Cpu:
    """CPU seconds of this process (checker + recorder), the listeners and PostgreSQL."""

    def __init__(self, listeners: Listeners, pg_dir: Path) -> None:
        self.pids = {"listeners": [listeners.process.pid]}
        postmaster = int((pg_dir / "postmaster.pid").read_text().split()[0])
        self.postmaster = psutil.Process(postmaster)

    @staticmethod
    def _of(processes: list[psutil.Process]) -> float:
        total = 0.0
        for p in processes:
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                total += t.user + t.system
        return total

    def sample(self) -> dict[str, float]:
        me = resource.getrusage(resource.RUSAGE_SELF)
        pg = [self.postmaster, *self.postmaster.children(recursive=True)]
        return {
            "checker": me.ru_utime + me.ru_stime,
            "listeners": self._of([psutil.Process(p) for p in self.pids["listeners"]]),
            "postgres": self._of(pg),
        }

    @staticmethod
    def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {k: round(after[k] - before[k], 2) for k in before}


def waves(recorded: list[float], t0: float, interval_s: int, count: int) -> list[float]:
    """Per interval, how long after it began its last check was stored (None-free)."""
    out = []
    for k in range(count):
        start = t0 + k * interval_s
        inside = [t for t in recorded if start <= t < start + interval_s]
        if inside:
            out.append(round(max(inside) - start, 2))
    return out


def checker_figures(observed: Observed, elapsed: float, used: dict[str, float]) -> dict[str, Any]:
    """What every checker run reports: rate, probe time, lag, failures, CPU."""
    done = len(observed.recorded)
    return {
        "seconds": round(elapsed, 1),
        "checks": done,
        "checks_per_min": round(done / elapsed * 60),
        "failed": sum(observed.failures.values()),
        "failures": dict(sorted(observed.failures.items(), key=lambda kv: -kv[1])[:3]),
        "probe_ms": {k: percentile(observed.probe_ms, q) for k, q in PCTS.items()},
        "lag_s": {
            **{k: _round(percentile(observed.lag_s, q), 2) for k, q in PCTS.items()},
            "max": _round(max(observed.lag_s, default=None), 2),
        },
        "cpu_s": used,
        "cpu_ms_per_check": round(used["checker"] * 1000 / done, 2) if done else None,
        "cpu_share_of_one_core": round(used["checker"] / elapsed, 3),
    }


async def run_scenario(
    name: str, checks: list[Check], recorder: Recorder, seconds: float, cpu: Cpu
) -> dict[str, Any]:
    await recorder.start(tuple(checks))
    checker = Checker(checks, recorder.record, lambda: datetime.now(UTC), CONCURRENCY)
    observed = Observed()
    instrument(checker, observed, recorder)
    stop = asyncio.Event()
    before = cpu.sample()
    t0 = time.perf_counter()
    loop = asyncio.create_task(checker.run(stop))
    await asyncio.sleep(seconds)
    stop.set()
    await loop
    elapsed = time.perf_counter() - t0
    used = Cpu.delta(before, cpu.sample())
    interval = checks[0].interval_s
    return {
        "name": name,
        "targets": len(checks),
        "interval_s": interval,
        "demand_per_min": round(len(checks) * 60 / interval),
        **checker_figures(observed, elapsed, used),
        "wave_drain_s": waves(observed.recorded, t0, interval, math.ceil(seconds / interval)),
        "capacity_per_min": _capacity(len(checks), observed.recorded, t0),
    }


def _round(value: float | None, digits: int) -> float | None:
    return round(value, digits) if value is not None else None


def _capacity(targets: int, recorded: list[float], t0: float) -> int | None:
    """Checks a minute the first wave was drained at (all due at once: the checker flat out)."""
    first = sorted(t for t in recorded if t >= t0)[:targets]
    if len(first) < targets or first[-1] <= t0:
        return None
    return round(targets / (first[-1] - t0) * 60)


# --- the morning round -----------------------------------------------------------------------


async def morning_round(
    app: MonitoringApplication, checker: Checker, morning: tuple[Check, ...], pool: Any, day: date
) -> dict[str, Any]:
    """One run of the real round (steps saved, report composed and queued); its wall time."""
    catalog = load_catalog()
    settings = RoundSettings.from_env()
    mail = OutgoingMail(pool, SCHEMA)
    await mail.ensure_table()
    round_ = MorningRound(
        app,
        RoundParts(
            checks=morning,
            catalog=catalog,
            check_once=checker.check_once,
            times=RoundTimes(tz=LOCAL_TZ),
            retry=settings.retry,
            recipients=load_recipients(settings.recipients_file, catalog),
            mail=mail,
            webhook=WebhookNotifier(None, None),
            clock=lambda: datetime.now(UTC),
        ),
    )
    started = time.perf_counter()
    agg = await round_.run(day, trigger="manual", by="bench", late=False)
    seconds = time.perf_counter() - started
    await round_.close()
    outcomes = agg.outcomes()
    return {
        "day": day.isoformat(),
        "checks": len(morning),
        "seconds": round(seconds, 2),
        "passed": sum(1 for o in outcomes if o.ok),
        "progress": agg.progress,
    }


async def round_under_wan(
    app: MonitoringApplication,
    recorder: Recorder,
    wan: list[Check],
    morning: tuple[Check, ...],
    pool: Any,
    cpu: Cpu,
    minutes: int,
) -> dict[str, Any]:
    """WAN channels every minute for `minutes`; the round starts 0.5 s into the second minute."""
    await recorder.start(tuple(wan))
    checker = Checker(wan, recorder.record, lambda: datetime.now(UTC), CONCURRENCY)
    observed = Observed()
    instrument(checker, observed, recorder)
    stop = asyncio.Event()
    before = cpu.sample()
    t0 = time.perf_counter()
    loop = asyncio.create_task(checker.run(stop))
    await asyncio.sleep(60.5)
    queued = len(checker.running)
    the_round = await morning_round(app, checker, morning, pool, date(2026, 12, 2))
    the_round["wan_checks_queued_or_running_at_start"] = queued
    await asyncio.sleep(max(0.0, t0 + minutes * 60 - time.perf_counter()))
    stop.set()
    await loop
    elapsed = time.perf_counter() - t0
    used = Cpu.delta(before, cpu.sample())
    return {
        "round": the_round,
        "wan": {
            "channels": len(wan),
            **checker_figures(observed, elapsed, used),
            "wave_drain_s": waves(observed.recorded, t0, 60, minutes),
        },
    }


# --- raw baselines ---------------------------------------------------------------------------


async def raw_connects(ports: list[int], seconds: float) -> dict[str, Any]:
    """asyncio TCP connect + close against the same listeners, CONCURRENCY at a time."""
    done = 0
    stop_at = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        nonlocal done
        i = offset
        while time.perf_counter() < stop_at:
            _, writer = await asyncio.open_connection("127.0.0.1", ports[i % len(ports)])
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            done += 1
            i += CONCURRENCY

    started = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(CONCURRENCY)))
    elapsed = time.perf_counter() - started
    return {"connects": done, "per_s": round(done / elapsed), "per_min": round(done / elapsed * 60)}


async def raw_inserts(database_url: str, seconds: float) -> dict[str, Any]:
    """Single-row committed INSERTs into a table shaped like check_results."""
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute("DROP TABLE IF EXISTS public.bench_raw_results")
        await conn.execute(
            "CREATE TABLE public.bench_raw_results (id bigserial PRIMARY KEY, check_id text,"
            " checked_at timestamptz, ok boolean, duration_ms integer, reason text)"
        )
        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            await conn.execute(
                "INSERT INTO public.bench_raw_results (check_id, checked_at, ok, duration_ms,"
                " reason) VALUES (%s, now(), true, 1, '')",
                (f"raw-{done}",),
            )
            done += 1
        elapsed = time.perf_counter() - started
    return {"rows": done, "per_s": round(done / elapsed)}


# --- running it ------------------------------------------------------------------------------


async def measure(args: argparse.Namespace, database_url: str, pg_dir: Path) -> dict[str, Any]:
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=CONCURRENCY, thread_name_prefix="resolve")
    )
    log_dir = STATE / "logs"
    listeners = Listeners.start(max(*args.targets, WAN_CHANNELS), log_dir / "listeners.log")
    estate = EstateProcess(
        state=STATE / "estate-state",
        checks_out=STATE / "estate-state" / "estate" / "checks.yaml",
        log=log_dir / "estate.log",
    )
    pool: AsyncConnectionPool[Any] | None = None
    try:
        await asyncio.to_thread(estate.start)
        morning = load_estate(load_catalog(), estate.checks_out).morning
        app = await asyncio.to_thread(open_application, MonitoringApplication, database_url, SCHEMA)
        pool = AsyncConnectionPool(database_url, min_size=1, max_size=10, open=False)
        await pool.open(wait=True, timeout=30)
        results = ResultStore(pool, SCHEMA)
        await results.ensure_tables()
        recorder = Recorder(app, results)
        cpu = Cpu(listeners, pg_dir)

        print("bench.monitoring: raw baselines ...", flush=True)
        raw = {
            "tcp_connects": await raw_connects(listeners.tcp, args.raw_seconds),
            "pg_inserts": await raw_inserts(database_url, args.raw_seconds),
        }
        scenarios = []
        for n in args.targets:
            seconds = args.intervals * args.interval
            print(
                f"bench.monitoring: {n} targets every {args.interval} s for {seconds} s ...",
                flush=True,
            )
            checks = target_checks(f"bench{n}", n, args.interval, listeners)
            scenarios.append(await run_scenario(f"N={n}", checks, recorder, seconds, cpu))

        print("bench.monitoring: the morning round on an idle checker ...", flush=True)
        idle = Checker((), recorder.record, lambda: datetime.now(UTC), CONCURRENCY)
        round_idle = await morning_round(app, idle, morning, pool, date(2026, 12, 1))
        print(
            f"bench.monitoring: {WAN_CHANNELS} WAN channels every minute for"
            f" {args.wan_minutes} min, the round in the second minute ...",
            flush=True,
        )
        loaded = await round_under_wan(
            app, recorder, wan_checks(listeners), morning, pool, cpu, args.wan_minutes
        )
        # The largest N's first wave: the longest stretch of the checker flat out.
        best = max(scenarios, key=lambda s: s["targets"])["capacity_per_min"] if scenarios else None
        return {
            "at": datetime.now(UTC).isoformat(),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "concurrency": CONCURRENCY,
            "raw": raw,
            "scenarios": scenarios,
            "round_idle": round_idle,
            "round_under_wan": loaded["round"],
            "wan": loaded["wan"],
            "ratios": {
                "capacity_vs_raw_connects": _round(ratio(best, raw["tcp_connects"]["per_min"]), 3),
                "capacity_vs_raw_inserts": _round(ratio(best, raw["pg_inserts"]["per_s"] * 60), 3),
                "round_under_wan_vs_idle": _round(
                    ratio(loaded["round"]["seconds"], round_idle["seconds"]), 2
                ),
            },
        }
    finally:
        if pool is not None:
            await pool.close()
        estate.stop()
        listeners.stop()


def fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.2f}{unit}"
    if isinstance(value, int):
        return f"{value:,}{unit}"
    return f"{value}{unit}"


def table(f: dict[str, Any]) -> str:
    rows: list[tuple[str, str]] = []
    for s in f["scenarios"]:
        rows += [
            (f"{s['name']} targets, each every {s['interval_s']} s, {s['seconds']} s", ""),
            (
                "  demand / sustained",
                f"{fmt(s['demand_per_min'])} / {fmt(s['checks_per_min'])}/min",
            ),
            ("  first wave drained at (flat out)", f"{fmt(s['capacity_per_min'])}/min"),
            ("  probe p50 / p99", f"{fmt(s['probe_ms']['p50'])} / {fmt(s['probe_ms']['p99'])} ms"),
            (
                "  lag p50 / p99 / max",
                f"{fmt(s['lag_s']['p50'])} / {fmt(s['lag_s']['p99'])} / {fmt(s['lag_s']['max'])} s",
            ),
            ("  waves drained in", ", ".join(f"{w:.1f}" for w in s["wave_drain_s"]) + " s"),
            (
                "  CPU s checker / PostgreSQL / listeners",
                " / ".join(fmt(s["cpu_s"][k]) for k in ("checker", "postgres", "listeners")),
            ),
            ("  checker CPU per check", fmt(s["cpu_ms_per_check"], " ms")),
            ("  failed checks", fmt(s["failed"])),
        ]
    w, ri, rw = f["wan"], f["round_idle"], f["round_under_wan"]
    rows += [
        (f"{w['channels']} WAN channels every minute, {w['seconds']} s", ""),
        ("  sustained", f"{fmt(w['checks_per_min'])}/min"),
        ("  probe p50 / p99", f"{fmt(w['probe_ms']['p50'])} / {fmt(w['probe_ms']['p99'])} ms"),
        (
            "  lag p50 / p99 / max",
            f"{fmt(w['lag_s']['p50'])} / {fmt(w['lag_s']['p99'])} / {fmt(w['lag_s']['max'])} s",
        ),
        ("  waves drained in", ", ".join(f"{x:.1f}" for x in w["wave_drain_s"]) + " s"),
        (
            "  CPU s checker / PostgreSQL / listeners",
            " / ".join(fmt(w["cpu_s"][k]) for k in ("checker", "postgres", "listeners")),
        ),
        ("  checker's share of one core", fmt(w["cpu_share_of_one_core"])),
        (f"Morning round ({ri['checks']} checks, 12 systems)", ""),
        ("  idle checker", f"{fmt(ri['seconds'], ' s')} ({ri['passed']} passed)"),
        (
            "  during a WAN wave",
            f"{fmt(rw['seconds'], ' s')} ({rw['passed']} passed,"
            f" {rw['wan_checks_queued_or_running_at_start']} WAN queued)",
        ),
        ("Raw baselines (same machine)", ""),
        (
            "  asyncio TCP connect+close, 64 at a time",
            f"{fmt(f['raw']['tcp_connects']['per_s'])}/s",
        ),
        ("  psycopg INSERT, 1 row per commit", f"{fmt(f['raw']['pg_inserts']['per_s'])}/s"),
        ("Ratios", ""),
        ("  flat-out (largest N) ÷ raw connects/min", fmt(f["ratios"]["capacity_vs_raw_connects"])),
        ("  flat-out (largest N) ÷ raw inserts/min", fmt(f["ratios"]["capacity_vs_raw_inserts"])),
        ("  round during WAN ÷ round idle", fmt(f["ratios"]["round_under_wan_vs_idle"])),
    ]
    width = max(len(label) for label, _ in rows) + 2
    line = "-" * (width + 34)
    out = [line]
    for label, value in rows:
        out.append(f"{label:<{width}}{value:>34}" if value else label)
    out.append(line)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.monitoring", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--targets", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument(
        "--interval", type=int, default=30, help="seconds between a target's checks"
    )
    parser.add_argument("--intervals", type=int, default=3, help="intervals each scenario runs")
    parser.add_argument("--wan-minutes", type=int, default=2)
    parser.add_argument("--raw-seconds", type=float, default=5.0)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the listeners' process
    args = parser.parse_args(argv)
    if args.serve is not None:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(args.serve))
        return 0
    if min(args.targets) < 1 or args.interval < 1 or args.intervals < 1 or args.wan_minutes < 2:
        parser.error("--targets, --interval, --intervals must be positive, --wan-minutes >= 2")

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    remove_tree(STATE)
    STATE.mkdir(parents=True)
    pg_dir = STATE / "postgres"
    try:
        admin_url = start_postgres(pg_dir, free_port(), database="postgres")
        database_url = admin_url.rsplit("/", 1)[0] + "/hotro_bench_monitoring"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute('CREATE DATABASE "hotro_bench_monitoring"')
        figures = asyncio.run(measure(args, database_url, pg_dir))
        print(table(figures))
        (STATE / "last.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
        print(f"bench.monitoring: figures in {STATE / 'last.json'}")
        return 0
    except KeyboardInterrupt:
        print("\nbench.monitoring: interrupted", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stop_postgres(pg_dir)


if __name__ == "__main__":
    sys.exit(main())
