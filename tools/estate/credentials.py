"""The simulated systems' monitoring account: one generated password per system, kept in a
0600 file per system (the `credentials: {file: …}` of SPEC §5's login checks: a YAML mapping
{username, password}). A file already there is reused, so an estate restarted under a running
monitoring service still accepts the credentials it has read.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path

import yaml

from tools.estate.model import System


def _read(path: Path, username: str) -> str | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    if isinstance(data, dict) and data.get("username") == username and data.get("password"):
        return str(data["password"])
    return None


def ensure_credentials(folder: Path, systems: Iterable[System]) -> dict[str, Path]:
    """The credentials file of every system with a sign-in, created (0600) when missing."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    files = {}
    for system in systems:
        if system.login is None:
            continue
        path = folder / f"{system.key}.yaml"
        if _read(path, system.username) is None:
            text = yaml.safe_dump(
                {"username": system.username, "password": secrets.token_urlsafe(18)}
            )
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(text)
        path.chmod(0o600)
        files[system.key] = path
    return files


def passwords(files: dict[str, Path], systems: dict[str, System]) -> dict[str, str]:
    """system key → password, read back from the files (the one copy of each secret)."""
    found = {}
    for key, path in files.items():
        password = _read(path, systems[key].username)
        assert password is not None, path
        found[key] = password
    return found
