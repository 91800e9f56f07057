"""Helpers of the accounts end-to-end tests: people with valid ID numbers, units and
administrators made by SQL, and the real jxjy TUI in a private tmux server."""

import itertools
import re
from datetime import date, timedelta

from conftest import JXJY, require_binary
from tmux import Tmux

# ISO 7064 MOD 11-2, as GB 11643 uses it.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_people = itertools.count(1)

# The Argon2id hash (libsodium crypto_pwhash_str) of DEMO_PASSWORD, as
# scripts/demo-accounts.sql stores it: gives an account made by SQL a password.
DEMO_PASSWORD = "Demo-2026-jxjy"
DEMO_HASH = ("$argon2id$v=19$m=19456,t=2,p=1$VQF/+IOqUjLdy0eXd1RXEw$"
             "HABqZBNo6Sa0Ph83FxgbQ2QOf8BTNzcPLsdBWNsg2v8")

# A password every rule accepts (not a dictionary word, no ID number, no phone).
PASSWORD = "Lan-Shan-Qiu-2026"


def check_char(first17):
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def id_number(sex="male", born=None, region="410105"):
    """A valid ID number (GB 11643 check character) of a new person of this run."""
    n = next(_people)
    if born is None:
        born = date(1970, 1, 1) + timedelta(days=(n * 53) % 12000)
    seq = 200 + (n % 300) * 2 + (1 if sex == "male" else 0)
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


def born_of(idn):
    return f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}"


def sex_code(idn):
    """1 for a man, 0 for a woman, as accounts.sex stores it."""
    return int(idn[16]) % 2


class World:
    """Rows a test module makes in its database with psql."""

    def __init__(self, postgres, dbname):
        self.pg, self.db = postgres, dbname

    def sql(self, sql):
        return self.pg.psql(self.db, sql)

    def value(self, sql):
        return self.sql(sql).strip()

    def row(self, sql):
        out = self.value(sql)
        return out.split("|") if out else None

    def add_unit(self, code, name, departments, region="410100"):
        """A unit with departments; returns {department name: id}."""
        self.sql(f"INSERT INTO units (code, name, region) VALUES ('{code}', '{name}', "
                 f"'{region}')")
        return {d: int(self.value(f"INSERT INTO departments (unit_code, name) VALUES "
                                  f"('{code}', '{d}') RETURNING id"))
                for d in departments}

    def add_admin(self, unit, name, idn=None):
        """An active unit administrator with DEMO_PASSWORD; returns (id, ID number)."""
        idn = idn or id_number()
        aid = int(self.value(
            "INSERT INTO accounts (id_number, role, state, password_hash, name, unit_code) "
            f"VALUES ('{idn}', 'unit_admin', 'active', '{DEMO_HASH}', '{name}', '{unit}') "
            "RETURNING id"))
        return aid, idn

    def add_staff(self, unit, department_id, name, state="active", sex="male",
                  reject_reason=None, minutes_ago=0):
        """A staff account with DEMO_PASSWORD in the given state; returns (id, ID number)."""
        idn = id_number(sex)
        reason = f"'{reject_reason}'" if reject_reason else "NULL"
        aid = int(self.value(
            "INSERT INTO accounts (id_number, state, password_hash, name, unit_code, "
            "department_id, sex, birth_date, ethnicity, phone, email, reject_reason, "
            f"submitted_at) VALUES ('{idn}', '{state}', '{DEMO_HASH}', '{name}', '{unit}', "
            f"{department_id}, {sex_code(idn)}, '{born_of(idn)}', '01', '13900001111', "
            f"'e2e@example.com', {reason}, now() - interval '{minutes_ago} minutes') "
            "RETURNING id"))
        return aid, idn

    def account(self, idn):
        """Some columns of an account, as a dict (None when there is none)."""
        keys = ("id", "state", "name", "unit_code", "department_id", "sex", "birth_date",
                "ethnicity", "native_place", "school", "major_code", "title_id",
                "education_level", "phone", "email", "decided_by", "reject_reason")
        row = self.row(f"SELECT {', '.join(keys)} FROM accounts WHERE id_number = '{idn}'")
        return dict(zip(keys, row)) if row else None


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

    def kill(self):
        self.term.kill()
