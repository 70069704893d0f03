"""The deployment files agree with the code: docker-compose.yml, the Dockerfile, the Prometheus
configs and the Grafana provisioning and dashboard.

No Docker needed: the files are parsed and compared with `streams/settings.py` (the env vars it
reads, its ports and topic names) and `streams/metrics.py` (the metric and label names). When
`promtool` is on PATH (Debian: `apt-get install prometheus`) the Prometheus configs and every
dashboard expression are also checked by it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import fields
from pathlib import Path

import pytest
import yaml  # PyYAML: in the `test` extra

from streams.metrics import Metrics
from streams.settings import Settings, Topics

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
PROMETHEUS = ROOT / "deploy/prometheus/prometheus.yml"
PROMETHEUS_LOCAL = ROOT / "deploy/prometheus/prometheus-local.yml"
GRAFANA = ROOT / "deploy/grafana"
DASHBOARD = GRAFANA / "dashboards/copydesk.json"
DATASOURCE_UID = "copydesk-prometheus"

EXPECTED_SERVICES = {"kafka", "topics", "worker-1", "worker-2", "prometheus", "grafana", "crawler"}
WORKERS = ("worker-1", "worker-2")
#: Labels Prometheus itself attaches (and `worker`, from deploy/prometheus/*.yml) besides the
#: labels declared in streams/metrics.py.
TARGET_LABELS = {"job", "instance", "worker", "le", "__name__"}


# ---------------------------------------------------------------- helpers


def load_yaml(path: Path) -> dict:
    with path.open(encoding="utf-8") as f:
        data = yaml.safe_load(f)
    assert isinstance(data, dict), f"{path} is not a YAML mapping"
    return data


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_yaml(COMPOSE)


@pytest.fixture(scope="module")
def services(compose: dict) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def volume_mounts(service: dict) -> list[tuple[str, str, str]]:
    """(type, source, target) of every volume entry, short or long syntax."""
    mounts = []
    for entry in service.get("volumes") or []:
        if isinstance(entry, dict):
            mounts.append((entry.get("type", "volume"), str(entry.get("source", "")), str(entry["target"])))
            continue
        parts = entry.split(":")
        source, target = (parts[0], parts[1]) if len(parts) > 1 else ("", parts[0])
        kind = "bind" if source.startswith((".", "/", "~")) else "volume"
        mounts.append((kind, source, target))
    return mounts


def published_ports(service: dict) -> list[tuple[str, int, int]]:
    """(host ip, host port, container port) of every published port."""
    out = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            out.append((str(entry.get("host_ip", "")), int(entry["published"]), int(entry["target"])))
            continue
        spec = str(entry).split("/")[0]
        parts = spec.split(":")
        assert len(parts) in (2, 3), f"port {entry!r} publishes no fixed host port"
        ip = parts[0] if len(parts) == 3 else ""
        out.append((ip, int(parts[-2]), int(parts[-1])))
    return out


def settings_env_names() -> set[str]:
    """Every environment variable `Settings.from_env` reads, from the source of settings.py."""
    source = (ROOT / "streams/settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r"\"((?:COPYDESK|KAFKA)_[A-Z0-9_]+)\"", source))
    # The per-topic overrides are built in an f-string: COPYDESK_TOPIC_{field.upper()}.
    assert 'f"COPYDESK_TOPIC_{f.name.upper()}"' in source, "settings.py no longer builds topic overrides this way"
    names |= {f"COPYDESK_TOPIC_{f.name.upper()}" for f in fields(Topics)}
    return names


def defined_metrics() -> dict[str, tuple[str, ...]]:
    """Metric name -> label names, for every metric declared in streams/metrics.py."""
    source = (ROOT / "streams/metrics.py").read_text(encoding="utf-8")
    declared = set(re.findall(r"(?:Counter|Gauge|Histogram|Summary|Info|Enum)\(\s*\"([a-zA-Z_:][a-zA-Z0-9_:]*)\"", source))
    metrics = Metrics("0+test")
    labels: dict[str, tuple[str, ...]] = {}
    for value in vars(metrics).values():
        labelnames = getattr(value, "_labelnames", None)
        if labelnames is None:
            continue
        name = value._name
        if value._type == "counter" and not name.endswith("_total"):
            name += "_total"  # prometheus_client strips the suffix from a counter's _name
        labels[name] = tuple(labelnames)
    assert declared and set(labels) == declared, (declared, set(labels))
    return labels


_PROMQL_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
    "offset", "inf", "nan",
}


def promql_metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression selects (function names, labels and keywords removed)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals (label values, regexes)
    e = re.sub(r"\{[^}]*\}", " ", e)  # label matchers
    e = re.sub(r"\[[^\]]*\]", " ", e)  # range and subquery selectors
    e = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    found = set()
    for m in re.finditer(r"(?<![\w$.:])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", e):
        if m.group(1).lower() not in _PROMQL_KEYWORDS:
            found.add(m.group(1))
    return found


def promql_label_names(expr: str) -> set[str]:
    """Label names an expression matches on or groups by."""
    names = set()
    for group in re.findall(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", expr):
        names |= {n.strip() for n in group.split(",") if n.strip()}
    for matchers in re.findall(r"\{([^}]*)\}", re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)):
        names |= set(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", matchers))
    return names


def metric_is_defined(name: str, defined: dict[str, tuple[str, ...]]) -> bool:
    if name in defined or name.startswith("process_"):
        return True
    base = re.sub(r"_(?:bucket|sum|count)$", "", name)
    return base != name and base in defined


def all_panels(dashboard: dict) -> list[dict]:
    out = []
    for panel in dashboard.get("panels", []):
        out.append(panel)
        out.extend(panel.get("panels", []))  # panels inside collapsed rows
    return out


def dashboard_exprs(dashboard: dict) -> list[tuple[str, str]]:
    """(panel title, expr) of every query in the dashboard, template variables included."""
    exprs = [(p.get("title", "?"), t["expr"]) for p in all_panels(dashboard) for t in p.get("targets", []) if "expr" in t]
    for var in dashboard.get("templating", {}).get("list", []):
        if var.get("type") == "query":
            query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
            m = re.fullmatch(r"label_values\(\s*(.+?)\s*,\s*[a-zA-Z_]\w*\s*\)", query)
            assert m, f"variable {var['name']}: unexpected query {query!r}"
            exprs.append((f"variable {var['name']}", m.group(1)))
    return exprs


def grafana_to_promql(expr: str) -> str:
    """Replace Grafana's variables so that promtool can parse the expression."""
    for var, value in (("$__rate_interval", "1m"), ("$__interval", "1m"), ("$__range", "1h")):
        expr = expr.replace(var, value)
    return re.sub(r"\$\{?\w+\}?", ".*", expr)


def compose_target(service: dict, source: str) -> str | None:
    for _kind, src, target in volume_mounts(service):
        if (ROOT / src).resolve() == (ROOT / source).resolve():
            return target
    return None


# ---------------------------------------------------------------- docker-compose.yml


def test_compose_has_the_expected_services(services: dict) -> None:
    assert EXPECTED_SERVICES <= set(services), EXPECTED_SERVICES - set(services)
    assert services["kafka"]["image"] == "apache/kafka:4.0.2"
    assert services["topics"]["image"] == services["kafka"]["image"]
    for name in (*WORKERS, "crawler"):
        assert services[name]["build"]["context"] == ".", name
        assert (ROOT / services[name]["build"].get("dockerfile", "Dockerfile")).is_file()
    assert services["prometheus"]["image"].startswith("prom/prometheus")
    assert services["grafana"]["image"].startswith("grafana/grafana")


def test_every_bind_mount_exists_and_every_named_volume_is_declared(compose: dict, services: dict) -> None:
    declared = set(compose.get("volumes") or {})
    binds = 0
    for name, service in services.items():
        for kind, source, target in volume_mounts(service):
            if kind == "bind":
                binds += 1
                assert not Path(source).is_absolute(), f"{name}: {source} is outside the repo"
                assert (ROOT / source).exists(), f"{name} mounts {source}, which is not in the repo"
            elif source:
                assert source in declared, f"{name}: named volume {source} is not declared"
    assert binds >= 4  # prometheus.yml, grafana provisioning and dashboards, samples


def test_workers_keep_their_data_in_their_own_volume(services: dict) -> None:
    sources = []
    for name in WORKERS:
        data_dir = environment(services[name])["COPYDESK_DATA_DIR"]
        volumes = [src for kind, src, target in volume_mounts(services[name]) if kind == "volume" and target == data_dir]
        assert len(volumes) == 1, f"{name}: no named volume on {data_dir}"
        sources += volumes
    assert len(set(sources)) == len(WORKERS), "workers share a data volume"


def test_copydesk_containers_set_only_env_vars_that_settings_reads(services: dict) -> None:
    known = settings_env_names()
    assert {"KAFKA_BOOTSTRAP_SERVERS", "COPYDESK_DATA_DIR", "COPYDESK_METRICS_PORT"} <= known  # the grep works
    for name in (*WORKERS, "crawler"):
        env = environment(services[name])
        unknown = set(env) - known
        assert not unknown, f"{name} sets {sorted(unknown)}, which streams/settings.py never reads"
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"


def test_worker_env_takes_effect_in_settings(services: dict) -> None:
    for name in WORKERS:
        env = environment(services[name])
        settings = Settings.from_env(env)
        assert settings.bootstrap_servers == "kafka:9092"
        assert settings.metrics_host == "0.0.0.0" and settings.web_host == "0.0.0.0"
        assert settings.data_dir == "/var/lib/copydesk"
        assert settings.log_format == "json"


def test_worker_ports_and_healthcheck_match_settings(services: dict) -> None:
    for name in WORKERS:
        service = services[name]
        settings = Settings.from_env(environment(service))
        container_ports = {target for _ip, _host, target in published_ports(service)}
        assert container_ports == {settings.metrics_port, settings.web_port}, name
        test = service["healthcheck"]["test"]
        command = " ".join(test) if isinstance(test, list) else test
        assert f":{settings.web_port}/healthz" in command, command
        assert "urllib" in command  # python:3.11-slim has no curl


def test_host_ports_do_not_collide(services: dict) -> None:
    seen: dict[tuple[str, int], str] = {}
    for name, service in services.items():
        for ip, host, _target in published_ports(service):
            for key in ((ip, host), ("", host)):
                assert key not in seen, f"host port {host} is published by {seen[key]} and {name}"
            seen[(ip, host)] = name
    assert len(seen) >= 7


def test_startup_order(services: dict) -> None:
    def depends(name: str) -> dict:
        deps = services[name].get("depends_on") or {}
        return {d: "service_started" for d in deps} if isinstance(deps, list) else {d: c["condition"] for d, c in deps.items()}

    assert depends("topics")["kafka"] == "service_healthy"
    for name in (*WORKERS, "crawler"):
        assert depends(name)["topics"] == "service_completed_successfully", name
    assert "kafka-broker-api-versions.sh" in " ".join(services["kafka"]["healthcheck"]["test"])


def test_kafka_is_a_single_kraft_node_with_internal_and_host_listeners(services: dict) -> None:
    env = environment(services["kafka"])
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    listeners = dict(item.split("://", 1) for item in env["KAFKA_LISTENERS"].split(","))
    advertised = dict(item.split("://", 1) for item in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    protocols = dict(item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    controller = env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert set(listeners) == set(protocols) and controller in listeners and controller not in advertised
    assert set(advertised) == set(listeners) - {controller}
    assert "kafka:9092" in advertised.values()
    host_listener = next(n for n, a in advertised.items() if a.startswith("localhost:"))
    host_port = int(advertised[host_listener].split(":")[1])
    assert listeners[host_listener].endswith(f":{host_port}")
    assert host_port in {host for _ip, host, _t in published_ports(services["kafka"])}
    for key in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    ):
        assert env[key] == "1", key
    assert env["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"] == "0"


def test_topics_service_creates_the_topics_settings_names(services: dict) -> None:
    command = services["topics"]["command"]
    script = "\n".join(command) if isinstance(command, list) else command
    settings = Settings()
    for topic in (settings.topics.raw, *settings.topics.outputs().values()):
        assert re.search(rf"(?<![\w.-]){re.escape(topic)}(?![\w.-])", script), f"topic {topic} is not created"
    assert f"--partitions {settings.partitions}" in script
    assert f"--replication-factor {settings.replication_factor}" in script
    assert "--if-not-exists" in script and "kafka:9092" in script
    # the topics the workers would create themselves take pages up to COPYDESK_MAX_PAYLOAD_BYTES
    assert f"--config max.message.bytes={settings.stage.max_record_bytes}" in script


def test_kubernetes_example_keeps_state_per_pod_and_probes_health() -> None:
    docs = [d for d in yaml.safe_load_all((ROOT / "deploy/k8s/copydesk.yaml").read_text(encoding="utf-8")) if d]
    by_kind = {d["kind"]: d for d in docs}
    sts = by_kind["StatefulSet"]
    (container,) = sts["spec"]["template"]["spec"]["containers"]
    config = by_kind["ConfigMap"]["data"]
    settings = Settings.from_env({k: str(v) for k, v in config.items() if k != "KAFKA_SASL_USERNAME"} | {"KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"})
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts[sts["spec"]["volumeClaimTemplates"][0]["metadata"]["name"]] == settings.data_dir
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"metrics": settings.metrics_port, "web": settings.web_port}
    assert settings.metrics_host == settings.web_host == "0.0.0.0"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert sts["spec"]["replicas"] <= settings.partitions


def test_crawler_replays_the_samples(services: dict) -> None:
    crawler = services["crawler"]
    command = crawler["command"]
    command = command if isinstance(command, list) else command.split()
    assert command[0] == "produce"
    target = compose_target(crawler, "./samples")
    assert target is not None and command[1] == f"{target}/raw.jsonl"
    assert any(t == target and ":ro" in str(v) for v in crawler["volumes"] for _k, _s, t in volume_mounts({"volumes": [v]}))


# ---------------------------------------------------------------- Dockerfile


def test_dockerfile_runs_copydesk_as_non_root() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    stages = re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE)
    assert stages and all(s == "python:3.11-slim" for s in stages), stages
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert re.search(r'^ENTRYPOINT \["copydesk"\]$', text, re.MULTILINE)
    assert re.search(r'^CMD \["worker"\]$', text, re.MULTILINE)
    exposed = {int(p) for line in re.findall(r"^EXPOSE\s+(.+)$", text, re.MULTILINE) for p in line.split()}
    defaults = Settings()
    assert exposed == {defaults.metrics_port, defaults.web_port}
    assert re.search(r'^VOLUME \["/var/lib/copydesk"\]$', text, re.MULTILINE)


def test_dockerignore_keeps_local_state_out_of_the_context() -> None:
    entries = {line.strip().rstrip("/") for line in DOCKERIGNORE.read_text().splitlines() if line.strip() and not line.startswith("#")}
    assert {".venv", ".cache", "var", ".git", "tests/data"} <= entries
    for needed in ("pyproject.toml", "streams", "processors", "schemas"):
        assert needed not in entries, needed


# ---------------------------------------------------------------- Prometheus


def scrape_targets(path: Path) -> dict[str, set[str]]:
    config = load_yaml(path)
    return {
        job["job_name"]: {t for sc in job.get("static_configs", []) for t in sc["targets"]}
        for job in config["scrape_configs"]
    }


def test_prometheus_scrapes_both_workers_every_5s(services: dict) -> None:
    config = load_yaml(PROMETHEUS)
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "copydesk")
    assert job.get("scrape_interval", config["global"]["scrape_interval"]) == "5s"
    expected = {f"{name}:{Settings.from_env(environment(services[name])).metrics_port}" for name in WORKERS}
    assert scrape_targets(PROMETHEUS)["copydesk"] == expected
    assert compose_target(services["prometheus"], "./deploy/prometheus/prometheus.yml") == "/etc/prometheus/prometheus.yml"


def test_local_prometheus_scrapes_the_default_metrics_address() -> None:
    settings = Settings()
    assert scrape_targets(PROMETHEUS_LOCAL)["copydesk"] == {f"127.0.0.1:{settings.metrics_port}"}


@pytest.mark.parametrize("path", [PROMETHEUS, PROMETHEUS_LOCAL], ids=lambda p: p.name)
def test_promtool_accepts_the_prometheus_config(path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not on PATH (Debian/Ubuntu: apt-get install prometheus)")
    result = subprocess.run([promtool, "check", "config", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------- Grafana


def test_grafana_datasource_has_the_fixed_uid(services: dict) -> None:
    config = load_yaml(GRAFANA / "provisioning/datasources/prometheus.yml")
    (source,) = config["datasources"]
    assert source["uid"] == DATASOURCE_UID and source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    assert "prometheus" in services


def test_grafana_provisions_the_mounted_dashboards(services: dict) -> None:
    grafana = services["grafana"]
    assert compose_target(grafana, "./deploy/grafana/provisioning") == "/etc/grafana/provisioning"
    dashboards_dir = compose_target(grafana, "./deploy/grafana/dashboards")
    (provider,) = load_yaml(GRAFANA / "provisioning/dashboards/copydesk.yml")["providers"]
    assert provider["type"] == "file" and provider["options"]["path"] == dashboards_dir
    env = environment(grafana)
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "true" and env["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"


def test_dashboard_has_no_import_placeholders(dashboard: dict) -> None:
    text = DASHBOARD.read_text(encoding="utf-8")
    assert "__inputs" not in dashboard and "__requires" not in dashboard
    assert "${DS_" not in text
    assert dashboard["uid"] and dashboard["title"]


def test_every_dashboard_query_uses_the_datasource_variable(dashboard: dict) -> None:
    """No data source uid is baked in: the dashboard imports into any Grafana, whose data source
    the `datasource` variable picks (the default Prometheus unless chosen)."""
    variables = {var["name"]: var for var in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    chosen = {"type": "prometheus", "uid": "${datasource}"}
    queried = 0
    for panel in all_panels(dashboard):
        targets = panel.get("targets", [])
        if not targets:
            continue
        assert panel["datasource"] == chosen, panel["title"]
        for target in targets:
            queried += 1
            assert target.get("datasource") == chosen, (panel["title"], target)
    for var in variables.values():
        if var.get("type") == "query":
            assert var["datasource"] == chosen, var["name"]
    assert DATASOURCE_UID not in DASHBOARD.read_text(encoding="utf-8")
    assert queried >= 20


def test_every_dashboard_selector_is_filtered_by_job_and_worker(dashboard: dict) -> None:
    """Prometheus servers scrape more than copydesk: every series the dashboard reads is chosen by
    the `job` variable (default `copydesk`) and the `worker` one, and by no topic name, since the
    input topic may be a crawler's own."""
    variables = {var["name"]: var for var in dashboard["templating"]["list"]}
    assert variables["job"]["current"]["value"] == "copydesk"
    assert "$job" in variables["worker"]["definition"]
    for title, expr in dashboard_exprs(dashboard):
        if title.startswith("variable "):
            continue  # the variables' own queries list what there is to choose from
        selectors = re.findall(r"\b([a-z_:]+)(\{[^}]*\})?\s*(?=\[|\)|$| )", expr)
        metrics = [(name, sel) for name, sel in selectors if name.startswith(("copydesk_", "process_"))]
        assert metrics, (title, expr)
        for name, selector in metrics:
            assert 'job=~"$job"' in selector and 'worker=~"$worker"' in selector, (title, name, expr)
        assert "topic=" not in expr and "topic!" not in expr, (title, expr)


def test_promql_parser_finds_metric_names() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, stage) (rate(copydesk_stage_duration_seconds_bucket{worker=~"$worker",'
        'stage!="x y"}[$__rate_interval]))) / on(stage) group_left sum without (topic) (foo_bar) or vector(0)'
    )
    assert promql_metric_names(expr) == {"copydesk_stage_duration_seconds_bucket", "foo_bar"}
    assert promql_label_names(expr) == {"le", "stage", "topic", "worker"}
    defined = defined_metrics()
    assert metric_is_defined("copydesk_stage_duration_seconds_bucket", defined)
    assert metric_is_defined("process_cpu_seconds_total", defined)
    assert not metric_is_defined("foo_bar", defined)
    assert not metric_is_defined("copydesk_messages_consumed_bucket", defined)


def test_dashboard_uses_only_metrics_and_labels_streams_metrics_defines(dashboard: dict) -> None:
    defined = defined_metrics()
    known_labels = TARGET_LABELS | {label for labels in defined.values() for label in labels}
    used = set()
    for title, expr in dashboard_exprs(dashboard):
        names = promql_metric_names(expr)
        assert names, f"{title}: no metric in {expr!r}"
        unknown = {n for n in names if not metric_is_defined(n, defined)}
        assert not unknown, f"{title}: {sorted(unknown)} not in streams/metrics.py"
        labels = promql_label_names(expr)
        assert labels <= known_labels, f"{title}: unknown labels {sorted(labels - known_labels)}"
        used |= names
    for panel in all_panels(dashboard):
        for target in panel.get("targets", []):
            legend = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", target.get("legendFormat", "")))
            assert legend <= known_labels, (panel["title"], legend)
    required = {
        "copydesk_messages_consumed_total",
        "copydesk_messages_produced_total",
        "copydesk_stage_duration_seconds_bucket",
        "copydesk_end_to_end_latency_seconds_bucket",
        "copydesk_dead_letters_total",
        "copydesk_stage_messages_total",
        "copydesk_dedup_verdicts_total",
        "copydesk_consumer_lag_messages",
        "copydesk_rebalances_total",
        "copydesk_table_keys",
        "copydesk_in_flight_messages",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
    }
    assert required <= used, sorted(required - used)


def test_promtool_parses_every_dashboard_expression(dashboard: dict, tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not on PATH (Debian/Ubuntu: apt-get install prometheus)")
    rules = [{"record": f"dashboard:query_{i}", "expr": grafana_to_promql(expr)} for i, (_t, expr) in enumerate(dashboard_exprs(dashboard))]
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}), encoding="utf-8")
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout + result.stderr
