"""What the end-to-end tests share: the real jxjy TUI in a private tmux server (Tui, and
the tui fixture that makes them), logging in on its screen, and World: tests/helpers.py's
Accounts with the e2e tests' way of making units and staff."""

import csv
import io
import os
import re
import time

import pytest

from conftest import JXJY, require_binary
from helpers import DEMO_PASSWORD, Accounts, Sql, born_of, id_number, sex_code
from tmux import Tmux, char_width


class World(Accounts):
    """Rows a test module makes in its database with psql."""

    def add_unit(self, code, name, departments, region="410100"):
        """A unit with departments; returns {department name: id}."""
        return super().add_unit(code, name, region=region, departments=departments)

    def add_staff(self, unit, department_id, name, state="active", sex="male",
                  reject_reason=None, minutes_ago=0):
        """A staff account with DEMO_PASSWORD in the given state, with the registration's
        personal fields; returns (id, ID number)."""
        idn = id_number(sex)
        return super().add_staff(
            unit, name, department_id, state, idn=idn, sex=sex_code(idn),
            birth_date=born_of(idn), ethnicity="01", phone="13900001111",
            email="e2e@example.com", reject_reason=reject_reason,
            submitted_at=Sql(f"now() - interval '{minutes_ago} minutes'"))


CORNERS = "┌┐└┘"
LINES_H = "─┬┴┼"
LINES_V = "│├┤┼"
BOX_CHARS = set(CORNERS + LINES_H + LINES_V)


def screen_grid(lines, width):
    """The screen as rows of width cells: a character, or None for the right half of a
    wide one (the terminal draws it in two columns)."""
    grid = []
    for line in lines:
        row = []
        for ch in line:
            row.append(ch)
            if char_width(ch) == 2:
                row.append(None)
        row += [" "] * (width - len(row))
        grid.append(row)
    return grid


def find_boxes(grid):
    """Boxes drawn on the screen: (top, left, bottom, right) of every ┌ whose ┐ (the first on
    its row), └ (the first below in its column) and ┘ close a rectangle."""
    boxes = []
    for r, row in enumerate(grid):
        for c, ch in enumerate(row):
            if ch != "┌":
                continue
            c2 = next((k for k in range(c + 1, len(row)) if row[k] == "┐"), None)
            r2 = next((k for k in range(r + 1, len(grid)) if grid[k][c] == "└"), None)
            if c2 is None or r2 is None or grid[r2][c2] != "┘":
                continue
            boxes.append((r, c, r2, c2))
    return boxes


def screen_problems(lines, width, height):
    """What the screen check finds wrong with a screen (a list of sentences, empty when
    none): a line wider than the screen, text over a box's side, boxes drawn along each
    other's sides, text cut at the screen's right edge without "…"."""
    problems = []
    lines = (lines + [""] * height)[:height]
    for r, line in enumerate(lines):
        w = sum(char_width(ch) for ch in line)
        if w > width:
            problems.append(f"row {r} is {w} columns wide, the screen {width}")
    # The right half of a wide character is "\0" here: it is no border, no blank.
    grid = [[ch if ch is not None else "\0" for ch in row]
            for row in screen_grid(lines, width)]
    boxes = find_boxes(grid)

    def inside(r, c, box, strict):
        t, l, b, rt = box
        if strict:
            return t < r < b and l < c < rt
        return t <= r <= b and l <= c <= rt

    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1]:
                continue        # apart
            corners = lambda x: [(x[0], x[1]), (x[0], x[3]), (x[2], x[1]), (x[2], x[3])]
            if all(inside(r, c, a, True) for r, c in corners(b)) or \
                    all(inside(r, c, b, True) for r, c in corners(a)):
                continue        # one inside the other
            # A popup may stand out of a smaller box under it, crossing its sides; but one
            # inside another must not run along its side (a picker's bottom border drawn
            # over its form's).
            if all(inside(r, c, a, False) for r, c in corners(b)) or \
                    all(inside(r, c, b, False) for r, c in corners(a)):
                problems.append(f"boxes {a} and {b} (top, left, bottom, right) share a side")
    for box in boxes:
        t, l, b, rt = box
        others = [o for o in boxes if o != box]
        for r in range(t + 1, b):
            for c in (l, rt):
                if grid[r][c] in LINES_V:
                    continue
                if any(inside(r, c, o, False) for o in others):
                    continue    # a popup over it
                problems.append(f"row {r} column {c}: {grid[r][c]!r} over the side of "
                                f"the box {box}: {lines[r]!r}")
        for r in (t, b):
            for c in range(l + 1, rt):
                ch = grid[r][c]
                if ch in CORNERS + LINES_V and not any(inside(r, c, o, False) for o in others):
                    problems.append(f"row {r} column {c}: {ch!r} across the box {box}")
    for r, row in enumerate(grid):
        last = row[width - 1] if width > 0 else " "
        if last == "\0":
            last = row[width - 2]
        if last not in (" ", "…") and last not in BOX_CHARS:
            problems.append(f"row {r} runs to the screen's edge without '…': {lines[r]!r}")
    return problems


def exit_status(text):
    m = re.search(r"^EXITED=(\d+)$", text, re.M)
    return int(m.group(1)) if m else None


class Tui:
    """The jxjy TUI running in its own tmux server (tmux -L NAME), width x height."""

    def __init__(self, workdir, width=100, height=30):
        self.dir = workdir
        self.term = Tmux(workdir, width, height)
        self.width, self.height = width, height
        # Every wait checks the screen it waited for (check_screen); a test that shows a
        # screen that is not jxjy's may turn this off.  JXJY_E2E_REDRAW=1 makes every
        # wait's check a redraw check too (slower: a Ctrl-L and a second look each time).
        self.checking = True
        self.redraw = os.environ.get("JXJY_E2E_REDRAW") == "1"

    def start(self, daemon, *extra):
        require_binary(JXJY)
        self.term.send_line(f"{JXJY} {' '.join(extra)} --accept-new -k {self.dir}/known_hosts "
                            f"-p {daemon.port} localhost; echo EXITED=$?")

    def text(self):
        return self.term.screen_text()

    def lines(self):
        return self.term.screen()

    def wait(self, *needles, timeout=20, absent=()):
        """Wait until every needle (string or compiled regex) is on the screen and no
        string of absent is; return the screen's text."""
        def ok(s):
            for n in needles:
                if isinstance(n, str) and n not in s:
                    return False
                if not isinstance(n, str) and not n.search(s):
                    return False
            return not any(a in s for a in absent)
        what = " and ".join(repr(getattr(n, "pattern", n)) for n in needles)
        if absent:
            what += f" without {absent!r}"
        text = self.term.wait_for(ok, timeout=timeout, what=what)
        if self.checking:
            self.check_screen(redraw=self.redraw)
        return text

    def check_screen(self, redraw=False):
        """Assert that the screen is well drawn: no line wider than the screen, nothing over
        a box's side, no box drawn along another's side, no text cut at the right edge
        without "…" (screen_problems).  With redraw, also that Ctrl-L (jxjy repaints all,
        the terminal cleared first) changes nothing: a wide character cut in half by a
        popup, or any other cell where jxjy and the terminal disagree, shows as a
        difference.  Returns the screen's lines."""
        lines = self.lines()
        if exit_status("\n".join(lines)) is not None:
            return lines        # jxjy has gone: the shell's screen is not ours to judge
        width, height = self.term.size()
        problems = screen_problems(lines, width, height)
        if redraw and not problems:
            self.keys("C-l")
            again = lines
            for _ in range(20):
                time.sleep(0.1)
                again = self.lines()
                if again == lines:
                    break
            if again != lines:
                diff = [f"row {r}: before {a!r}\n        after  {b!r}"
                        for r, (a, b) in enumerate(zip(lines, again)) if a != b]
                problems.append("a redraw (Ctrl-L) changed the screen:\n" + "\n".join(diff))
        assert not problems, "the screen check found:\n" + "\n".join(problems) + \
            "\nthe screen:\n" + "\n".join(lines)
        return lines

    def type(self, text):
        self.term.run("send-keys", "-t", "main", "-l", text)

    def keys(self, *keys):
        self.term.send_keys(*keys)

    def line_with(self, needle):
        """The first screen line containing needle."""
        for line in self.lines():
            if needle in line:
                return line
        raise AssertionError(f"no line with {needle!r}:\n{self.text()}")

    def quit(self, status=0):
        """F10, and the shell's report of jxjy's exit status."""
        self.keys("F10")
        text = self.term.wait_for(lambda s: exit_status(s) is not None,
                                  what="jxjy to exit")
        assert exit_status(text) == status, text
        return text

    def login(self, idn, password=DEMO_PASSWORD, then=None):
        """On the login screen: type an ID number and password, press Enter, and wait for
        then (a needle of wait) when given."""
        self.wait("身份证号", "注册进度查询")
        self.type(idn)
        self.keys("Tab")
        self.type(password)
        self.keys("Enter")
        if then is not None:
            self.wait(then)

    def filter(self, text):
        """In a list: open its filter (/) and type text."""
        self.keys("/")
        self.type(text)

    def open_function(self, label):
        """Open the home list's function called label (found by its row under 功能列表)."""
        lines = self.lines()
        top = next(i for i, line in enumerate(lines) if "功能列表" in line)
        row = next(i for i, line in enumerate(lines) if i > top and label in line)
        for _ in range(row - top - 1):
            self.keys("Down")
        self.keys("Enter")

    def export_csv(self, path, default):
        """e on a list that exports CSV: the prompt (offering the file name default), path
        typed, saved; returns the file's rows, after checking its UTF-8 byte-order mark."""
        self.type("e")
        self.wait("导出", default)
        self.type(str(path))
        self.keys("Enter")
        self.wait("已保存")
        self.keys("Enter")
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), data[:16]
        return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))

    def kill(self):
        self.term.kill()


@pytest.fixture
def tui(tmp_path):
    """A factory of TUIs in their own tmux servers, killed at the end."""
    made = []

    def make(width=100, height=30):
        d = tmp_path / f"tui{len(made) + 1}"
        d.mkdir()
        t = Tui(d, width, height)
        made.append(t)
        return t

    yield make
    for t in made:
        t.kill()
