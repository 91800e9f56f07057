"""The fuzzing harnesses as a smoke test: each runs for a few seconds (tests/fuzz/run 3).

It builds them first (clang, into build-fuzz/; scripts/test has installed clang and
libFuzzer's runtime from JXJY_PACKAGES) and fails on any finding.  The long runs are by
hand: docs/benchmarks.md."""

import subprocess

import pytest

from conftest import REPO

HARNESSES = ["fuzz-framing", "fuzz-rpc", "fuzz-config", "fuzz-import", "fuzz-validate"]


@pytest.fixture(scope="module")
def fuzz_build():
    r = subprocess.run([str(REPO / "tests/fuzz/build")], cwd=str(REPO), capture_output=True,
                       text=True, timeout=1200, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"tests/fuzz/build failed:\n{r.stdout[-3000:]}{r.stderr[-3000:]}"


@pytest.mark.parametrize("harness", HARNESSES)
def test_harness_runs_without_finding(fuzz_build, harness):
    r = subprocess.run([str(REPO / "tests/fuzz/run"), "3", harness], cwd=str(REPO),
                       capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-6000:]
    line = [l for l in r.stdout.splitlines() if l.startswith(harness + ":")]
    assert line and "no finding" in line[-1], out[-6000:]
    executions = int(line[-1].split()[1])
    assert executions > 100, line[-1]
