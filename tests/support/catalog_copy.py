"""The shipped catalog, copied for one suite with a few SLA settings changed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from libs.catalog.loader import DEFAULT_CATALOG_DIR


def catalog_with_sla(folder: Path, **settings: int | str) -> Path:
    """`folder` holding the shipped catalog, the top-level keys of its sla.yaml replaced."""
    target = folder / "catalog"
    shutil.copytree(DEFAULT_CATALOG_DIR, target)
    sla = target / "sla.yaml"
    text = sla.read_text(encoding="utf-8")
    for key, value in settings.items():
        text, found = re.subn(rf"(?m)^{key}:.*$", f"{key}: {value}", text)
        assert found == 1, f"sla.yaml has no top-level {key}"
    sla.write_text(text, encoding="utf-8")
    return target
