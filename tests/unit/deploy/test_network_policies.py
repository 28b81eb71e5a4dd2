"""Who can reach whom, computed from the NetworkPolicies of the rendered overlays.

A tiny evaluator of the NetworkPolicy rules the manifests use (podSelector and
namespaceSelector with matchLabels/matchExpressions, ipBlock, numbered and named ports,
policyTypes) answers, for each row of a table, whether a connection from one pod to another
pod's port is allowed: the source's egress policies and the destination's ingress policies
must both let it through. The pods are the Deployments as rendered, a future `knowledge`
service, and the pods the operators create (Strimzi's brokers, CloudNativePG's instances)
with the labels those operators give them. Strimzi writes the brokers' NetworkPolicy itself
from the listeners' `networkPolicyPeers` (infra/kafka.yaml); `strimzi_policy` models it.
"""

from __future__ import annotations

import copy
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.unit.deploy.kustomize import (
    GATEWAY,
    NAMESPACE,
    OVERLAYS,
    ROOT,
    SERVICES,
    SMTP_PORT,
    Obj,
    by_kind,
    pod_spec,
    rendered,
)

# --------------------------------------------------------------------------- evaluator


@dataclass(frozen=True)
class Peer:
    """A pod (with a namespace) or an address outside the cluster (namespace None)."""

    name: str
    ip: str
    namespace: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    #: named container ports (a NetworkPolicy may name a port instead of numbering it)
    ports: dict[str, int] = field(default_factory=dict)


def selects(selector: Obj, labels: dict[str, str]) -> bool:
    """A LabelSelector: every matchLabels pair and every matchExpression holds ({} = all)."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values")
        if operator == "In":
            holds = labels.get(key) in values
        elif operator == "NotIn":
            holds = labels.get(key) not in values
        elif operator in ("Exists", "DoesNotExist"):
            holds = (key in labels) == (operator == "Exists")
        else:
            raise ValueError(f"unknown selector operator {operator}")
        if not holds:
            return False
    return True


def _namespace_labels(name: str) -> dict[str, str]:
    return {"kubernetes.io/metadata.name": name}


def peer_matches(rule_peer: Obj, policy_namespace: str, other: Peer) -> bool:
    if "ipBlock" in rule_peer:
        block = rule_peer["ipBlock"]
        address = ipaddress.ip_address(other.ip)
        network = ipaddress.ip_network(block["cidr"])
        excepted = any(address in ipaddress.ip_network(e) for e in block.get("except", []) if e)
        return address.version == network.version and address in network and not excepted
    if other.namespace is None:
        return False
    if "namespaceSelector" in rule_peer:
        if not selects(rule_peer["namespaceSelector"], _namespace_labels(other.namespace)):
            return False
    elif other.namespace != policy_namespace:
        return False
    return selects(rule_peer.get("podSelector", {}), other.labels)


def port_matches(rule_ports: list[Obj] | None, target: Peer, port: int, protocol: str) -> bool:
    if not rule_ports:
        return True
    for entry in rule_ports:
        if entry.get("protocol", "TCP") != protocol:
            continue
        wanted = entry.get("port")
        if wanted is None:
            return True
        if isinstance(wanted, str):
            if target.ports.get(wanted) == port:
                return True
        elif int(wanted) <= port <= int(entry.get("endPort") or wanted):
            return True
    return False


def _policy_types(policy: Obj) -> list[str]:
    spec = policy["spec"]
    return spec.get("policyTypes") or ["Ingress", *(["Egress"] if "egress" in spec else [])]


def _direction_allows(
    policies: list[Obj],
    direction: str,
    subject: Peer,
    other: Peer,
    target: Peer,
    port: int,
    protocol: str,
) -> bool:
    """`subject` is the pod whose policies apply; `other` is the far end; `target` is the pod
    whose named ports the rules refer to (the destination)."""
    if subject.namespace is None:
        return True  # outside the cluster: no NetworkPolicy applies to it
    kind, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    selecting = [
        p
        for p in policies
        if p["metadata"]["namespace"] == subject.namespace
        and direction in _policy_types(p)
        and selects(p["spec"]["podSelector"], subject.labels)
    ]
    if not selecting:
        return True  # not isolated in this direction
    return any(
        (
            peers_key not in rule
            or any(peer_matches(r, p["metadata"]["namespace"], other) for r in rule[peers_key])
        )
        and port_matches(rule.get("ports"), target, port, protocol)
        for p in selecting
        for rule in p["spec"].get(kind, [])
    )


def allowed(
    policies: list[Obj], source: Peer, destination: Peer, port: int, protocol: str = "TCP"
) -> bool:
    return _direction_allows(
        policies, "Egress", source, destination, destination, port, protocol
    ) and _direction_allows(policies, "Ingress", destination, source, destination, port, protocol)


# --------------------------------------------------------------------------- the cluster


KAFKA_CLUSTER = "hotro-kafka"
PG_CLUSTER = "hotro-pg"


def strimzi_policy(kafka: Obj) -> Obj:
    """The NetworkPolicy Strimzi writes for the broker pods of `kafka`: each listener's port
    from its `networkPolicyPeers` (from anywhere when there are none), and the control-plane
    and replication ports from the brokers and Strimzi's own operators."""
    name = kafka["metadata"]["name"]
    brokers = {"strimzi.io/cluster": name, "strimzi.io/kind": "Kafka"}
    ingress: list[Obj] = [
        {
            "from": [
                {"podSelector": {"matchLabels": brokers}},
                {"podSelector": {"matchLabels": {"strimzi.io/name": f"{name}-entity-operator"}}},
                {
                    "namespaceSelector": {},
                    "podSelector": {"matchLabels": {"strimzi.io/kind": "cluster-operator"}},
                },
            ],
            "ports": [{"port": 9090, "protocol": "TCP"}, {"port": 9091, "protocol": "TCP"}],
        }
    ]
    for listener in kafka["spec"]["kafka"]["listeners"]:
        rule: Obj = {"ports": [{"port": listener["port"], "protocol": "TCP"}]}
        if "networkPolicyPeers" in listener:
            rule["from"] = listener["networkPolicyPeers"]
        ingress.append(rule)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"{name}-network-policy-kafka", "namespace": NAMESPACE},
        "spec": {
            "podSelector": {"matchLabels": {**brokers, "strimzi.io/name": f"{name}-kafka"}},
            "policyTypes": ["Ingress"],
            "ingress": ingress,
        },
    }


def policies_of(objects: list[Obj]) -> list[Obj]:
    return [
        *by_kind(objects, "NetworkPolicy").values(),
        *(strimzi_policy(k) for k in by_kind(objects, "Kafka").values()),
    ]


def _pod(name: str, n: int, namespace: str, labels: dict[str, str], **ports: int) -> Peer:
    return Peer(
        name, f"10.244.0.{n}", namespace, labels, {k.replace("_", "-"): v for k, v in ports.items()}
    )


def cluster(objects: list[Obj]) -> dict[str, Peer]:
    """The pods of the rendered manifests, the operators' pods, and addresses outside."""
    peers: dict[str, Peer] = {}
    for n, (name, deployment) in enumerate(by_kind(objects, "Deployment").items(), start=10):
        template = deployment["spec"]["template"]
        ports = {
            p["name"]: p["containerPort"] for p in pod_spec(deployment)["containers"][0]["ports"]
        }
        peers[name] = Peer(name, f"10.244.0.{n}", NAMESPACE, template["metadata"]["labels"], ports)
    # A service added later, labelled like the others: the policies must cover it unchanged.
    routing_labels = dict(peers["routing"].labels)
    peers["knowledge"] = _pod(
        "knowledge",
        30,
        NAMESPACE,
        {
            **routing_labels,
            "app.kubernetes.io/name": "knowledge",
            "app.kubernetes.io/component": "knowledge",
        },
        http=8005,
    )
    strimzi = {
        "strimzi.io/cluster": KAFKA_CLUSTER,
        "strimzi.io/kind": "Kafka",
        "strimzi.io/name": f"{KAFKA_CLUSTER}-kafka",
        "strimzi.io/pool-name": "dual-role",
        "strimzi.io/broker-role": "true",
        "app.kubernetes.io/name": "kafka",
        "app.kubernetes.io/instance": KAFKA_CLUSTER,
        "app.kubernetes.io/part-of": f"strimzi-{KAFKA_CLUSTER}",
        "app.kubernetes.io/managed-by": "strimzi-cluster-operator",
    }
    peers["kafka"] = _pod(
        "kafka",
        40,
        NAMESPACE,
        strimzi,
        tcp_ctrlplane=9090,
        tcp_replication=9091,
        tcp_clients=9092,
        tcp_clientstls=9093,
    )
    peers["kafka-2"] = _pod(
        "kafka-2", 41, NAMESPACE, strimzi, tcp_replication=9091, tcp_clients=9092
    )
    peers["entity-operator"] = _pod(
        "entity-operator",
        42,
        NAMESPACE,
        {
            "strimzi.io/cluster": KAFKA_CLUSTER,
            "strimzi.io/kind": "Kafka",
            "strimzi.io/name": f"{KAFKA_CLUSTER}-entity-operator",
        },
    )
    for n, role in ((50, "primary"), (51, "replica")):
        peers[f"pg-{role}"] = _pod(
            f"pg-{role}",
            n,
            NAMESPACE,
            {
                "cnpg.io/cluster": PG_CLUSTER,
                "cnpg.io/instanceRole": role,
                "cnpg.io/podRole": "instance",
                "role": role,
            },
            postgresql=5432,
            status=8000,
            metrics=9187,
        )
    outside = {
        "cnpg-operator": _pod(
            "cnpg-operator", 60, "cnpg-system", {"app.kubernetes.io/name": "cloudnative-pg"}
        ),
        "ingress-controller": _pod(
            "ingress-controller",
            61,
            "ingress-nginx",
            {
                "app.kubernetes.io/name": "ingress-nginx",
                "app.kubernetes.io/component": "controller",
            },
        ),
        "prometheus": _pod(
            "prometheus", 62, "monitoring", {"app.kubernetes.io/name": "prometheus"}
        ),
        "kube-dns": _pod(
            "kube-dns", 63, "kube-system", {"k8s-app": "kube-dns"}, dns=53, dns_tcp=53
        ),
        # `kubectl run` in the namespace, and any pod of another application.
        "debug-pod": _pod("debug-pod", 64, NAMESPACE, {"run": "debug"}),
        "stranger": _pod("stranger", 65, "default", {"app": "web"}),
        # Addresses outside the cluster (documentation ranges).
        "mail-relay": Peer("mail-relay", "192.0.2.25"),
        "estate": Peer("estate", "198.51.100.10"),
        "internet": Peer("internet", "203.0.113.7"),
    }
    return {**peers, **outside}


# --------------------------------------------------------------------------- the table

BEHIND_GATEWAY = [s for s in SERVICES if s != GATEWAY]
HTTP = {**SERVICES, "knowledge": 8005}
#: (from, to, port, protocol, allowed); "relay" stands for HOTRO_SMTP_RELAY's port.
TABLE: list[tuple[str, str, int | str, str, bool]] = [
    # The gateway is the door: the ingress controller, the mail relay, anyone.
    ("ingress-controller", "intake", 8000, "TCP", True),
    ("internet", "intake", 8000, "TCP", True),
    ("mail-relay", "intake", SMTP_PORT, "TCP", True),
    ("stranger", "intake", 8000, "TCP", True),
    ("internet", "intake", 9999, "TCP", False),
    # The services behind it answer the gateway only (and Prometheus, for /metrics).
    *((GATEWAY, s, HTTP[s], "TCP", True) for s in [*BEHIND_GATEWAY, "knowledge"]),
    *(
        (p, s, HTTP[s], "TCP", False)
        for s in BEHIND_GATEWAY
        for p in ("ingress-controller", "internet", "stranger", "debug-pod", "kafka", "pg-primary")
    ),
    ("routing", "escalation", 8002, "TCP", False),
    ("reporting", "routing", 8001, "TCP", False),
    ("monitoring", "knowledge", 8005, "TCP", False),
    ("intake", "routing", 8002, "TCP", False),
    ("prometheus", "routing", 8001, "TCP", True),
    ("prometheus", "intake", 8000, "TCP", True),
    ("prometheus", "pg-primary", 5432, "TCP", False),
    # PostgreSQL: the services, the instances among themselves, the operator.
    *((s, "pg-primary", 5432, "TCP", True) for s in SERVICES),
    ("routing", "pg-replica", 5432, "TCP", True),
    ("intake", "pg-primary", 8000, "TCP", False),
    ("pg-replica", "pg-primary", 5432, "TCP", True),
    ("cnpg-operator", "pg-primary", 8000, "TCP", True),
    ("cnpg-operator", "pg-replica", 5432, "TCP", True),
    ("stranger", "pg-primary", 5432, "TCP", False),
    ("debug-pod", "pg-primary", 5432, "TCP", False),
    ("ingress-controller", "pg-primary", 5432, "TCP", False),
    ("kafka", "pg-primary", 5432, "TCP", False),
    ("internet", "pg-primary", 5432, "TCP", False),
    # Kafka: the services on the client listener; the brokers and operators among themselves.
    *((s, "kafka", 9092, "TCP", True) for s in SERVICES),
    ("intake", "kafka", 9091, "TCP", False),
    ("stranger", "kafka", 9092, "TCP", False),
    ("debug-pod", "kafka", 9093, "TCP", False),
    ("pg-primary", "kafka", 9092, "TCP", False),
    ("kafka-2", "kafka", 9091, "TCP", True),
    ("entity-operator", "kafka", 9091, "TCP", True),
    # Out of the services: DNS for all, the relay for the mail senders, the estate for monitoring.
    *((s, "kube-dns", 53, "UDP", True) for s in SERVICES),
    ("reporting", "kube-dns", 53, "TCP", True),
    ("intake", "mail-relay", "relay", "TCP", True),
    ("escalation", "mail-relay", "relay", "TCP", True),
    ("routing", "mail-relay", "relay", "TCP", False),
    ("reporting", "mail-relay", "relay", "TCP", False),
    ("monitoring", "estate", 443, "TCP", True),
    ("monitoring", "estate", 993, "TCP", True),
    ("monitoring", "estate", 22, "TCP", False),
    ("monitoring", "routing", 8001, "TCP", False),
    ("intake", "estate", 443, "TCP", False),
    ("routing", "estate", 443, "TCP", False),
    ("reporting", "internet", 443, "TCP", False),
    ("escalation", "stranger", 8080, "TCP", False),
]


def _relay_port(objects: list[Obj]) -> int:
    relay = by_kind(objects, "ConfigMap")["hotro-config"]["data"]["HOTRO_SMTP_RELAY"]
    return int(relay.rpartition(":")[2] or 25)


def table_problems(objects: list[Obj]) -> list[str]:
    policies, peers = policies_of(objects), cluster(objects)
    problems = []
    for source, destination, port, protocol, expected in TABLE:
        number = _relay_port(objects) if port == "relay" else int(port)
        got = allowed(policies, peers[source], peers[destination], number, protocol)
        if got != expected:
            verdict = "allowed" if got else "refused"
            problems.append(f"{source} -> {destination}:{number}/{protocol} is {verdict}")
    return problems


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("name", OVERLAYS)
def test_every_path_of_the_table_is_as_intended(name: str) -> None:
    problems = table_problems(rendered(name))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", OVERLAYS)
def test_only_the_gateway_and_prometheus_reach_a_service_port(name: str) -> None:
    """Over every modelled pod and address, not only the table's rows."""
    objects = rendered(name)
    policies, peers = policies_of(objects), cluster(objects)
    for service in [*BEHIND_GATEWAY, "knowledge"]:
        reaching = {
            p.name
            for p in peers.values()
            if p.name != service and allowed(policies, p, peers[service], HTTP[service])
        }
        assert reaching == {GATEWAY, "prometheus"}, service
    for store, port in (("pg-primary", 5432), ("kafka", 9092)):
        reaching = {
            p.name
            for p in peers.values()
            if p.name != store and allowed(policies, p, peers[store], port)
        }
        hotro = {*SERVICES, "knowledge"}
        assert reaching - hotro <= {"pg-replica", "cnpg-operator"}, store
        assert hotro <= reaching, store


def _check_ports(checks: Obj) -> dict[str, int]:
    """check id -> the TCP port it connects to (SPEC §5: a URL, or host:port)."""
    ports = {}
    for check in checks.get("checks", []):
        target = str(check["target"])
        if check["kind"] in ("http", "login"):
            url = urlsplit(target)
            ports[check["id"]] = url.port or {"http": 80, "https": 443}[url.scheme]
        else:
            ports[check["id"]] = int(target.rpartition(":")[2])
    return ports


#: The kinds of SPEC §5, as an operator would write them.
EXAMPLE_CHECKS = """
checks:
  - {id: tabmis-web, application: TABMIS, kind: http, target: "https://tabmis.example/"}
  - {id: portal-login, application: PORTAL, kind: login, target: "http://portal.example/login"}
  - {id: mail-smtp, application: MAIL, kind: smtp, target: "mail.example:25"}
  - {id: mail-submission, application: MAIL, kind: smtp, target: "mail.example:587"}
  - {id: mail-imap, application: MAIL, kind: imap, target: "mail.example:993"}
"""


def _checks_files() -> list[tuple[str, Obj]]:
    """The example, and the repository's estate: catalog/checks.yaml with the WAN channels
    file it names (each channel is a tcp check of the district's router)."""
    files = [("example", yaml.safe_load(EXAMPLE_CHECKS))]
    real = ROOT / "catalog" / "checks.yaml"
    if real.is_file():
        estate = yaml.safe_load(real.read_text("utf-8"))
        files.append((str(real.relative_to(ROOT)), estate))
        if estate.get("wan_channels"):
            wan = yaml.safe_load((real.parent / estate["wan_channels"]).read_text("utf-8"))
            channels = [
                {"id": c["id"], "kind": "tcp", "target": c["target"]}
                for district in wan.get("districts", [])
                for c in district["channels"]
            ]
            files.append((estate["wan_channels"], {"checks": channels}))
    return files


@pytest.mark.parametrize(("label", "checks"), _checks_files(), ids=lambda v: str(v)[:20])
def test_monitoring_reaches_every_port_its_checks_use(label: str, checks: Obj) -> None:
    objects = rendered("overlays/production")
    policies, peers = policies_of(objects), cluster(objects)
    ports = _check_ports(checks)
    assert ports
    refused = {
        check: port
        for check, port in ports.items()
        if not allowed(policies, peers["monitoring"], peers["estate"], port)
    }
    assert not refused, f"{label}: monitoring-egress does not open {refused}"


# ----------------------------------------------------------------- the evaluator and its catches


def _policy(objects: list[Obj], name: str) -> Obj:
    return by_kind(objects, "NetworkPolicy")[name]["spec"]


def _open_services_to_the_namespace(objects: list[Obj]) -> None:
    _policy(objects, "services-from-gateway")["ingress"][0]["from"][0]["podSelector"] = {}


def _drop_kafka_peers(objects: list[Obj]) -> None:
    for listener in by_kind(objects, "Kafka")[KAFKA_CLUSTER]["spec"]["kafka"]["listeners"]:
        listener.pop("networkPolicyPeers")


def _drop_egress_of_the_services(objects: list[Obj]) -> None:
    objects.remove(by_kind(objects, "NetworkPolicy")["services-egress"])


def _postgres_from_any_namespace(objects: list[Obj]) -> None:
    _policy(objects, "postgres-ingress")["ingress"][0]["from"] = [{"namespaceSelector": {}}]


def _mail_from_every_service(objects: list[Obj]) -> None:
    _policy(objects, "mail-egress")["podSelector"].pop("matchExpressions")


def _drop_default_deny_and_gateway_rules(objects: list[Obj]) -> None:
    for name in ("default-deny-ingress", "services-from-gateway", "prometheus-scrape"):
        objects.remove(by_kind(objects, "NetworkPolicy")[name])


@pytest.mark.parametrize(
    "breakage",
    [
        _open_services_to_the_namespace,
        _drop_kafka_peers,
        _drop_egress_of_the_services,
        _postgres_from_any_namespace,
        _mail_from_every_service,
        _drop_default_deny_and_gateway_rules,
    ],
)
def test_the_table_catches_a_loosened_policy(breakage: object) -> None:
    objects = rendered("overlays/production")
    assert not table_problems(objects)
    broken = copy.deepcopy(objects)
    breakage(broken)  # type: ignore[operator]
    assert table_problems(broken)


def test_the_checks_port_test_catches_a_port_the_policy_lacks() -> None:
    objects = rendered("overlays/production")
    policies, peers = policies_of(objects), cluster(objects)
    [port] = _check_ports(
        yaml.safe_load('checks: [{id: db, kind: tcp, target: "db.example:50000"}]')
    ).values()
    assert not allowed(policies, peers["monitoring"], peers["estate"], port)


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ({}, {"a": "1"}, True),
        ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
        ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
        ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {}, True),
        ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1"]}]}, {}, False),
        ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"a": ""}, True),
        ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"a": ""}, False),
    ],
)
def test_label_selectors(selector: Obj, labels: dict[str, str], expected: bool) -> None:
    assert selects(selector, labels) is expected


def test_named_ports_resolve_on_the_destination_and_ip_blocks_by_family() -> None:
    web = Peer("web", "10.0.0.1", "ns", {}, {"http": 8080})
    assert port_matches([{"port": "http"}], web, 8080, "TCP")
    assert not port_matches([{"port": "http"}], web, 80, "TCP")
    assert not port_matches([{"port": 53, "protocol": "UDP"}], web, 53, "TCP")
    assert port_matches([{"port": 8000, "endPort": 8010}], web, 8005, "TCP")
    outside = Peer("x", "2001:db8::1")
    assert peer_matches({"ipBlock": {"cidr": "::/0"}}, "ns", outside)
    assert not peer_matches({"ipBlock": {"cidr": "0.0.0.0/0"}}, "ns", outside)
    assert not peer_matches(
        {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.0.0.0/24"]}}, "ns", web
    )


def test_the_policies_select_the_deployments_they_name() -> None:
    """A selector that matched no Deployment would protect nothing and pass the table."""
    objects = rendered("base")
    pods = {
        n: d["spec"]["template"]["metadata"]["labels"]
        for n, d in by_kind(objects, "Deployment").items()
    }
    expected = {
        "gateway-ingress": {GATEWAY},
        "services-from-gateway": set(BEHIND_GATEWAY),
        "prometheus-scrape": set(SERVICES),
        "services-egress": set(SERVICES),
        "gateway-egress": {GATEWAY},
        "mail-egress": {"intake", "escalation"},
        "monitoring-egress": {"monitoring"},
        "default-deny-ingress": set(SERVICES),
        "postgres-ingress": set(),
    }
    for name, policy in by_kind(objects, "NetworkPolicy").items():
        chosen = {n for n, labels in pods.items() if selects(policy["spec"]["podSelector"], labels)}
        assert chosen == expected[name], name
    assert Path(ROOT / "deploy/k8s/base/networkpolicies.yaml").is_file()
