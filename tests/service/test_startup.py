"""A service refuses to start on a broken catalog, naming the file, line and field."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from libs.platform.caller import new_internal_key
from tools.suite import ROOT


@pytest.mark.parametrize("service", ["intake", "routing"])
def test_a_catalog_error_stops_start_up_with_the_file_and_field(
    service: str, tmp_path: Path
) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", catalog)
    apps = catalog / "applications.yaml"
    apps.write_text(
        apps.read_text(encoding="utf-8").replace("group: TABMIS", "group: TABMISS", 1),
        encoding="utf-8",
    )
    env = dict(
        os.environ,
        HOTRO_CATALOG_DIR=str(catalog),
        PYTHONPATH=str(ROOT),
        DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",
        KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1",
        HOTRO_INTERNAL_KEY=new_internal_key(),
    )

    result = subprocess.run(
        [sys.executable, "-m", f"services.{service}.main"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )

    assert result.returncode == 2, result.stderr
    assert "applications.yaml:" in result.stderr
    assert "group" in result.stderr and "TABMISS" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_setting_names_the_variable(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "services.reporting.main"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr


@pytest.mark.parametrize("service", ["intake", "escalation"])
def test_a_service_without_the_internal_signing_key_refuses_to_start(service: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTRO_INTERNAL_KEY")}
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",
        KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1",
    )
    result = subprocess.run(
        [sys.executable, "-m", f"services.{service}.main"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "HOTRO_INTERNAL_KEY" in result.stderr
    assert "Traceback" not in result.stderr
