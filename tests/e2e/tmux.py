"""A private tmux server for driving the real TUI: type keys, read the screen.

Each Tmux instance runs its own server (tmux -L NAME) so that tests never touch a user's
tmux, and kill() removes it.  Screens are read with capture-pane; display columns count
wide (CJK) characters as two, as the terminal does."""

import itertools
import os
import re
import subprocess
import time
import unicodedata
import warnings

_serial = itertools.count(1)

SGR = re.compile(r"\x1b\[([0-9;:]*)m")
OTHER_ESCAPE = re.compile(r"\x1b(?:\[[0-9;:?]*[A-Za-z]|\][^\x07]*\x07|[()][0-9A-Za-z])")


def char_width(ch):
    """Columns a character takes in the terminal."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text):
    return sum(char_width(c) for c in text)


def display_column(line, index):
    """The display column of line[index] (0-based)."""
    return display_width(line[:index])


class Cell:
    __slots__ = ("ch", "col", "attrs")

    def __init__(self, ch, col, attrs):
        self.ch, self.col, self.attrs = ch, col, attrs


def _apply_sgr(state, params):
    """The attribute set after an SGR sequence with params (a list of ints)."""
    state = dict(state)
    i = 0
    while i < len(params):
        p = params[i]
        if p == 0:
            state = {}
        elif p in (1, 2, 3, 4, 5, 7, 8, 9):
            state[p] = True
        elif p == 22:
            state.pop(1, None)
            state.pop(2, None)
        elif p in (23, 24, 25, 27, 28, 29):
            state.pop(p - 20, None)
        elif 30 <= p <= 37 or 90 <= p <= 97:
            state["fg"] = p
        elif 40 <= p <= 47 or 100 <= p <= 107:
            state["bg"] = p
        elif p in (39, 49):
            state.pop("fg" if p == 39 else "bg", None)
        elif p in (38, 48):
            # 38;5;N or 38;2;R;G;B
            n = 3 if params[i + 1:i + 2] == [5] else 5
            state["fg" if p == 38 else "bg"] = tuple(params[i:i + n])
            i += n - 1
        i += 1
    return state


def parse_screen(text):
    """Split capture-pane -e output into lines of cells carrying their attributes
    (a frozenset; attributes carry over from one line to the next, as tmux emits them)."""
    lines, cells, state, col, pos = [], [], {}, 0, 0
    while pos < len(text):
        m = SGR.match(text, pos)
        if m:
            params = [int(p) for p in re.split(r"[;:]", m.group(1)) if p.isdigit()]
            state = _apply_sgr(state, params or [0])
            pos = m.end()
            continue
        m = OTHER_ESCAPE.match(text, pos)
        if m:
            pos = m.end()
            continue
        ch = text[pos]
        pos += 1
        if ch == "\n":
            lines.append(cells)
            cells, col = [], 0
            continue
        cells.append(Cell(ch, col, frozenset(state.items())))
        col += char_width(ch)
    lines.append(cells)
    return lines


class Tmux:
    def __init__(self, workdir, width=100, height=30, env=None):
        self.name = f"jxjy-test-{os.getpid()}-{next(_serial)}"
        self.workdir = str(workdir)
        self.env = dict(os.environ)
        self.env.update({"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": self.workdir,
                         "PS1": "$ ", "TERM": "xterm-256color"})
        self.env.pop("TMUX", None)
        self.env.pop("JXJY_LANG", None)
        self.env.update(env or {})
        # A plain shell with a known prompt: "$ ", whoever runs the suite.
        rc = os.path.join(self.workdir, "bashrc")
        with open(rc, "w") as f:
            f.write("PS1='$ '\nunset PROMPT_COMMAND\n")
        self.run("-f", "/dev/null", "new-session", "-d", "-s", "main", "-x", str(width),
                 "-y", str(height), "-c", self.workdir,
                 f"exec bash --noprofile --rcfile {rc} -i")
        self.socket_path = None
        try:
            self.socket_path = self.run("display-message", "-p", "#{socket_path}").strip()
            self.run("set-option", "-g", "status", "off")
            self.wait_for(lambda s: s.strip() == "$", what="the shell prompt")
        except BaseException:
            self.kill()
            raise

    def run(self, *args, check=True):
        r = subprocess.run(["tmux", "-u", "-L", self.name, *args], capture_output=True,
                           text=True, timeout=15, env=self.env)
        if check and r.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {r.stderr}")
        return r.stdout

    def send_line(self, text):
        """Type text into the pane's shell and press Enter."""
        self.run("send-keys", "-t", "main", "-l", text)
        self.run("send-keys", "-t", "main", "Enter")

    def send_keys(self, *keys):
        self.run("send-keys", "-t", "main", *keys)

    def screen(self):
        """The pane's text, one string per line, trailing blanks removed."""
        return [line.rstrip() for line in
                self.run("capture-pane", "-p", "-t", "main").split("\n")]

    def screen_text(self):
        return "\n".join(self.screen())

    def cells(self):
        """The pane as lists of Cells (with attributes), one list per line."""
        return parse_screen(self.run("capture-pane", "-p", "-e", "-N", "-t", "main"))

    def size(self):
        w, h = self.run("display-message", "-p", "-t", "main",
                        "#{window_width} #{window_height}").split()
        return int(w), int(h)

    def resize(self, width, height):
        self.run("resize-window", "-t", "main", "-x", str(width), "-y", str(height))

    def wait_for(self, predicate, timeout=20, what="the expected screen"):
        """Poll the screen until predicate(text) is true; return the text."""
        if isinstance(predicate, str):
            needle = predicate
            predicate = lambda s: needle in s  # noqa: E731
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen_text()
            if predicate(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; "
                                     f"the screen:\n{text}")
            time.sleep(0.1)

    def _descendants(self):
        """PIDs of the processes started in this server's panes (the shells and below)."""
        out = self.run("list-panes", "-a", "-F", "#{pane_pid}", check=False)
        roots = {int(x) for x in (out or "").split() if x.isdigit()}
        parents = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                        parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    pass
        found, frontier = set(roots), set(roots)
        while frontier:
            frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
            found |= frontier
        return found

    def kill(self):
        """Kill the server; a process of its panes that outlives the hangup by 5 s is
        killed too, with a warning (seen: a sanitizer build stuck in LeakSanitizer's
        StopTheWorld at exit, spinning until killed)."""
        left = self._descendants()
        self.run("kill-server", check=False)
        deadline = time.monotonic() + 5
        while left and time.monotonic() < deadline:
            left = {pid for pid in left if os.path.exists(f"/proc/{pid}")}
            time.sleep(0.05)
        for pid in left:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
                os.kill(pid, 9)
                warnings.warn(f"killed pid {pid}, still running 5 s after its tmux went: {cmd}")
            except OSError:
                pass
        # tmux leaves its socket file behind.
        if self.socket_path and os.path.basename(self.socket_path) == self.name:
            try:
                os.unlink(self.socket_path)
            except OSError:
                pass
