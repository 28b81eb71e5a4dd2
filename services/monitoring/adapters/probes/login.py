"""Scripted sign-in: HTTP steps sharing one cookie jar, carrying values from page to page.

The usual shape: GET the login page, pick its hidden anti-forgery token (`extract`), POST the
form with the credentials and the token, and find the marker only a signed-in page shows.
Each step's own expectations are checked as it goes; a reason names the step, never the
credentials.
"""

from __future__ import annotations

from urllib.parse import urljoin

from libs.catalog.checks_model import Check
from services.monitoring.adapters.probes.base import ProbeFailed, Progress, Seen, credentials
from services.monitoring.adapters.probes.http import client_for, fetch
from services.monitoring.domain.evaluation import extract_values, fill, step_problem


async def probe(check: Check, progress: Progress) -> Seen:
    values = credentials(check)
    last = Seen()
    async with client_for(check) as client:
        for index, step in enumerate(check.steps):
            url = urljoin(check.target, fill(step.url, values))
            form = {name: fill(value, values) for name, value in step.form.items()}
            last = await fetch(client, step.method, url, progress, form or None)
            problem = step_problem(index, step, last.status or 0, last.body)
            if problem:
                raise ProbeFailed(problem)
            extracted, missing = extract_values(step.extract, last.body)
            if missing:
                raise ProbeFailed(f"login step {index + 1} ({step.method} {step.url}): {missing}")
            values.update(extracted)
    return last
