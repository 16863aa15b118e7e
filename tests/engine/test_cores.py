"""Worker counts follow the container's CPU quota, read from real cgroup files in a temp tree."""

from __future__ import annotations

import os
from pathlib import Path

from ingestor.engine.cores import quota_cores, usable_cores


def _proc(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "proc-cgroup"
    path.write_text(text)
    return path


def test_cgroup_v2_quota_of_a_container_namespace(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    root.mkdir()
    (root / "cpu.max").write_text("150000 100000\n")
    assert quota_cores(root, _proc(tmp_path, "0::/\n")) == 2  # 1.5 CPUs: two busy workers


def test_cgroup_v2_unlimited_and_an_ancestor_limit(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    own = root / "kubepods" / "pod1"
    own.mkdir(parents=True)
    (own / "cpu.max").write_text("max 100000\n")
    assert quota_cores(root, _proc(tmp_path, "0::/kubepods/pod1\n")) is None
    (root / "kubepods" / "cpu.max").write_text("100000 100000\n")
    assert quota_cores(root, _proc(tmp_path, "0::/kubepods/pod1\n")) == 1


def test_cgroup_v1_cfs_quota(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    own = root / "cpu,cpuacct" / "docker" / "abc"
    own.mkdir(parents=True)
    (own / "cpu.cfs_quota_us").write_text("300000\n")
    (own / "cpu.cfs_period_us").write_text("100000\n")
    proc = _proc(tmp_path, "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n")
    assert quota_cores(root, proc) == 3
    (own / "cpu.cfs_quota_us").write_text("-1\n")
    assert quota_cores(root, proc) is None


def test_usable_cores_never_exceeds_affinity_nor_quota(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    root.mkdir()
    proc = _proc(tmp_path, "0::/\n")
    assert usable_cores(root, proc) == len(os.sched_getaffinity(0))
    (root / "cpu.max").write_text("50000 100000\n")
    assert usable_cores(root, proc) == 1
    (root / "cpu.max").write_text("garbage\n")
    assert usable_cores(root, proc) == len(os.sched_getaffinity(0))
