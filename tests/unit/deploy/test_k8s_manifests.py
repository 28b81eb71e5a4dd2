"""Offline validation of the Kubernetes manifests under deploy/k8s/.

No cluster, no kustomize binary, no network: each kustomization is rendered by the small
renderer of kustomize.py, every standard object is validated against the Kubernetes JSON schemas shipped
by `kubernetes-validate` (strict: unknown fields fail), the Strimzi and CloudNativePG custom
resources are checked structurally, and the wiring between objects is checked (probes, limits,
Services, PodDisruptionBudgets, Ingress, HPA, topics, Secrets).
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from libs.events.topics import ALL_TOPICS, DEADLETTER, DEFAULT_PARTITIONS
from tests.unit.deploy.kustomize import (
    CLUSTER_SCOPED,
    CUSTOM_KINDS,
    GATEWAY,
    IMAGE,
    K8S,
    KUSTOMIZATIONS,
    NAMESPACE,
    OVERLAYS,
    SERVICES,
    SMTP_PORT,
    KustomizeError,
    Obj,
    api_group,
    by_kind,
    is_custom,
    pod_spec,
    render,
    rendered,
    split_image,
)

#: The oldest Kubernetes the manifests support and the newest `kubernetes-validate` ships.
K8S_VERSIONS = ("1.30", "1.37")
REQUIRED_ENV = (
    "DATABASE_URL",
    "KAFKA_BOOTSTRAP_SERVERS",
    "HOTRO_ADMIN_TOKEN",
    "HOTRO_SMTP_RELAY",
    "HOTRO_LOG_LEVEL",
    "HOTRO_INTERNAL_KEY",
)
SECRET_ENV = ("DATABASE_URL", "HOTRO_ADMIN_TOKEN", "HOTRO_INTERNAL_KEY")
#: Replicas per Deployment in each overlay (inclusive bounds).
REPLICAS = {"overlays/dev": (1, 1), "overlays/production": (2, 3)}

#: Objects referenced by the manifests but made elsewhere, and where that is said.
CNPG_APP_SECRET_SUFFIX = "-app"  # written by CloudNativePG for each Cluster
#: Secret -> keys, created out of band in production (deploy/k8s/README.md); dev generates it.
INTERNAL_KEY_SECRET = "hotro-internal-key"
OUT_OF_BAND_SECRETS = {INTERNAL_KEY_SECRET: {"key"}}
#: The image's code and catalog (with routing's training corpus) live here: nothing is mounted
#: over them.
IMAGE_APP_DIR = "/app"

DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


# --------------------------------------------------------------------------- checks
# Each returns a list of problems (empty when the manifests are right), so that the negative
# tests at the end can prove a broken manifest is caught.


def schema_problems(objects: list[Obj], version: str) -> list[str]:
    problems = []
    for obj in objects:
        if is_custom(obj):
            continue
        label = f"{obj['kind']}/{obj['metadata']['name']}"
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = "/".join(str(p) for p in exc.absolute_path)
            problems.append(f"{label} at {path or '.'}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            problems.append(f"{label}: {exc.message}")
    return problems


def custom_resource_problems(objects: list[Obj]) -> list[str]:
    problems = []
    for obj in objects:
        group = api_group(obj["apiVersion"])
        if group not in {api_group(v) for v in CUSTOM_KINDS}:
            continue
        label = f"{obj['kind']}/{obj['metadata']['name']}"
        if obj["kind"] not in CUSTOM_KINDS.get(obj["apiVersion"], set()):
            problems.append(f"{label}: unexpected apiVersion/kind {obj['apiVersion']}")
        if not DNS_SUBDOMAIN.match(obj["metadata"]["name"]):
            problems.append(f"{label}: name is not a DNS subdomain")
        if not isinstance(obj.get("spec"), dict) or not obj["spec"]:
            problems.append(f"{label}: no spec")
        if set(obj) - {"apiVersion", "kind", "metadata", "spec"}:
            problems.append(f"{label}: unexpected top-level fields")

    kafkas = by_kind(objects, "Kafka")
    pools = by_kind(objects, "KafkaNodePool")
    brokers: dict[str, int] = {}
    for name, pool in pools.items():
        cluster = pool["metadata"].get("labels", {}).get("strimzi.io/cluster")
        spec = pool["spec"]
        if cluster not in kafkas:
            problems.append(f"KafkaNodePool/{name}: strimzi.io/cluster {cluster!r} is no Kafka")
        if not set(spec.get("roles", [])) or set(spec.get("roles", [])) - {"controller", "broker"}:
            problems.append(f"KafkaNodePool/{name}: roles must be controller and/or broker")
        if not isinstance(spec.get("replicas"), int) or spec["replicas"] < 1:
            problems.append(f"KafkaNodePool/{name}: replicas must be a positive integer")
        elif "broker" in spec.get("roles", []):
            brokers[cluster] = brokers.get(cluster, 0) + spec["replicas"]
        if "storage" not in spec:
            problems.append(f"KafkaNodePool/{name}: no storage")
    for name, kafka in kafkas.items():
        annotations = kafka["metadata"].get("annotations", {})
        if annotations.get("strimzi.io/node-pools") != "enabled":
            problems.append(f"Kafka/{name}: node pools not enabled")
        if annotations.get("strimzi.io/kraft") != "enabled":
            problems.append(f"Kafka/{name}: KRaft not enabled")
        if not kafka["spec"].get("kafka", {}).get("listeners"):
            problems.append(f"Kafka/{name}: no listeners")
        if "topicOperator" not in kafka["spec"].get("entityOperator", {}):
            problems.append(f"Kafka/{name}: no topic operator, KafkaTopics would be ignored")
        if not brokers.get(name):
            problems.append(f"Kafka/{name}: no broker node pool")
        config = kafka["spec"]["kafka"].get("config", {})
        if config.get("auto.create.topics.enable") is not False:
            problems.append(f"Kafka/{name}: topics must not be auto-created")
        if config.get("default.replication.factor", 1) > brokers.get(name, 0):
            problems.append(f"Kafka/{name}: default.replication.factor exceeds the brokers")

    for name, topic in by_kind(objects, "KafkaTopic").items():
        cluster = topic["metadata"].get("labels", {}).get("strimzi.io/cluster")
        spec = topic["spec"]
        if cluster not in kafkas:
            problems.append(f"KafkaTopic/{name}: strimzi.io/cluster {cluster!r} is no Kafka")
        for field in ("partitions", "replicas"):
            if not isinstance(spec.get(field), int) or spec[field] < 1:
                problems.append(f"KafkaTopic/{name}: {field} must be a positive integer")
        if isinstance(spec.get("replicas"), int):
            if spec["replicas"] > brokers.get(cluster, 0):
                problems.append(f"KafkaTopic/{name}: more replicas than brokers")
            if spec.get("config", {}).get("min.insync.replicas", 1) > spec["replicas"]:
                problems.append(f"KafkaTopic/{name}: min.insync.replicas exceeds replicas")

    for name, cluster in by_kind(objects, "Cluster").items():
        spec = cluster["spec"]
        if not isinstance(spec.get("instances"), int) or spec["instances"] < 1:
            problems.append(f"Cluster/{name}: instances must be a positive integer")
        if not spec.get("storage", {}).get("size"):
            problems.append(f"Cluster/{name}: no storage size")
        initdb = spec.get("bootstrap", {}).get("initdb", {})
        sql = " ".join(initdb.get("postInitApplicationSQL", []))
        for service in SERVICES:
            if f"CREATE SCHEMA IF NOT EXISTS {service} " not in sql:
                problems.append(f"Cluster/{name}: schema {service} is not created at initdb")
        roles = {r["name"]: r for r in spec.get("managed", {}).get("roles", [])}
        analyst = roles.get("analyst")
        if analyst is None:
            problems.append(f"Cluster/{name}: no managed role `analyst`")
        else:
            if analyst.get("superuser") or analyst.get("createrole") or analyst.get("createdb"):
                problems.append(f"Cluster/{name}: analyst must not be privileged")
            if "GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO analyst" not in sql:
                problems.append(f"Cluster/{name}: analyst cannot read the reporting schema")
            if "ALTER ROLE analyst SET default_transaction_read_only = on" not in sql:
                problems.append(f"Cluster/{name}: analyst is not read-only")
            if re.search(r"GRANT\s+(INSERT|UPDATE|DELETE|ALL)\b[^;]*\banalyst\b", sql, re.I):
                problems.append(f"Cluster/{name}: analyst is granted writes")
            secret = by_kind(objects, "Secret").get(
                analyst.get("passwordSecret", {}).get("name", "")
            )
            if secret is None or secret.get("type") != "kubernetes.io/basic-auth":
                problems.append(f"Cluster/{name}: analyst passwordSecret is no basic-auth Secret")
    return problems


def topic_problems(objects: list[Obj], *, replicas: int) -> list[str]:
    """Every topic the code uses is declared, as the code and ARCHITECTURE.md say."""
    topics = {t["spec"].get("topicName", n): t for n, t in by_kind(objects, "KafkaTopic").items()}
    problems = [f"topic {t} has no KafkaTopic" for t in ALL_TOPICS if t not in topics]
    problems += [f"KafkaTopic {t} is not used by the code" for t in topics if t not in ALL_TOPICS]
    for name, topic in topics.items():
        spec = topic["spec"]
        if spec.get("partitions") != DEFAULT_PARTITIONS:
            problems.append(f"KafkaTopic {name}: {DEFAULT_PARTITIONS} partitions expected")
        if spec.get("replicas") != replicas:
            problems.append(f"KafkaTopic {name}: replication {replicas} expected")
    retention = {
        n: int(t["spec"].get("config", {}).get("retention.ms", 0)) for n, t in topics.items()
    }
    if DEADLETTER in retention and any(
        retention[DEADLETTER] <= r for n, r in retention.items() if n != DEADLETTER
    ):
        problems.append("the dead-letter topic must be kept longer than the others")
    return problems


def _env_names(container: Obj, objects: list[Obj]) -> dict[str, str]:
    """Environment variable -> where it comes from ('literal', 'configmap', 'secret')."""
    configmaps, secrets = by_kind(objects, "ConfigMap"), by_kind(objects, "Secret")
    names: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            names.update(
                dict.fromkeys(
                    configmaps.get(source["configMapRef"]["name"], {}).get("data", {}), "configmap"
                )
            )
        if "secretRef" in source:
            names.update(
                dict.fromkeys(
                    secrets.get(source["secretRef"]["name"], {}).get("data", {}), "secret"
                )
            )
    for var in container.get("env", []):
        value_from = var.get("valueFrom", {})
        names[var["name"]] = (
            "secret"
            if "secretKeyRef" in value_from
            else "configmap"
            if "configMapKeyRef" in value_from
            else "literal"
        )
    return names


def deployment_problems(objects: list[Obj]) -> list[str]:
    problems = []
    deployments = by_kind(objects, "Deployment")
    services = by_kind(objects, "Service")
    pdbs = list(by_kind(objects, "PodDisruptionBudget").values())
    if set(deployments) != set(SERVICES):
        problems.append(f"Deployments {sorted(deployments)}, expected {sorted(SERVICES)}")
    for name, deployment in deployments.items():
        label = f"Deployment/{name}"
        template = deployment["spec"]["template"]
        pod = template["spec"]
        pod_labels = template["metadata"].get("labels", {})
        selector = deployment["spec"]["selector"].get("matchLabels", {})
        if not selector or any(pod_labels.get(k) != v for k, v in selector.items()):
            problems.append(f"{label}: selector does not match the pod labels")
        if not pod.get("securityContext", {}).get("runAsNonRoot"):
            problems.append(f"{label}: pod securityContext.runAsNonRoot is not set")
        if len(pod.get("containers", [])) != 1:
            problems.append(f"{label}: one container expected")
            continue
        container = pod["containers"][0]
        port = SERVICES.get(name)
        ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
        if ports.get("http") != port:
            problems.append(f"{label}: container port `http` is not {port}")
        if container.get("command") != ["python", "-m", f"services.{name}.main"]:
            problems.append(f"{label}: command is not python -m services.{name}.main")
        if split_image(container.get("image", ""))[0].rsplit("/", 1)[-1] != "hotro":
            problems.append(f"{label}: image is not hotro")
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            http = container.get(probe, {}).get("httpGet", {})
            if http.get("path") != path or http.get("port") not in ("http", port):
                problems.append(f"{label}: {probe} is not an HTTP GET of {path} on the http port")
        resources = container.get("resources", {})
        for bound in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in resources.get(bound, {}):
                    problems.append(f"{label}: no {resource} {bound}")
        security = container.get("securityContext", {})
        if security.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{label}: root filesystem is not read-only")
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{label}: privilege escalation is allowed")
        if "ALL" not in security.get("capabilities", {}).get("drop", []):
            problems.append(f"{label}: capabilities are not dropped")
        mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
        if "/tmp" not in mounts:
            problems.append(f"{label}: no writable /tmp beside the read-only root")
        hidden = sorted(m for m in mounts if (m + "/").startswith(IMAGE_APP_DIR + "/"))
        if hidden:
            problems.append(f"{label}: {hidden} would hide the image's code or catalog")
        annotations = template["metadata"].get("annotations", {})
        if (
            annotations.get("prometheus.io/scrape") != "true"
            or annotations.get("prometheus.io/port") != str(port)
            or annotations.get("prometheus.io/path") != "/metrics"
        ):
            problems.append(f"{label}: Prometheus scrape annotations missing or wrong")
        env = _env_names(container, objects)
        for var in REQUIRED_ENV:
            if var not in env:
                problems.append(f"{label}: environment variable {var} is not set")
        for var in SECRET_ENV:
            if env.get(var, "secret") != "secret":
                problems.append(f"{label}: {var} must come from a Secret")

        service = services.get(name)
        if service is None:
            problems.append(f"{label}: no Service {name}")
        else:
            if service["spec"].get("selector") != selector:
                problems.append(f"Service/{name}: selector differs from the Deployment's")
            for service_port in service["spec"].get("ports", []):
                target = service_port.get("targetPort")
                if target not in ports and target not in ports.values():
                    problems.append(f"Service/{name}: targetPort {target} is no container port")
            http_ports = [
                p["port"] for p in service["spec"].get("ports", []) if p.get("name") == "http"
            ]
            if http_ports != [port]:
                problems.append(f"Service/{name}: http port is not {port}")
        covering = [
            p
            for p in pdbs
            if p["spec"].get("selector", {}).get("matchLabels")
            and all(pod_labels.get(k) == v for k, v in p["spec"]["selector"]["matchLabels"].items())
        ]
        if len(covering) != 1:
            problems.append(f"{label}: covered by {len(covering)} PodDisruptionBudgets, expected 1")

    gateway = services.get(GATEWAY, {}).get("spec", {})
    if not any(
        p.get("port") == SMTP_PORT and p.get("name") == "smtp" for p in gateway.get("ports", [])
    ):
        problems.append(f"Service/{GATEWAY}: SMTP port {SMTP_PORT} is not exposed")
    return problems


def wiring_problems(objects: list[Obj]) -> list[str]:
    """References between objects resolve, everything lives in the namespace, the Ingress and
    HPA point at the gateway."""
    problems = []
    configmaps, secrets = by_kind(objects, "ConfigMap"), by_kind(objects, "Secret")
    services, deployments = by_kind(objects, "Service"), by_kind(objects, "Deployment")
    pg_clusters = by_kind(objects, "Cluster")
    cnpg_secrets = {
        f"{n}{CNPG_APP_SECRET_SUFFIX}": {"uri", "username", "password"} for n in pg_clusters
    }

    if NAMESPACE not in by_kind(objects, "Namespace"):
        problems.append(f"no Namespace {NAMESPACE}")
    for obj in objects:
        if obj["kind"] not in CLUSTER_SCOPED and obj["metadata"].get("namespace") != NAMESPACE:
            problems.append(
                f"{obj['kind']}/{obj['metadata']['name']}: not in namespace {NAMESPACE}"
            )

    def secret_keys(name: str) -> set[str] | None:
        if name in secrets:
            return set(secrets[name].get("data", {}))
        return cnpg_secrets.get(name, OUT_OF_BAND_SECRETS.get(name))

    for name, deployment in deployments.items():
        pod = pod_spec(deployment)
        for container in pod["containers"]:
            for source in container.get("envFrom", []):
                if "configMapRef" in source and source["configMapRef"]["name"] not in configmaps:
                    problems.append(f"{name}: ConfigMap {source['configMapRef']['name']} missing")
                if "secretRef" in source and secret_keys(source["secretRef"]["name"]) is None:
                    problems.append(f"{name}: Secret {source['secretRef']['name']} missing")
            for var in container.get("env", []):
                ref = var.get("valueFrom", {})
                if "secretKeyRef" in ref:
                    keys = secret_keys(ref["secretKeyRef"]["name"])
                    if keys is None or ref["secretKeyRef"]["key"] not in keys:
                        problems.append(f"{name}: {var['name']} refers to a missing Secret key")
                if "configMapKeyRef" in ref:
                    data = configmaps.get(ref["configMapKeyRef"]["name"], {}).get("data", {})
                    if ref["configMapKeyRef"]["key"] not in data:
                        problems.append(f"{name}: {var['name']} refers to a missing ConfigMap key")
        for volume in pod.get("volumes", []):
            if "configMap" in volume:
                ref = volume["configMap"]["name"]
                if ref not in configmaps:
                    problems.append(f"{name}: volume ConfigMap {ref} missing")
            if "secret" in volume and secret_keys(volume["secret"]["secretName"]) is None:
                problems.append(f"{name}: volume Secret {volume['secret']['secretName']} missing")
        account = pod.get("serviceAccountName")
        if account and account not in by_kind(objects, "ServiceAccount"):
            problems.append(f"{name}: ServiceAccount {account} missing")

    ingresses = by_kind(objects, "Ingress")
    if len(ingresses) != 1:
        problems.append(f"{len(ingresses)} Ingresses, expected one for the gateway")
    for name, ingress in ingresses.items():
        for rule in ingress["spec"].get("rules", []):
            for path in rule.get("http", {}).get("paths", []):
                backend = path["backend"]["service"]
                service = services.get(backend["name"])
                port_names = {
                    p.get("name") for p in (service or {}).get("spec", {}).get("ports", [])
                }
                if backend["name"] != GATEWAY or backend["port"].get("name") not in port_names:
                    problems.append(
                        f"Ingress/{name}: backend {backend} is not the gateway's http port"
                    )

    config = configmaps.get("hotro-config", {}).get("data", {})
    # The gateway forwards commands to HOTRO_<SERVICE>_URL (loopback when unset, which in a pod
    # is the gateway itself): each must name that service's Service and http port.
    for owner in SERVICES:
        if owner == GATEWAY:
            continue
        url = config.get(f"HOTRO_{owner.upper()}_URL")
        http = [
            p["port"]
            for p in services.get(owner, {}).get("spec", {}).get("ports", [])
            if p.get("name") == "http"
        ]
        if not http or url != f"http://{owner}:{http[0]}":
            problems.append(f"HOTRO_{owner.upper()}_URL={url!r} is not Service {owner}'s http")

    bootstrap = config.get("KAFKA_BOOTSTRAP_SERVERS", "")
    kafkas = by_kind(objects, "Kafka")
    if kafkas:
        expected = {
            f"{n}-kafka-bootstrap:{listener['port']}"
            for n, kafka in kafkas.items()
            for listener in kafka["spec"]["kafka"]["listeners"]
            if not listener.get("tls")
        }
        if bootstrap not in expected:
            problems.append(f"KAFKA_BOOTSTRAP_SERVERS={bootstrap!r} is none of {sorted(expected)}")

    for name, hpa in by_kind(objects, "HorizontalPodAutoscaler").items():
        target = hpa["spec"]["scaleTargetRef"]
        scaled = deployments.get(target["name"])
        if target["kind"] != "Deployment" or scaled is None:
            problems.append(f"HorizontalPodAutoscaler/{name}: target {target} missing")
            continue
        low, high = hpa["spec"].get("minReplicas", 1), hpa["spec"]["maxReplicas"]
        if not low <= scaled["spec"].get("replicas", 1) <= high:
            problems.append(
                f"HorizontalPodAutoscaler/{name}: Deployment replicas outside {low}-{high}"
            )
        if high > DEFAULT_PARTITIONS:
            problems.append(f"HorizontalPodAutoscaler/{name}: more replicas than partitions")
    return problems


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_kustomization_renders(name: str) -> None:
    objects = rendered(name)
    assert objects, f"{name} renders nothing"


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_standard_objects_match_the_kubernetes_schema(name: str, version: str) -> None:
    objects = rendered(name)
    standard = [o for o in objects if not is_custom(o)]
    if name != "infra":
        assert standard
    problems = schema_problems(objects, version)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_custom_resources_are_well_formed(name: str) -> None:
    objects = rendered(name)
    # Any other custom resource has no schema in kubernetes-validate and fails the schema test.
    problems = custom_resource_problems(objects)
    assert not problems, "\n".join(problems)


def test_infra_declares_kafka_topics_and_postgres() -> None:
    objects = rendered("infra")
    kinds = {o["kind"] for o in objects}
    assert {"Kafka", "KafkaNodePool", "KafkaTopic", "Cluster"} <= kinds
    problems = topic_problems(objects, replicas=3)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", ["base", *OVERLAYS])
def test_deployments_are_complete(name: str) -> None:
    problems = deployment_problems(rendered(name))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", OVERLAYS)
def test_overlay_wiring(name: str) -> None:
    problems = wiring_problems(rendered(name))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", OVERLAYS)
def test_overlay_replicas_and_topics(name: str) -> None:
    objects = rendered(name)
    low, high = REPLICAS[name]
    for deployment in by_kind(objects, "Deployment").values():
        replicas = deployment["spec"]["replicas"]
        assert low <= replicas <= high, f"{deployment['metadata']['name']}: {replicas} replicas"
    brokers = sum(p["spec"]["replicas"] for p in by_kind(objects, "KafkaNodePool").values())
    problems = topic_problems(objects, replicas=min(3, brokers))
    assert not problems, "\n".join(problems)


def test_production_scales_the_gateway_and_pins_the_image() -> None:
    objects = rendered("overlays/production")
    hpas = by_kind(objects, "HorizontalPodAutoscaler")
    assert [h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()] == [GATEWAY]
    for deployment in by_kind(objects, "Deployment").values():
        assert pod_spec(deployment)["containers"][0]["image"] == IMAGE
    assert by_kind(objects, "Cluster")["hotro-pg"]["spec"]["instances"] >= 2
    assert all(t["spec"]["replicas"] == 3 for t in by_kind(objects, "KafkaTopic").values())


def test_dev_overrides_apply() -> None:
    objects = rendered("overlays/dev")
    assert by_kind(objects, "ConfigMap")["hotro-config"]["data"]["HOTRO_LOG_LEVEL"] == "DEBUG"
    assert "tls" not in by_kind(objects, "Ingress")["hotro-gateway"]["spec"]
    assert by_kind(objects, "Cluster")["hotro-pg"]["spec"]["instances"] == 1
    # The patch kept what it did not name.
    intake = by_kind(objects, "KafkaTopic")["hotro.intake.v1"]["spec"]
    assert intake["partitions"] == DEFAULT_PARTITIONS
    assert intake["config"]["retention.ms"] == -1


def test_event_topics_keep_everything_for_rebuilds() -> None:
    """Reporting rebuilds a projection by reading the event topics from the start (issue 10)."""
    topics = by_kind(rendered("overlays/production"), "KafkaTopic")
    events = {name: t for name, t in topics.items() if name != "hotro.deadletter.v1"}
    assert events, "no event topics rendered"
    for name, topic in events.items():
        assert topic["spec"]["config"]["retention.ms"] == -1, name


@pytest.mark.parametrize("name", KUSTOMIZATIONS)
def test_secrets_hold_only_placeholders(name: str) -> None:
    for secret in by_kind(rendered(name), "Secret").values():
        for key, value in secret.get("data", {}).items():
            text = base64.b64decode(value).decode()
            assert key == "username" or "PLACEHOLDER" in text, (
                f"Secret {secret['metadata']['name']} key {key}: only PLACEHOLDER values belong here"
            )


def test_every_manifest_file_is_used() -> None:
    used: set[Path] = set()
    for kustomization in K8S.rglob("kustomization.yaml"):
        used.add(kustomization)
        spec = yaml.safe_load(kustomization.read_text(encoding="utf-8"))
        for entry in spec.get("resources", []):
            used.add((kustomization.parent / entry).resolve())
        for entry in spec.get("patches", []):
            used.add((kustomization.parent / entry["path"]).resolve())
    files = {p.resolve() for p in K8S.rglob("*.yaml")} | {p.resolve() for p in K8S.rglob("*.yml")}
    orphans = sorted(str(p.relative_to(K8S)) for p in files - used)
    assert not orphans, f"manifests no kustomization uses: {orphans}"


def test_the_out_of_band_signing_key_is_documented() -> None:
    readme = (K8S / "README.md").read_text(encoding="utf-8")
    for name, keys in OUT_OF_BAND_SECRETS.items():
        for key in keys:
            assert f"create secret generic {name} --from-literal={key}=" in readme


def test_only_dev_generates_the_internal_signing_key() -> None:
    """A committed signing key must never reach production; dev gets a marked placeholder that
    is long enough for libs/platform/caller.py (32 characters)."""
    assert INTERNAL_KEY_SECRET not in by_kind(rendered("overlays/production"), "Secret")
    secret = by_kind(rendered("overlays/dev"), "Secret")[INTERNAL_KEY_SECRET]
    key = base64.b64decode(secret["data"]["key"]).decode()
    assert "PLACEHOLDER" in key
    assert len(key) >= 32


@pytest.mark.parametrize("name", ["base", *OVERLAYS])
def test_every_deployment_gets_the_internal_key_from_its_secret(name: str) -> None:
    for deployment in by_kind(rendered(name), "Deployment").values():
        env = {e["name"]: e for e in pod_spec(deployment)["containers"][0].get("env", [])}
        ref = env["HOTRO_INTERNAL_KEY"]["valueFrom"]["secretKeyRef"]
        assert (ref["name"], ref["key"]) == (INTERNAL_KEY_SECRET, "key")


@pytest.mark.parametrize("name", ["base", *OVERLAYS])
def test_network_policies_are_rendered_in_the_namespace(name: str) -> None:
    """They are standard objects, so the schema test above validates them too."""
    policies = by_kind(rendered(name), "NetworkPolicy")
    assert "default-deny-ingress" in policies
    assert all(p["metadata"]["namespace"] == NAMESPACE for p in policies.values())


# ----------------------------------------------------------------- the checks catch breakage


def _intake(objects: list[Obj]) -> Obj:
    return pod_spec(by_kind(objects, "Deployment")["intake"])["containers"][0]


@pytest.mark.parametrize(
    "breakage",
    [
        lambda objs: _intake(objs).pop("livenessProbe"),
        lambda objs: _intake(objs).pop("readinessProbe"),
        lambda objs: _intake(objs)["resources"].pop("limits"),
        lambda objs: _intake(objs)["securityContext"].update(readOnlyRootFilesystem=False),
        lambda objs: _intake(objs)["env"].pop(0),
        lambda objs: _intake(objs)["volumeMounts"].append(
            {"name": "c", "mountPath": "/app/catalog"}
        ),
        lambda objs: objs.remove(by_kind(objs, "Deployment")["reporting"]),
        lambda objs: objs.remove(by_kind(objs, "PodDisruptionBudget")["routing"]),
        lambda objs: by_kind(objs, "Service")["intake"]["spec"]["ports"].pop(),
    ],
)
def test_deployment_checks_catch_breakage(breakage: Any) -> None:
    objects = rendered("overlays/production")
    breakage(objects)
    assert deployment_problems(objects)


def test_schema_check_catches_a_typo_and_a_wrong_type() -> None:
    objects = rendered("base")
    _intake(objects)["livenesProbe"] = _intake(objects).pop("livenessProbe")
    assert any("livenesProbe" in p for p in schema_problems(objects, K8S_VERSIONS[0]))
    objects = rendered("base")
    by_kind(objects, "Deployment")["routing"]["spec"]["replicas"] = "two"
    assert schema_problems(objects, K8S_VERSIONS[0])
    objects = rendered("base")
    by_kind(objects, "Ingress")["hotro-gateway"]["apiVersion"] = "extensions/v1beta1"
    assert schema_problems(objects, K8S_VERSIONS[0])


def test_topic_and_custom_resource_checks_catch_breakage() -> None:
    objects = rendered("infra")
    objects.remove(by_kind(objects, "KafkaTopic")[DEADLETTER])
    assert topic_problems(objects, replicas=3)
    objects = rendered("infra")
    by_kind(objects, "KafkaTopic")["hotro.routing.v1"]["spec"]["replicas"] = 5
    assert custom_resource_problems(objects)
    objects = rendered("infra")
    by_kind(objects, "KafkaTopic")["hotro.routing.v1"]["metadata"]["labels"] = {}
    assert custom_resource_problems(objects)
    objects = rendered("infra")
    by_kind(objects, "Cluster")["hotro-pg"]["spec"]["managed"]["roles"][0]["superuser"] = True
    assert custom_resource_problems(objects)


def test_wiring_check_catches_a_dangling_reference() -> None:
    objects = rendered("overlays/production")
    objects.remove(by_kind(objects, "Secret")["hotro-secrets"])
    assert wiring_problems(objects)
    objects = rendered("overlays/dev")
    by_kind(objects, "ConfigMap")["hotro-config"]["data"].pop("HOTRO_ROUTING_URL")
    assert any("HOTRO_ROUTING_URL" in p for p in wiring_problems(objects))
    objects = rendered("overlays/production")
    objects.remove(by_kind(objects, "Cluster")["hotro-pg"])  # no hotro-pg-app Secret then
    assert wiring_problems(objects)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: web:1
          env: [{name: A, value: "1"}]
"""


def test_renderer_applies_patches_replicas_images_and_namespace(tmp_path: Path) -> None:
    _write(
        tmp_path / "base/kustomization.yaml",
        "resources: [web.yaml]\nkind: Kustomization\napiVersion: kustomize.config.k8s.io/v1beta1\n",
    )
    _write(tmp_path / "base/web.yaml", DEPLOYMENT)
    _write(
        tmp_path / "over/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: x\n"
        "resources: [../base]\nreplicas: [{name: web, count: 2}]\n"
        "images: [{name: web, newName: reg.example:5000/web, newTag: '2'}]\n"
        "patches: [{path: patch.yaml}]\n",
    )
    _write(
        tmp_path / "over/patch.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: web\n          env: [{name: B, value: '2'}]\n",
    )
    [web] = render(tmp_path / "over")
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert web["metadata"]["namespace"] == "x"
    assert web["spec"]["replicas"] == 2
    assert container["image"] == "reg.example:5000/web:2"
    assert [e["name"] for e in container["env"]] == ["A", "B"]


@pytest.mark.parametrize(
    ("kustomization", "error"),
    [
        ("resources: [web.yaml]\npatches: [{path: missing.yaml}]\n", "no such file"),
        ("resources: [web.yaml]\nreplicas: [{name: nope, count: 2}]\n", "matches 0"),
        ("resources: [web.yaml]\nimages: [{name: nope, newTag: '2'}]\n", "no container"),
        ("resources: [web.yaml]\ncommonLabels: {a: b}\n", "unsupported"),
        ("resources: [web.yaml, web.yaml]\n", "duplicate"),
        ("resources: [web.yaml]\nconfigMapGenerator: [{name: c, behavior: merge}]\n", "missing"),
    ],
)
def test_renderer_rejects_broken_kustomizations(
    tmp_path: Path, kustomization: str, error: str
) -> None:
    _write(
        tmp_path / "kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" + kustomization,
    )
    _write(tmp_path / "web.yaml", DEPLOYMENT)
    with pytest.raises(KustomizeError, match=error):
        render(tmp_path)
