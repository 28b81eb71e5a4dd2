"""The manifests under deploy/k8s/ as objects, rendered offline by a small kustomize renderer.

The renderer knows only what the kustomizations use: `resources`, `namespace`,
`configMapGenerator`, `secretGenerator`, `replicas`, `images` and strategic-merge `patches`
(found by the patch's kind and name). Anything else is an error, so a kustomization cannot grow
a feature the tests silently ignore. Unlike kustomize it does not append a content hash to
generated ConfigMap and Secret names (kustomize rewrites the references to match, so the plain
names are equivalent for these checks).
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
KUSTOMIZATIONS = ("base", "infra", "overlays/dev", "overlays/production")
OVERLAYS = ("overlays/dev", "overlays/production")

NAMESPACE = "hotro"
IMAGE = "hotro:0.1.0"
#: service -> HTTP port
SERVICES = {
    "intake": 8000,
    "routing": 8001,
    "escalation": 8002,
    "monitoring": 8003,
    "reporting": 8004,
    "knowledge": 8005,
}
GATEWAY = "intake"
SMTP_PORT = 2525

#: Custom resources: apiVersion -> kinds we expect under it.
CUSTOM_KINDS = {
    "kafka.strimzi.io/v1beta2": {"Kafka", "KafkaNodePool", "KafkaTopic"},
    "postgresql.cnpg.io/v1": {"Cluster"},
}
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "IngressClass",
}


# --------------------------------------------------------------------------- renderer


class KustomizeError(Exception):
    """The kustomization is broken, or uses something this renderer does not support."""


SUPPORTED_FIELDS = {
    "apiVersion",
    "kind",
    "namespace",
    "resources",
    "configMapGenerator",
    "secretGenerator",
    "replicas",
    "images",
    "patches",
}
GENERATOR_FIELDS = {"name", "literals", "files", "behavior", "options", "type"}
GENERATOR_OPTIONS = {"labels", "annotations", "disableNameSuffixHash"}
REPLICATED_KINDS = {"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"}
#: Strategic-merge keys of the standard list fields we patch (custom resources: lists replace).
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "imagePullSecrets": "name",
    "volumeMounts": "mountPath",
}


def _load_yaml_docs(path: Path, *, objects: bool = True) -> list[Obj]:
    if not path.is_file():
        raise KustomizeError(f"{path}: no such file")
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    except yaml.YAMLError as exc:
        raise KustomizeError(f"{path}: {exc}") from exc
    for doc in docs:
        if not isinstance(doc, dict) or not doc.get("kind") or not doc.get("apiVersion"):
            raise KustomizeError(f"{path}: every document needs apiVersion and kind")
        if objects and not (isinstance(doc.get("metadata"), dict) and doc["metadata"].get("name")):
            raise KustomizeError(f"{path}: {doc['kind']} without metadata.name")
    return docs


def api_group(api_version: str) -> str:
    return api_version.split("/")[0] if "/" in api_version else ""


def _identity(obj: Obj) -> tuple[str, str, str, str]:
    meta = obj["metadata"]
    return (api_group(obj["apiVersion"]), obj["kind"], meta.get("namespace", ""), meta["name"])


def is_custom(obj: Obj) -> bool:
    return obj["apiVersion"] in CUSTOM_KINDS


def _merge(base: Any, patch: Any, *, standard: bool, field: str = "") -> Any:
    """A strategic merge patch, reduced to what the overlays use: maps merge, `null` deletes,
    lists with a known merge key merge item by item, other lists are replaced."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = _merge(merged[key], value, standard=standard, field=key)
            else:
                merged[key] = copy.deepcopy(value)
        return merged
    if isinstance(base, list) and isinstance(patch, list) and standard:
        key = MERGE_KEYS.get(field)
        if field == "ports":
            key = "containerPort" if any("containerPort" in p for p in base + patch) else "port"
        if key and all(isinstance(i, dict) and key in i for i in base + patch):
            merged_list = [copy.deepcopy(i) for i in base]
            for item in patch:
                at = next((n for n, b in enumerate(merged_list) if b[key] == item[key]), None)
                if at is None:
                    merged_list.append(copy.deepcopy(item))
                else:
                    merged_list[at] = _merge(merged_list[at], item, standard=standard)
            return merged_list
    return copy.deepcopy(patch)


def _generate(directory: Path, gen: Obj, kind: str, objects: list[Obj]) -> None:
    unknown = set(gen) - GENERATOR_FIELDS
    if unknown or "name" not in gen:
        raise KustomizeError(f"{directory}: {kind} generator: bad or unsupported {sorted(unknown)}")
    options = gen.get("options", {})
    if set(options) - GENERATOR_OPTIONS:
        raise KustomizeError(f"{directory}: unsupported generator options {sorted(options)}")
    data: dict[str, str] = {}
    for literal in gen.get("literals", []):
        key, sep, value = literal.partition("=")
        if not sep or not key:
            raise KustomizeError(f"{directory}: literal {literal!r} is not KEY=VALUE")
        data[key] = value
    for entry in gen.get("files", []):
        key, sep, rel = entry.partition("=")
        path = directory / (rel if sep else key)
        if not path.is_file():
            raise KustomizeError(f"{directory}: generator file {path} not found")
        data[key if sep else path.name] = path.read_text(encoding="utf-8")
    if kind == "Secret":
        data = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}

    behavior = gen.get("behavior", "create")
    existing = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == gen["name"]]
    if behavior == "create":
        if existing:
            raise KustomizeError(f"{directory}: {kind} {gen['name']} already exists")
        meta: Obj = {"name": gen["name"]}
        for field in ("labels", "annotations"):
            if options.get(field):
                meta[field] = dict(options[field])
        obj: Obj = {"apiVersion": "v1", "kind": kind, "metadata": meta, "data": data}
        if kind == "Secret":
            obj["type"] = gen.get("type", "Opaque")
        objects.append(obj)
    elif behavior in ("merge", "replace"):
        if len(existing) != 1:
            raise KustomizeError(f"{directory}: {behavior} of missing {kind} {gen['name']}")
        target = existing[0]
        target["data"] = {**target.get("data", {}), **data} if behavior == "merge" else data
    else:
        raise KustomizeError(f"{directory}: unknown generator behavior {behavior!r}")


def split_image(image: str) -> tuple[str, str]:
    """'registry:5000/hotro:0.1.0' -> ('registry:5000/hotro', ':0.1.0')."""
    if "@" in image:
        name, digest = image.split("@", 1)
        return name, "@" + digest
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon:]
    return image, ""


def _containers(node: Any) -> Iterator[Obj]:
    """Every container (and init container) anywhere in an object."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("containers", "initContainers") and isinstance(value, list):
                yield from (c for c in value if isinstance(c, dict))
            else:
                yield from _containers(value)
    elif isinstance(node, list):
        for item in node:
            yield from _containers(item)


def _set_images(objects: list[Obj], rules: list[Obj]) -> None:
    for rule in rules:
        if set(rule) - {"name", "newName", "newTag", "digest"} or "name" not in rule:
            raise KustomizeError(f"unsupported images entry {rule}")
        hits = 0
        for obj in objects:
            for container in _containers(obj.get("spec")):
                name, tag = split_image(container.get("image", ""))
                if name != rule["name"]:
                    continue
                hits += 1
                if "newTag" in rule:
                    tag = ":" + str(rule["newTag"])
                if "digest" in rule:
                    tag = "@" + rule["digest"]
                container["image"] = rule.get("newName", name) + tag
        if not hits:
            raise KustomizeError(f"images: no container uses image {rule['name']!r}")


def render(directory: Path) -> list[Obj]:
    """Render the kustomization in `directory` into a list of objects."""
    docs = _load_yaml_docs(directory / "kustomization.yaml", objects=False)
    if len(docs) != 1 or docs[0].get("kind") != "Kustomization":
        raise KustomizeError(f"{directory}: kustomization.yaml must hold one Kustomization")
    spec = docs[0]
    unknown = set(spec) - SUPPORTED_FIELDS
    if unknown:
        raise KustomizeError(f"{directory}: unsupported kustomization fields {sorted(unknown)}")

    objects: list[Obj] = []
    for entry in spec.get("resources", []):
        path = (directory / entry).resolve()
        objects += render(path) if path.is_dir() else _load_yaml_docs(path)

    for gen in spec.get("configMapGenerator", []):
        _generate(directory, gen, "ConfigMap", objects)
    for gen in spec.get("secretGenerator", []):
        _generate(directory, gen, "Secret", objects)

    for entry in spec.get("patches", []):
        if set(entry) != {"path"}:
            raise KustomizeError(f"{directory}: only `patches: - path:` is supported, not {entry}")
        for patch in _load_yaml_docs(directory / entry["path"]):
            matches = [
                o
                for o in objects
                if o["kind"] == patch["kind"]
                and api_group(o["apiVersion"]) == api_group(patch["apiVersion"])
                and o["metadata"]["name"] == patch["metadata"]["name"]
            ]
            if len(matches) != 1:
                raise KustomizeError(
                    f"{directory}/{entry['path']}: patch for {patch['kind']} "
                    f"{patch['metadata']['name']} matches {len(matches)} objects"
                )
            target = matches[0]
            objects[objects.index(target)] = _merge(target, patch, standard=not is_custom(target))

    if "namespace" in spec:
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = spec["namespace"]

    for rule in spec.get("replicas", []):
        targets = [
            o
            for o in objects
            if o["kind"] in REPLICATED_KINDS and o["metadata"]["name"] == rule["name"]
        ]
        if len(targets) != 1 or not isinstance(rule.get("count"), int):
            raise KustomizeError(
                f"{directory}: replicas entry {rule} matches {len(targets)} objects"
            )
        targets[0]["spec"]["replicas"] = rule["count"]

    _set_images(objects, spec.get("images", []))

    seen: set[tuple[str, str, str, str]] = set()
    for obj in objects:
        if _identity(obj) in seen:
            raise KustomizeError(f"{directory}: duplicate {obj['kind']} {obj['metadata']['name']}")
        seen.add(_identity(obj))
    return objects


def by_kind(objects: list[Obj], kind: str) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def pod_spec(deployment: Obj) -> Obj:
    return deployment["spec"]["template"]["spec"]


_RENDERED: dict[str, list[Obj]] = {}


def rendered(name: str) -> list[Obj]:
    """Render once per session; callers get their own copy."""
    if name not in _RENDERED:
        _RENDERED[name] = render(K8S / name)
    return copy.deepcopy(_RENDERED[name])
