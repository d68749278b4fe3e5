"""The GPU textfile job (roles/node_exporter/files/semantik-gpu-metrics) on recorded nvidia-smi
output: two data-centre GPUs with ECC, a consumer GPU whose ECC and power fields read '[N/A]',
a driver/library version mismatch, and a kernel log with Xid errors. The written text must be
valid Prometheus exposition (promtool check metrics)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import stat
from pathlib import Path

import pytest

from tests.monitoring.promtool import ROOT, run_promtool

DATA = Path(__file__).resolve().parent / "data"
SCRIPT = ROOT / "roles" / "node_exporter" / "files" / "semantik-gpu-metrics"


@pytest.fixture(scope="module")
def gpu():
    loader = importlib.machinery.SourceFileLoader("semantik_gpu_metrics", str(SCRIPT))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _samples(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def test_two_datacentre_gpus(gpu) -> None:
    gpus = gpu.parse_query_output((DATA / "nvidia-smi-a100x2.csv").read_text())
    assert [g["index"] for g in gpus] == ["0", "1"]
    text = gpu.render(gpus, expected=2, smi_ok=True, mismatch=False, xid=0, now=1_700_000_000)
    s = _samples(text)
    assert s["semantik_gpu_count"] == 2
    assert s["semantik_gpu_expected_count"] == 2
    assert s["semantik_gpu_smi_success"] == 1
    assert s['semantik_gpu_utilization_ratio{gpu="0"}'] == pytest.approx(0.87)
    assert s['semantik_gpu_memory_used_bytes{gpu="0"}'] == 38211 * 1024 * 1024
    assert s['semantik_gpu_memory_total_bytes{gpu="1"}'] == 40960 * 1024 * 1024
    assert s['semantik_gpu_temperature_celsius{gpu="0"}'] == 63
    assert s['semantik_gpu_power_watts{gpu="0"}'] == pytest.approx(312.47)
    assert s['semantik_gpu_ecc_uncorrected_errors{gpu="1"}'] == 1
    assert s['semantik_gpu_ecc_corrected_errors{gpu="1"}'] == 2
    assert (
        'semantik_gpu_info{gpu="0",uuid="GPU-8f6a1c2e-51d4-7c3b-9a0e-2d7b6f4e9c11",'
        'name="NVIDIA A100-SXM4-40GB",driver_version="535.183.01"}' in s
    )
    assert s["semantik_gpu_xid_errors_total"] == 0


def test_na_fields_leave_their_series_out(gpu) -> None:
    gpus = gpu.parse_query_output((DATA / "nvidia-smi-rtx3060.csv").read_text())
    text = gpu.render(gpus, expected=1, smi_ok=True, mismatch=False, xid=None, now=1.0)
    s = _samples(text)
    assert s['semantik_gpu_memory_used_bytes{gpu="0"}'] == 1843 * 1024 * 1024
    assert not any(k.startswith(("semantik_gpu_power", "semantik_gpu_ecc")) for k in s)
    assert "semantik_gpu_xid_errors_total" not in s  # kernel log unreadable: no guess
    assert "N/A" not in text


def test_driver_library_mismatch(gpu) -> None:
    text = (DATA / "nvidia-smi-mismatch.txt").read_text()
    out = gpu.render(
        gpu.parse_query_output(text), expected=1, smi_ok=False,
        mismatch=bool(gpu._MISMATCH.search(text)), xid=0, now=1.0,
    )
    s = _samples(out)
    assert s["semantik_gpu_count"] == 0
    assert s["semantik_gpu_smi_success"] == 0
    assert s["semantik_gpu_driver_library_mismatch"] == 1


def test_xid_lines_are_counted(gpu) -> None:
    assert gpu.count_xid((DATA / "kernel-log-xid.txt").read_text()) == 2
    assert gpu.count_xid("NVRM: loading NVIDIA UNIX x86_64 Kernel Module\n") == 0


def test_output_is_valid_exposition(gpu, tmp_path: Path) -> None:
    for sample in ("nvidia-smi-a100x2.csv", "nvidia-smi-rtx3060.csv"):
        gpus = gpu.parse_query_output((DATA / sample).read_text())
        path = tmp_path / "gpu.prom"
        path.write_text(gpu.render(gpus, expected=1, smi_ok=True, mismatch=False, xid=3, now=5.0))
        result = run_promtool("check", "metrics", stdin=path.read_text())
        # Only lint hints about naming are tolerated; a parse error fails.
        assert "error while linting" not in result.stdout + result.stderr
        assert result.returncode in (0, 3), result.stdout + result.stderr


def test_main_runs_nvidia_smi_and_writes_atomically(gpu, tmp_path: Path, monkeypatch) -> None:
    """The whole job with a stand-in nvidia-smi that replays the recording (no GPU here) and
    checks it was asked for exactly the fields the parser maps."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "nvidia-smi"
    expected_arg = f"--query-gpu={','.join(gpu.FIELDS)}"
    fake.write_text(
        "#!/bin/sh\n"
        f'[ "$1" = "{expected_arg}" ] && [ "$2" = "--format=csv,noheader,nounits" ] || exit 2\n'
        f"cat {DATA / 'nvidia-smi-a100x2.csv'}\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    out = tmp_path / "semantik_gpu.prom"
    assert gpu.main(["--expected", "2", "--out", str(out)]) == 0
    s = _samples(out.read_text())
    assert s["semantik_gpu_count"] == 2 and s["semantik_gpu_smi_success"] == 1
    assert oct(out.stat().st_mode & 0o777) == "0o644"
    assert list(tmp_path.glob("*.tmp")) == []
