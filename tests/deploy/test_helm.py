"""The Helm chart lints, renders valid Kubernetes objects, and passes checkov.

Rendering is checked for the defaults and for a production-like set of values (Service-
Monitor, lag-based autoscaling, broker secrets, pinned digest), since templates hidden
behind a toggle are exactly the ones that break unnoticed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
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
CRD_KINDS = {"ServiceMonitor", "PrometheusRule", "ScaledObject"}
# A poller needs feeds (the chart refuses to render one without); every render gets one.
FEEDS = ["--set-json", 'feeds=[{"url": "https://example.org/rss.xml", "name": "Example"}]']
INIT_CONTAINER = {
    "name": "wait-for-kafka",
    "image": "busybox@sha256:" + "1" * 64,
    "command": ["true"],
    "securityContext": {
        "runAsNonRoot": True, "runAsUser": 10001, "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "50m", "memory": "32Mi"}},
}  # fmt: skip
FULL = [
    "--set", "serviceMonitor.enabled=true",
    "--set", "prometheusRule.enabled=true",
    "--set", "grafanaDashboard.enabled=true",
    "--set", "image.tag=1.2.3",
    "--set", "serviceMonitor.labels.release=kube-prometheus-stack",
    "--set", "worker.hpa.lagMetric.enabled=true",
    "--set", "kafka.sasl.existingSecret=kafka-sasl",
    "--set", "settings.kafka.security_protocol=SASL_SSL",
    "--set", "settings.kafka.sasl_mechanism=SCRAM-SHA-512",
    "--set", "kafka.tls.existingSecret=kafka-ca",
    "--set", "image.digest=sha256:" + "0" * 64,
    "--set", "priorityClassName=newswire",
    "--set-json", 'extraVolumes=[{"name": "kafka-client", "secret": {"secretName": "kafka-client-cert"}}]',
    "--set-json", 'extraVolumeMounts=[{"name": "kafka-client", "mountPath": "/etc/newswire/secrets/client", '
                  '"readOnly": true}]',
    "--set", "settings.kafka.ssl_certfile=/etc/newswire/secrets/client/tls.crt",
    "--set", "settings.kafka.ssl_keyfile=/etc/newswire/secrets/client/tls.key",
    "--set-json", 'envFrom=[{"configMapRef": {"name": "proxy-env"}}]',
    "--set-json", "initContainers=" + json.dumps([INIT_CONTAINER]),
    "--set-json", 'worker.topologySpreadConstraints=[{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", '
                  '"whenUnsatisfiable": "ScheduleAnyway"}]',
]  # fmt: skip
KEDA = ["--set", "worker.hpa.enabled=false", "--set", "worker.keda.enabled=true"]
VARIANTS = {"defaults": [], "full": FULL, "keda": KEDA}


def helm_template(*args: str, chart: Path = CHART) -> list[dict[str, Any]]:
    helm = require_tool("helm")
    out = run([helm, "template", "nw", chart, "--namespace", NAMESPACE, "--kube-version", KUBE_VERSION, *FEEDS, *args])
    return [doc for doc in yaml.safe_load_all(out) if doc]


def helm_template_error(*args: str, feeds: bool = True) -> str:
    """stderr of a render the chart must refuse (its guards or its values schema fail it)."""
    helm = require_tool("helm")
    proc = subprocess.run(
        [str(helm), "template", "nw", str(CHART), "--kube-version", KUBE_VERSION, *(FEEDS if feeds else []), *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode != 0, proc.stdout[:2000]
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
        out = run([helm, "lint", "--strict", CHART, "--kube-version", KUBE_VERSION, *FEEDS, *args])
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
    assert {"Deployment", "Service", "ConfigMap", "PodDisruptionBudget"} <= kinds
    assert len(kinds & {"HorizontalPodAutoscaler", "ScaledObject"}) == 1, "one autoscaler, HPA or KEDA's"
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
            # Credentials only ever come from Secrets mounted as files, never as env values.
            assert "SASL" not in var["name"]


def test_configmap_loads_with_newswires_own_loaders(
    rendered: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rendered settings and feed list are what the daemons will parse at start-up, so they
    are parsed here by the same code (settings reject unknown keys)."""
    from ingest.feedlist import parse_feed_list
    from newswire.settings import load_settings

    (cm,) = [d for d in by_kind(rendered, "ConfigMap") if "newswire.yaml" in d["data"]]
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

    (cm,) = [d for d in by_kind(helm_template(*FULL), "ConfigMap") if "feeds.yaml" in d["data"]]
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
    ca_volume = next(v for v in pod["volumes"] if "secret" in v and v["secret"]["secretName"] == "kafka-ca")
    ca_mount = next(m for m in container["volumeMounts"] if m["name"] == ca_volume["name"])
    env = {e["name"]: e for e in container["env"]}
    assert env["NEWSWIRE_KAFKA__SSL_CAFILE"]["value"] == ca_mount["mountPath"] + "/ca.crt"
    # SASL credentials are files in the settings' secrets dir, never environment variables.
    assert not any("SASL" in name for name in env)
    secrets = next(v for v in pod["volumes"] if v["name"] == "settings-secrets")
    (source,) = secrets["projected"]["sources"]
    assert source["secret"] == {
        "name": "kafka-sasl",
        "items": [
            {"key": "username", "path": "kafka__sasl_username"},
            {"key": "password", "path": "kafka__sasl_password"},
        ],
    }
    secrets_mount = next(m for m in container["volumeMounts"] if m["name"] == "settings-secrets")
    assert env["NEWSWIRE_SECRETS_DIR"]["value"] == secrets_mount["mountPath"]


def test_mounted_sasl_secret_is_read_by_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the projected volume puts on disk is what newswire's settings read: the Secret's
    keys land under the file names of the settings they set."""
    from newswire.settings import load_settings

    docs = helm_template(*FULL)
    (cm,) = [d for d in by_kind(docs, "ConfigMap") if d["metadata"]["name"] == "nw-newswire"]
    pod = deployment(docs, "worker")["spec"]["template"]["spec"]
    secrets = next(v for v in pod["volumes"] if v["name"] == "settings-secrets")
    secret_data = {"username": "alice", "password": "hunter2"}  # the Secret kafka-sasl
    for item in secrets["projected"]["sources"][0]["secret"]["items"]:
        (tmp_path / item["path"]).write_text(secret_data[item["key"]])
    config = tmp_path / "newswire.yaml"
    config.write_text(cm["data"]["newswire.yaml"])
    for var in list(os.environ):
        if var.startswith("NEWSWIRE_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("NEWSWIRE_SECRETS_DIR", str(tmp_path))
    settings = load_settings(config)
    assert settings.kafka.sasl_username == "alice"
    assert settings.kafka.sasl_password is not None
    assert settings.kafka.sasl_password.get_secret_value() == "hunter2"
    assert settings.kafka.ssl_certfile == "/etc/newswire/secrets/client/tls.crt"


def test_defaults_have_no_monitor_or_external_metric() -> None:
    docs = helm_template()
    assert by_kind(docs, "ServiceMonitor") == []
    assert by_kind(docs, "PrometheusRule") == by_kind(docs, "ScaledObject") == []
    assert [d["metadata"]["name"] for d in by_kind(docs, "ConfigMap")] == ["nw-newswire"]
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


# --- values schema: typos fail at render time ---------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "path", "key"),
    [
        ("worker.resorces.limits.cpu=2", "/worker", "resorces"),
        ("worker.hpa.enabeld=false", "/worker/hpa", "enabeld"),
        ("settings.kafka.bootstrap_server=x", "/settings/kafka", "bootstrap_server"),
        ("settings.poller.concurency=4", "/settings/poller", "concurency"),
        ("serviceMonitor.enable=true", "/serviceMonitor", "enable"),
    ],
)
def test_a_typo_in_values_fails_naming_the_key(setting: str, path: str, key: str) -> None:
    err = helm_template_error("--set", setting)
    assert f"at '{path}': additional properties '{key}' not allowed" in err, err


def test_a_wrong_setting_value_fails_like_the_daemon_would() -> None:
    err = helm_template_error("--set", "settings.kafka.security_protocol=TLS")
    assert "/settings/kafka/security_protocol" in err, err
    err = helm_template_error("--set", "settings.worker.batch_size=0")
    assert "/settings/worker/batch_size" in err, err


def test_a_typo_in_a_feed_entry_fails_at_render_time() -> None:
    err = helm_template_error("--set-json", 'feeds=[{"url": "https://x.example/rss", "nmae": "X"}]')
    assert "at '/feeds/0': additional properties 'nmae' not allowed" in err, err


def test_a_password_in_values_is_refused() -> None:
    """It would sit in a ConfigMap and in helm's release history: Secrets only."""
    err = helm_template_error("--set", "settings.kafka.sasl_password=hunter2")
    assert "'sasl_password' not allowed" in err


def test_values_schema_is_generated_from_the_current_settings_model() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "deploy" / "helm" / "values_schema.py"), "--check"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


def test_values_schema_settings_part_is_the_settings_model() -> None:
    from newswire.settings import KafkaSettings, Settings

    schema = json.loads((CHART / "values.schema.json").read_text())
    assert set(schema["properties"]["settings"]["properties"]) == set(Settings.model_fields)
    kafka = schema["$defs"]["KafkaSettings"]
    assert kafka["additionalProperties"] is False
    assert set(kafka["properties"]) == set(KafkaSettings.model_fields) - {"sasl_password"}


# --- rendering without flags, feeds, components --------------------------------------------------


def test_plain_helm_template_renders() -> None:
    """No --kube-version: helm assumes an old cluster, and a kubeVersion constraint failed it."""
    helm = require_tool("helm")
    out = run([helm, "template", "nw", CHART, *FEEDS])
    assert {d["kind"] for d in yaml.safe_load_all(out) if d} >= {"Deployment", "Service"}


def test_a_poller_without_feeds_is_refused() -> None:
    err = helm_template_error(feeds=False)
    assert "feeds is empty" in err and "poller.enabled=false" in err


def test_workers_only_need_no_feeds() -> None:
    helm = require_tool("helm")
    out = run([helm, "template", "nw", CHART, "--kube-version", KUBE_VERSION, "--set", "poller.enabled=false"])
    docs = [d for d in yaml.safe_load_all(out) if d]
    names = {d["metadata"]["name"] for d in docs}
    assert "nw-newswire-worker" in names
    assert not any(name.endswith("-poller") for name in names)


def test_labels_carry_the_running_version_and_pods_the_recommended_set() -> None:
    docs = helm_template("--set", "image.tag=1.2.3+build.7")
    for doc in docs:
        assert doc["metadata"]["labels"]["app.kubernetes.io/version"] == "1.2.3_build.7"
    for dep in by_kind(docs, "Deployment"):
        labels = dep["spec"]["template"]["metadata"]["labels"]
        for key in ("helm.sh/chart", "app.kubernetes.io/name", "app.kubernetes.io/instance",
                    "app.kubernetes.io/version", "app.kubernetes.io/managed-by", "app.kubernetes.io/part-of",
                    "app.kubernetes.io/component"):  # fmt: skip
            assert key in labels, key
        assert labels["app.kubernetes.io/version"] == "1.2.3_build.7"
        assert dep["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":1.2.3+build.7")


def test_extension_points_render() -> None:
    docs = helm_template(*FULL)
    for component in ("poller", "worker"):
        pod = deployment(docs, component)["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert pod["priorityClassName"] == "newswire"
        assert pod["initContainers"][0]["name"] == "wait-for-kafka"
        assert {"name": "kafka-client", "secret": {"secretName": "kafka-client-cert"}} in pod["volumes"]
        assert {"name": "kafka-client", "mountPath": "/etc/newswire/secrets/client", "readOnly": True} in container[
            "volumeMounts"
        ]
        assert container["envFrom"] == [{"configMapRef": {"name": "proxy-env"}}]
    worker = deployment(docs, "worker")["spec"]["template"]
    (spread,) = worker["spec"]["topologySpreadConstraints"]
    assert spread["topologyKey"] == "topology.kubernetes.io/zone"
    assert spread["labelSelector"]["matchLabels"].items() <= worker["metadata"]["labels"].items()
    assert spread["labelSelector"]["matchLabels"]["app.kubernetes.io/component"] == "worker"


def test_notes_work_as_written(tmp_path: Path) -> None:
    """NOTES.txt is not rendered by `helm template`; render it through a probe template."""
    chart = tmp_path / "newswire"
    shutil.copytree(CHART, chart)
    (chart / "templates" / "notes-probe.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\n"
        'data: {notes: {{ include (print $.Template.BasePath "/NOTES.txt") . | quote }}}\n'
    )
    (probe,) = [d for d in helm_template(chart=chart) if d["metadata"]["name"] == "notes"]
    notes = probe["data"]["notes"]
    assert "&& curl" not in notes, "port-forward never returns: a command after && never runs"
    forward = next(line for line in notes.splitlines() if "kubectl" in line and "port-forward" in line)
    assert forward.rstrip().endswith("&")
    assert "curl -s localhost:9108/metrics" in notes
    assert "newswire.events" in notes


# --- lag scaling --------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", [None, "prod."])
def test_hpa_lag_selector_matches_the_series_workers_export(prefix: str | None) -> None:
    from newswire.settings import load_settings
    from newswire.topics import Group, Role, topic_graph

    extra = ["--set", f"settings.topics.prefix={prefix}"] if prefix else []
    docs = helm_template("--set", "worker.hpa.lagMetric.enabled=true", *extra)
    (hpa,) = by_kind(docs, "HorizontalPodAutoscaler")
    (external,) = [m["external"] for m in hpa["spec"]["metrics"] if m["type"] == "External"]
    graph = topic_graph(load_settings(topics={"prefix": prefix or "newswire."}))
    # The labels newswire.runtime.StageLoop puts on newswire_consumer_lag for the clean stage.
    assert external["metric"]["selector"]["matchLabels"] == {
        "group": graph.group(Group.CLEAN),
        "topic": graph.name(Role.RAW),
    }


def test_keda_scaled_object_targets_the_clean_group() -> None:
    from newswire.settings import load_settings
    from newswire.topics import Group, Role, topic_graph

    docs = helm_template(*KEDA)
    assert by_kind(docs, "HorizontalPodAutoscaler") == []
    assert "replicas" not in deployment(docs, "worker")["spec"], "KEDA owns the replica count"
    (scaled,) = by_kind(docs, "ScaledObject")
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert scaled["spec"]["scaleTargetRef"]["name"] == deployment(docs, "worker")["metadata"]["name"]
    (trigger,) = scaled["spec"]["triggers"]
    graph = topic_graph(load_settings())
    assert trigger["type"] == "kafka"
    assert trigger["metadata"]["consumerGroup"] == graph.group(Group.CLEAN)
    assert trigger["metadata"]["topic"] == graph.name(Role.RAW)
    assert trigger["metadata"]["bootstrapServers"] == "kafka:9092"


def test_hpa_and_keda_together_are_refused() -> None:
    assert "KEDA creates its own HPA" in helm_template_error("--set", "worker.keda.enabled=true")


# --- alert rules and dashboard shipped with the chart -------------------------------------------


def test_chart_copies_of_rules_and_dashboard_are_current() -> None:
    """helm reads nothing outside the chart directory: the chart carries copies (make chart-files)."""
    assert (CHART / "files" / "alerts.yml").read_bytes() == (REPO / "deploy/prometheus/alerts.yml").read_bytes()
    assert (CHART / "files" / "newswire.json").read_bytes() == (REPO / "deploy/grafana/newswire.json").read_bytes()


def test_prometheus_rule_and_dashboard_configmap() -> None:
    docs = helm_template(
        "--set", "prometheusRule.enabled=true", "--set", "prometheusRule.labels.release=kps",
        "--set", "grafanaDashboard.enabled=true", "--set", "grafanaDashboard.annotations.grafana_folder=News",
    )  # fmt: skip
    (rule,) = by_kind(docs, "PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["metadata"]["labels"]["release"] == "kps"
    assert rule["spec"]["groups"] == yaml.safe_load((REPO / "deploy/prometheus/alerts.yml").read_text())["groups"]
    (dash,) = [d for d in by_kind(docs, "ConfigMap") if d["metadata"]["name"].endswith("-dashboard")]
    assert dash["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert dash["metadata"]["annotations"] == {"grafana_folder": "News"}
    assert json.loads(dash["data"]["newswire.json"]) == json.loads((REPO / "deploy/grafana/newswire.json").read_text())
