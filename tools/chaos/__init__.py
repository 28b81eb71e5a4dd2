"""Chaos under load (issue 17): traffic on every channel while services, the broker and
PostgreSQL are killed and restarted, then a check that every read model holds every accepted
request exactly once. Used by `tests/e2e/test_chaos.py` (short) and `make chaos` (long).

- `load.py` / `clients.py`: the traffic, as real clients send and retry it;
- `faults.py`: the seeded schedule, SIGKILL, and the supervisor that restarts;
- `poison.py`: messages no consumer can read, and the dead-letter topic read back;
- `invariants.py`: the checks; `run.py`: one run; `figures.py`: what it prints.
"""
