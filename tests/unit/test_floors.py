"""The daemon's floors (docs/design.md, "The daemon's floors"): common/ < daemon/core/ <
daemon/app/ < daemon/ssh/ < daemon/main.c.  A file includes headers of its own floor and the
floors below, never of a floor above; and the core's files include one another without a
cycle.  The build enforces the same (each floor is compiled with only its own folder and
those below on the include path, and tests/unit links the core alone); this test says which
file broke the rule, and catches a path written around the include path ("../app/x.h")."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
FLOORS = [("common", REPO / "common"), ("core", REPO / "daemon" / "core"),
          ("app", REPO / "daemon" / "app"), ("ssh", REPO / "daemon" / "ssh")]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def _files():
    """(floor index, path) of every C file; main.c is the top floor."""
    for level, (_, folder) in enumerate(FLOORS):
        for path in sorted(folder.glob("*.[ch]")):
            yield level, path
    yield len(FLOORS), REPO / "daemon" / "main.c"


def _floor_of_header():
    """Header name -> floor index, for every header a floor holds."""
    where = {}
    for level, path in _files():
        if path.suffix == ".h":
            assert path.name not in where, f"{path.name} is in two floors"
            where[path.name] = level
    return where


def _includes(path):
    return INCLUDE.findall(path.read_text(encoding="utf-8"))


def test_no_upward_include():
    where = _floor_of_header()
    names = [name for name, _ in FLOORS] + ["main.c"]
    wrong = []
    for level, path in _files():
        for inc in _includes(path):
            target = where.get(Path(inc).name)
            if ("/" in inc and inc.startswith("..")) or (target is not None and
                                                          target > level):
                wrong.append(f"{path.relative_to(REPO)} ({names[level]}) includes {inc}"
                             f" ({names[target] if target is not None else '?'})")
    assert not wrong, "includes from a lower floor to a higher one:\n" + "\n".join(wrong)


def test_daemon_folders_hold_every_file():
    """A C file directly in daemon/ (but main.c) belongs to no floor: put it in one."""
    loose = [p.name for p in (REPO / "daemon").glob("*.[ch]") if p.name != "main.c"]
    assert not loose, f"daemon/ files outside the floors: {loose}"


def test_core_includes_have_no_cycle():
    """The core's modules (a .c with its .h) include one another without a cycle."""
    core = REPO / "daemon" / "core"
    stems = {p.stem for p in core.glob("*.h")}
    edges = {}
    for path in core.glob("*.[ch]"):
        mod = path.stem if path.stem in stems else None
        if mod is None:	# a .c without a header of its own: part of the module its name starts
            mod = path.stem.split("-")[0]
        for inc in _includes(path):
            dep = Path(inc).stem
            if dep in stems and dep != mod:
                edges.setdefault(mod, set()).add(dep)
    state, cycle = {}, []

    def visit(mod, trail):
        state[mod] = "open"
        for dep in sorted(edges.get(mod, ())):
            if state.get(dep) == "open":
                cycle.append(" -> ".join(trail[trail.index(dep):] + [dep]))
            elif dep not in state:
                visit(dep, trail + [dep])
        state[mod] = "done"

    for mod in sorted(edges):
        if mod not in state:
            visit(mod, [mod])
    assert not cycle, "include cycles in the core: " + "; ".join(cycle)
