"""The Helm chart lints, renders valid Kubernetes objects, and passes checkov.

Rendering is checked for the defaults and for a production-like set of values (Service-
Monitor, lag-based autoscaling, broker secrets, pinned digest), since templates hidden
behind a toggle are exactly the ones that break unnoticed.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.data import REPO
from tests.support.tools import require_tool, run

CHART = REPO / "deploy" / "helm" / "newswire"
CHECKOV_CONFIG = REPO / "deploy" / ".checkov.yaml"
KUBE_VERSION = "1.33.0"
NAMESPACE = "newswire"
# Custom resources: their schemas are not part of Kubernetes, so kubernetes-validate has
# none (it only warns, which would hide a typo); they are checked structurally below.
CRD_KINDS = {"ServiceMonitor"}
FULL = [
    "--set", "serviceMonitor.enabled=true",
    "--set", "serviceMonitor.labels.release=kube-prometheus-stack",
    "--set", "worker.hpa.lagMetric.enabled=true",
    "--set", "kafka.sasl.existingSecret=kafka-sasl",
    "--set", "settings.kafka.security_protocol=SASL_SSL",
    "--set", "settings.kafka.sasl_mechanism=SCRAM-SHA-512",
    "--set", "kafka.tls.existingSecret=kafka-ca",
    "--set", "image.digest=sha256:" + "0" * 64,
    "--set-json", 'feeds=[{"url": "https://example.org/rss.xml", "name": "Example"}]',
]  # fmt: skip
VARIANTS = {"defaults": [], "full": FULL}


def helm_template(*args: str) -> list[dict[str, Any]]:
    helm = require_tool("helm")
    out = run([helm, "template", "nw", CHART, "--namespace", NAMESPACE, "--kube-version", KUBE_VERSION, *args])
    return [doc for doc in yaml.safe_load_all(out) if doc]


def helm_template_error(*args: str) -> str:
    """stderr of a render the chart must refuse (its guards fail the template)."""
    helm = require_tool("helm")
    proc = subprocess.run(
        [str(helm), "template", "nw", str(CHART), "--kube-version", KUBE_VERSION, *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode != 0
    return proc.stderr


@pytest.fixture(scope="module", params=list(VARIANTS))
def rendered(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return helm_template(*VARIANTS[request.param])


@pytest.fixture
def manifest_dir(rendered: list[dict[str, Any]], tmp_path: Path) -> Iterator[Path]:
    """One file per object (kubernetes-validate and checkov report per file)."""
    for i, doc in enumerate(rendered):
        (tmp_path / f"{i:02d}-{doc['kind']}-{doc['metadata']['name']}.yaml").write_text(yaml.safe_dump(doc))
    yield tmp_path


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def deployment(docs: list[dict[str, Any]], component: str) -> dict[str, Any]:
    (found,) = [d for d in by_kind(docs, "Deployment") if d["metadata"]["name"].endswith(f"-{component}")]
    return found


def test_helm_lint() -> None:
    helm = require_tool("helm")
    for args in VARIANTS.values():
        out = run([helm, "lint", "--strict", CHART, "--kube-version", KUBE_VERSION, *args])
        assert "0 chart(s) failed" in out


def test_kubernetes_validate(manifest_dir: Path) -> None:
    validator = require_tool("kubernetes-validate")
    files = sorted(p for p in manifest_dir.glob("*.yaml") if p.name.split("-")[1] not in CRD_KINDS)
    out = run([validator, "--strict", "-k", KUBE_VERSION, *files])
    assert out.count(" passed for resource ") == len(files), out
    assert "WARN" not in out and "ERROR" not in out, out


def test_kubernetes_validate_catches_a_wrong_field(tmp_path: Path) -> None:
    """Guards the check above: strict validation must reject an unknown field."""
    validator = require_tool("kubernetes-validate")
    bad = tmp_path / "bad.yaml"
    doc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {"portz": []}}
    bad.write_text(yaml.safe_dump(doc))
    proc = subprocess.run([str(validator), "--strict", "-k", KUBE_VERSION, str(bad)], capture_output=True, check=False)
    assert proc.returncode != 0


def test_checkov_passes(manifest_dir: Path) -> None:
    checkov = require_tool("checkov")
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}  # never call the vendor's API
    proc = subprocess.run(
        [
            str(checkov),
            "--config-file",
            str(CHECKOV_CONFIG),
            "-d",
            str(manifest_dir),
            "--framework",
            "kubernetes",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, report
    assert "Failed checks: 0" in report


def test_checkov_passes_on_the_dockerfile() -> None:
    checkov = require_tool("checkov")
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}
    out = subprocess.run(
        [str(checkov), "--config-file", str(CHECKOV_CONFIG), "-f", str(REPO / "deploy" / "Dockerfile"),
         "--framework", "dockerfile"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr


def test_hadolint_passes_on_the_dockerfile() -> None:
    hadolint = require_tool("hadolint")
    run([hadolint, REPO / "deploy" / "Dockerfile"])


def test_checkov_skips_are_few_and_justified() -> None:
    config = yaml.safe_load(CHECKOV_CONFIG.read_text())
    skips = config.get("skip-check", [])
    assert len(skips) <= 4
    text = CHECKOV_CONFIG.read_text()
    for check in skips:
        # Each skip is preceded by a comment giving the reason.
        before = text.split(f"- {check}")[0].rstrip().splitlines()[-1]
        assert before.strip().startswith("#"), f"{check} has no reason"


def test_default_objects(rendered: list[dict[str, Any]]) -> None:
    kinds = {d["kind"] for d in rendered}
    assert {"Deployment", "Service", "ConfigMap", "PodDisruptionBudget", "HorizontalPodAutoscaler"} <= kinds
    assert all(d["metadata"].get("namespace") == NAMESPACE for d in rendered)
    assert {d["spec"]["template"]["spec"]["containers"][0]["args"][0] for d in by_kind(rendered, "Deployment")} == {
        "poll",
        "work",
    }


def test_pod_security_and_probes(rendered: list[dict[str, Any]]) -> None:
    for dep in by_kind(rendered, "Deployment"):
        pod = dep["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert pod["automountServiceAccountToken"] is False
        assert pod["terminationGracePeriodSeconds"] == 60
        (container,) = pod["containers"]
        sc = container["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"]["drop"] == ["ALL"]
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
        assert container["ports"] == [{"name": "metrics", "containerPort": 9108, "protocol": "TCP"}]
        assert {"requests", "limits"} <= set(container["resources"])
        mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
        assert mounts["/etc/newswire/newswire.yaml"]["subPath"] == "newswire.yaml"
        assert mounts["/etc/newswire/feeds.yaml"]["subPath"] == "feeds.yaml"
        tmp = next(v for v in pod["volumes"] if v["name"] == mounts["/tmp"]["name"])
        assert "emptyDir" in tmp
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["NEWSWIRE_CONFIG"] == "/etc/newswire/newswire.yaml"
        for var in container["env"]:
            # Credentials only ever come from Secrets, never as literal values.
            assert "SASL_PASSWORD" not in var["name"] or "secretKeyRef" in var["valueFrom"]


def test_configmap_loads_with_newswires_own_loaders(
    rendered: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rendered settings and feed list are what the daemons will parse at start-up, so they
    are parsed here by the same code (settings reject unknown keys)."""
    from ingest.feedlist import parse_feed_list
    from newswire.settings import load_settings

    (cm,) = by_kind(rendered, "ConfigMap")
    config = tmp_path / "newswire.yaml"
    config.write_text(cm["data"]["newswire.yaml"])
    for var in list(os.environ):
        if var.startswith("NEWSWIRE_"):
            monkeypatch.delenv(var)
    settings = load_settings(config)
    assert settings.backend == "kafka"
    assert settings.shutdown_timeout_s == 30
    assert settings.metrics.port == 9108
    assert str(settings.poller.feeds_file) == "/etc/newswire/feeds.yaml"
    parse_feed_list(cm["data"]["feeds.yaml"], source="feeds.yaml")


def test_full_values_feeds_parse() -> None:
    from ingest.feedlist import parse_feed_list

    (cm,) = by_kind(helm_template(*FULL), "ConfigMap")
    feeds = parse_feed_list(cm["data"]["feeds.yaml"], source="feeds.yaml")
    assert [(f.url, f.name) for f in feeds] == [("https://example.org/rss.xml", "Example")]


def test_sasl_secret_requires_a_sasl_protocol() -> None:
    assert "security_protocol must be SASL_SSL or SASL_PLAINTEXT" in helm_template_error(
        "--set", "kafka.sasl.existingSecret=kafka-sasl"
    )


def test_services_expose_metrics_port(rendered: list[dict[str, Any]]) -> None:
    services = by_kind(rendered, "Service")
    assert len(services) == 2
    for svc in services:
        assert svc["spec"]["ports"] == [{"name": "metrics", "port": 9108, "targetPort": "metrics", "protocol": "TCP"}]
        component = svc["spec"]["selector"]["app.kubernetes.io/component"]
        labels = deployment(rendered, component)["spec"]["template"]["metadata"]["labels"]
        assert svc["spec"]["selector"].items() <= labels.items(), "service selects its pods"


def test_full_values_render_secrets_monitor_and_lag_scaling() -> None:
    docs = helm_template(*FULL)
    (monitor,) = by_kind(docs, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    assert monitor["spec"]["endpoints"][0]["path"] == "/metrics"
    services = {s["metadata"]["name"]: s for s in by_kind(docs, "Service")}
    selected = [
        s
        for s in services.values()
        if monitor["spec"]["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()
    ]
    assert len(selected) == 2, "the ServiceMonitor scrapes pollers and workers"

    (hpa,) = by_kind(docs, "HorizontalPodAutoscaler")
    external = [m for m in hpa["spec"]["metrics"] if m["type"] == "External"]
    assert external[0]["external"]["metric"]["name"] == "newswire_consumer_lag"
    assert "replicas" not in deployment(docs, "worker")["spec"], "the HPA owns the replica count"

    pod = deployment(docs, "worker")["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"].endswith("@sha256:" + "0" * 64)
    ca_volume = next(v for v in pod["volumes"] if "secret" in v)
    assert ca_volume["secret"]["secretName"] == "kafka-ca"
    ca_mount = next(m for m in container["volumeMounts"] if m["name"] == ca_volume["name"])
    env = {e["name"]: e for e in container["env"]}
    assert env["NEWSWIRE_KAFKA__SSL_CAFILE"]["value"] == ca_mount["mountPath"] + "/ca.crt"
    assert env["NEWSWIRE_KAFKA__SASL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "kafka-sasl",
        "key": "password",
    }
    assert env["NEWSWIRE_KAFKA__SASL_USERNAME"]["valueFrom"]["secretKeyRef"] == {
        "name": "kafka-sasl",
        "key": "username",
    }


def test_defaults_have_no_monitor_or_external_metric() -> None:
    docs = helm_template()
    assert by_kind(docs, "ServiceMonitor") == []
    (hpa,) = by_kind(docs, "HorizontalPodAutoscaler")
    assert [m["type"] for m in hpa["spec"]["metrics"]] == ["Resource"]


def test_hpa_disabled_gives_worker_replicas() -> None:
    docs = helm_template("--set", "worker.hpa.enabled=false", "--set", "worker.replicas=3")
    assert by_kind(docs, "HorizontalPodAutoscaler") == []
    assert deployment(docs, "worker")["spec"]["replicas"] == 3


def test_grace_period_must_exceed_drain_time() -> None:
    assert "must be longer than settings.shutdown_timeout_s" in helm_template_error(
        "--set", "terminationGracePeriodSeconds=30"
    )


def test_pdb_allows_evicting_unready_pods(rendered: list[dict[str, Any]]) -> None:
    pdbs = by_kind(rendered, "PodDisruptionBudget")
    assert len(pdbs) == 2
    for pdb in pdbs:
        assert pdb["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
        assert pdb["spec"]["maxUnavailable"] == 1
