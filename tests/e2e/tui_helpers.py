"""What the end-to-end tests share: the real jxjy TUI in a private tmux server (Tui, and
the tui fixture that makes them), logging in on its screen, and World: tests/helpers.py's
Accounts with the e2e tests' way of making units and staff."""

import re

import pytest

from conftest import JXJY, require_binary
from helpers import DEMO_PASSWORD, Accounts, Sql, born_of, id_number, sex_code
from tmux import Tmux


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


def exit_status(text):
    m = re.search(r"^EXITED=(\d+)$", text, re.M)
    return int(m.group(1)) if m else None


class Tui:
    """The jxjy TUI running in its own tmux server (tmux -L NAME), width x height."""

    def __init__(self, workdir, width=100, height=30):
        self.dir = workdir
        self.term = Tmux(workdir, width, height)

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
        return self.term.wait_for(ok, timeout=timeout, what=what)

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
