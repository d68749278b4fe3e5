"""The Grafana dashboard (roles/prometheus/files/grafana/semantik.json) imports as is: valid JSON
with a datasource input, unique panel ids, every panel on the grid, the panels the issue asks for;
and every panel's PromQL parses (each expression, with Grafana's variables replaced, is placed in a
temporary rules file that `promtool check rules` must accept) and names only metrics that
Semantik and the exporters really produce."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from tests.monitoring.promtool import ROOT, run_promtool

DASHBOARD = ROOT / "roles" / "prometheus" / "files" / "grafana" / "semantik.json"
# Grafana's variables, as a query sent to Prometheus would have them.
VARIABLES = {"$__rate_interval": "5m", "$instance": ".*"}
# Where each metric family comes from: the apps, the backup job, the exporters, the GPU job.
KNOWN_PREFIXES = (
    "semantik_webui_", "semantik_search_", "semantik_points_", "semantik_embed_",
    "semantik_backup_", "semantik_restore_drill_", "semantik_gpu_",
    "node_", "probe_", "up",
)


def _dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def _exprs(dash: dict) -> list[tuple[str, str]]:
    return [
        (p["title"], t["expr"]) for p in dash["panels"] if p["type"] != "row" for t in p["targets"]
    ]


def test_dashboard_is_importable() -> None:
    dash = _dashboard()
    assert dash["title"] and dash["uid"] and dash["schemaVersion"] >= 30
    assert [i["name"] for i in dash["__inputs"]] == ["DS_PROMETHEUS"]
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dash["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}"
            assert panel["targets"], panel["title"]


def test_dashboard_has_the_panels_asked_for() -> None:
    titles = " | ".join(p["title"].lower() for p in _dashboard()["panels"])
    for wanted in (
        "search rate", "search latency", "indexing throughput", "indexing jobs", "backup",
        "certificate days", "cpu", "memory", "disk", "gpu utilisation", "gpu memory",
    ):
        assert wanted in titles, wanted


def test_every_panel_query_parses_with_promtool(tmp_path: Path) -> None:
    rules = []
    for n, (title, expr) in enumerate(_exprs(_dashboard())):
        for name, value in VARIABLES.items():
            expr = expr.replace(name, value)
        assert "$" not in expr, f"{title}: unknown variable in {expr}"
        rules.append({"record": f"dashboard:panel_{n}", "expr": expr})
    path = tmp_path / "dashboard.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = run_promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout


def test_a_broken_query_would_be_caught(tmp_path: Path) -> None:
    path = tmp_path / "broken.rules.yml"
    path.write_text(yaml.safe_dump(
        {"groups": [{"name": "d", "rules": [{"record": "d:x", "expr": "sum(rate(up[5m])"}]}]}
    ))
    assert run_promtool("check", "rules", str(path)).returncode != 0


def test_queries_use_metrics_that_exist() -> None:
    functions = {"sum", "rate", "increase", "histogram_quantile", "time", "max", "min", "avg",
                 "count", "vector", "by", "or", "le", "mode", "instance", "outcome", "status"}
    for title, expr in _exprs(_dashboard()):
        bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\"[^\"]*\"", "", expr)
        names = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", bare)) - functions
        for name in names:
            assert name.startswith(KNOWN_PREFIXES), f"{title}: unknown metric {name}"
