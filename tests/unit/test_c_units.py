"""Runs the C unit test executables (<build>/tests/unit/test-*) and turns every TAP line
"ok N - desc" / "not ok N - desc" into its own pytest case, named after the binary and
the description.  Each binary also gets a case "<binary>: exit" that fails when it
crashed, timed out, printed no plan (or a plan that does not match), exited non-zero, or
when a sanitizer reported anything."""

import re
import subprocess

import pytest

from conftest import BUILD, sanitizer_report, unit_binaries

TAP_LINE = re.compile(r"^(not ok|ok)\s+(\d+)\s*(?:-\s*)?(.*)$")
TAP_PLAN = re.compile(r"^1\.\.(\d+)")

_cases = None


def _run(binary):
    """Run one binary; return (status or None when it timed out, stdout, stderr)."""
    try:
        r = subprocess.run([str(binary)], cwd=str(BUILD), capture_output=True,
                           timeout=120, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode("utf-8", "replace"), \
            (e.stderr or b"").decode("utf-8", "replace")
    return (r.returncode, r.stdout.decode("utf-8", "replace"),
            r.stderr.decode("utf-8", "replace"))


def _parse(name, status, out, err):
    """Cases for one binary: (id, passed, skipped, details)."""
    cases, plan, current = [], None, None
    for line in out.splitlines():
        m = TAP_LINE.match(line)
        if m:
            desc = m.group(3).strip()
            skipped = bool(re.search(r"#\s*SKIP", desc, re.I))
            current = [f"{name}: {m.group(2)} - {desc}", m.group(1) == "ok", skipped, []]
            cases.append(current)
            continue
        m = TAP_PLAN.match(line)
        if m:
            plan = int(m.group(1))
            continue
        if line.startswith("#") and current is not None:
            current[3].append(line)

    problems = []
    if status is None:
        problems.append("timed out after 120s")
    elif status < 0:
        problems.append(f"killed by signal {-status}")
    elif status != 0 and all(c[1] for c in cases):
        problems.append(f"exited {status} although every check passed")
    if plan is None:
        problems.append("printed no plan (1..N)")
    elif plan != len(cases):
        problems.append(f"planned {plan} checks but ran {len(cases)}")
    bad = sanitizer_report(out + "\n" + err)
    if bad:
        problems.append(f"sanitizer: {bad}")
    tail = "\n".join((out + "\n" + err).strip().splitlines()[-60:])
    exit_case = [f"{name}: exit", not problems, False,
                 problems + ["--- output (last lines) ---", tail] if problems else []]
    return [tuple(c[:3]) + ("\n".join(c[3]),) for c in cases] + \
        [tuple(exit_case[:3]) + ("\n".join(exit_case[3]),)]


def collect_cases():
    global _cases
    if _cases is None:
        binaries = unit_binaries()
        if not binaries:
            _cases = [("no unit test binaries", False, False,
                       f"nothing executable matches {BUILD}/tests/unit/test-*: "
                       "build first (scripts/test does)")]
        else:
            _cases = []
            for b in binaries:
                _cases += _parse(b.name, *_run(b))
    return _cases


def pytest_generate_tests(metafunc):
    if "tap_case" in metafunc.fixturenames:
        cases = collect_cases()
        metafunc.parametrize("tap_case", cases, ids=[c[0] for c in cases])


def test_unit(tap_case):
    name, passed, skipped, details = tap_case
    if skipped:
        pytest.skip(name)
    assert passed, f"{name}\n{details}"
