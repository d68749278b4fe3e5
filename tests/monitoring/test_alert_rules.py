"""Semantik's alert rules, rendered as the prometheus role renders them, under promtool: the file
passes `promtool check rules`, every alert's unit tests (alerts.test.yml) pass, every alert has a
firing and a quiet case, thresholds really come from the role's variables, and a broken rule is
refused by the same check the role runs before it replaces the live file."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from tests.monitoring.promtool import render_rules, run_promtool

HERE = Path(__file__).resolve().parent
TESTS = HERE / "alerts.test.yml"


def _prepare(tmp_path: Path, **overrides: object) -> Path:
    render_rules(tmp_path, **overrides)
    shutil.copy(TESTS, tmp_path / TESTS.name)
    return tmp_path


def _alert_names(rules: Path) -> set[str]:
    groups = yaml.safe_load(rules.read_text())["groups"]
    return {r["alert"] for g in groups for r in g["rules"] if "alert" in r}


def test_rules_pass_promtool_check(tmp_path: Path) -> None:
    rules = render_rules(tmp_path)
    result = run_promtool("check", "rules", str(rules))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_alert_unit_tests_pass(tmp_path: Path) -> None:
    work = _prepare(tmp_path)
    result = run_promtool("test", "rules", TESTS.name, cwd=work)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_firing_and_a_quiet_case(tmp_path: Path) -> None:
    alerts = _alert_names(render_rules(tmp_path))
    cases = [c for t in yaml.safe_load(TESTS.read_text())["tests"] for c in t["alert_rule_test"]]
    firing = {c["alertname"] for c in cases if c.get("exp_alerts")}
    quiet = {c["alertname"] for c in cases if not c.get("exp_alerts")}
    assert alerts - firing == set(), "alerts without a firing test"
    assert alerts - quiet == set(), "alerts without a not-firing test"
    assert (firing | quiet) - alerts == set(), "tests of alerts that do not exist"
    # The list: availability, readiness, latency, jobs, backups, drills, certificate,
    # disk and the GPU failures.
    assert {
        "SemantikUnitDown", "SemantikTargetDown", "SemantikReadyzFailing", "SemantikSearchSlow",
        "SemantikIndexingJobsFailing", "SemantikBackupStale", "SemantikBackupFailed",
        "SemantikRestoreDrillFailed", "SemantikRestoreDrillStale", "SemantikCertificateExpiring",
        "SemantikDiskSpaceLow", "SemantikGpuMissing", "SemantikGpuDriverMismatch",
        "SemantikGpuMemoryHigh", "SemantikGpuXidErrors",
    } <= alerts


def test_thresholds_come_from_the_role_variables(tmp_path: Path) -> None:
    """A backup 27 h old pages with the default 26 h; with 30 h the same unit test must fail."""
    work = _prepare(tmp_path, prometheus_alert_backup_max_age_hours=30)
    result = run_promtool("test", "rules", TESTS.name, cwd=work)
    assert result.returncode != 0
    assert "SemantikBackupStale" in result.stdout + result.stderr
    assert "SemantikCertificateExpiring" not in result.stdout + result.stderr


def test_a_broken_rule_is_refused(tmp_path: Path) -> None:
    """The role installs rules with `validate: promtool check rules %s`: this is that check."""
    rules = render_rules(tmp_path)
    broken = tmp_path / "broken.yml"
    broken.write_text(rules.read_text().replace("up == 0", "up == ) 0", 1))
    result = run_promtool("check", "rules", str(broken))
    assert result.returncode != 0
