"""What the tests share: the protocol's error codes, people with valid ID numbers, rows made
by SQL, logged-in sessions, SSH keys, uploads, and bounded waits.

Test modules import from here (and from conftest, which holds the daemon and the RPC
client) and never from one another.  Everything here is plain code; the fixtures live in
the conftest.py files.
"""

import base64
import fcntl
import hashlib
import itertools
import json
import os
import re
import struct
import subprocess
import termios
import threading
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import REPO, SSH_OPTIONS, RpcSession, _die_with_parent

# --- the protocol ----------------------------------------------------------------------------


def _protocol_codes():
    """{name: code} of the error codes in common/protocol.h (RPC_NOT_FOUND -> NOT_FOUND)."""
    text = (REPO / "common" / "protocol.h").read_text(encoding="utf-8")
    codes = {m.group(1): int(m.group(2))
             for m in re.finditer(r"\bRPC_([A-Z_]+)\s*=\s*(-\d+)", text)}
    assert "NOT_FOUND" in codes and "INVALID_PARAMS" in codes, "common/protocol.h changed shape"
    return codes


CODES = _protocol_codes()
# Each also by its name: NOT_FOUND, INVALID_PARAMS, LOGIN_FAILED, ...
globals().update(CODES)

# A timestamp as the daemon writes it: ISO 8601 in China Standard Time.
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
# The current year where the daemon counts it (Asia/Shanghai).
NOW = datetime.now(timezone(timedelta(hours=8))).year


def expect_error(reply, code, reason, field=None):
    """Assert reply is an error with code, reason word and (when given) field; return it."""
    assert "error" in reply, f"expected {reason}, got {reply}"
    err = reply["error"]
    assert err["code"] == code, err
    assert err["data"]["reason"] == reason, err
    if field is not None:
        assert err["data"].get("field") == field, err
    return err


def request_line(i, method, params=None):
    """The bytes of request i (a JSON-RPC line) that calls method with params."""
    req = {"jsonrpc": "2.0", "id": i, "method": method}
    if params is not None:
        req["params"] = params
    return (json.dumps(req) + "\n").encode()


# --- people ----------------------------------------------------------------------------------

# An Argon2id hash of DEMO_PASSWORD at libsodium's least cost (8 KiB, t=1): lets a test
# give an account a password by SQL.  jxjyd verifies a hash with the parameters it
# carries, so a login checks this one in microseconds instead of the tens of milliseconds
# (a second on a loaded machine) of jxjyd's own cost, which thousands of logins added up to
# minutes of the suite.  What jxjyd hashes itself (a registration, a password change, the
# dummy of an unknown account) keeps its full cost.
DEMO_PASSWORD = "Demo-2026-jxjy"
DEMO_HASH = ("$argon2id$v=19$m=8,t=1,p=1$txlcZntopnxCxzk8Eqywtg$"
             "unNCIwtdPOkF1bOqlG/WQ6AervpAwf2AREJOVdqV5Hs")
# The same password at jxjyd's cost (t=2, 19 MiB), as scripts/demo-accounts.sql stores it:
# for a test whose logins must take a real hash's time.
DEMO_HASH_FULL = ("$argon2id$v=19$m=19456,t=2,p=1$VQF/+IOqUjLdy0eXd1RXEw$"
                  "HABqZBNo6Sa0Ph83FxgbQ2QOf8BTNzcPLsdBWNsg2v8")

# A password that every rule accepts (not in cracklib's dictionary, no ID, no phone).
PASSWORD = "Lan-Shan-Qiu-2026"
# Another one, for a change of password.
NEW_PASSWORD = "Harbour-Violet-63"

# ISO 7064 MOD 11-2, as GB 11643 uses it.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_people = itertools.count(1)


def check_char(first17):
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def id_number(sex="male", born=None, region="410105", check=None):
    """A valid ID number of a new person (unique within the test run).

    born is a date (default: derived from a counter); check overrides the check character
    (to make an invalid one)."""
    n = next(_people)
    if born is None:
        born = date(1960, 1, 1) + timedelta(days=(n * 37) % 15000)
    seq = 100 + (n % 400) * 2 + (1 if sex == "male" else 0)
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + (check if check is not None else check_char(first17))


def born_of(idn):
    """The birth date written in an ID number, as YYYY-MM-DD (nonsense for a bad one)."""
    return f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}"


def sex_of(idn):
    """The sex an ID number says (odd sequence digit: male); male for a malformed one."""
    return "female" if len(idn) > 16 and idn[16] in "02468" else "male"


def sex_code(idn):
    """1 for a man, 0 for a woman, as accounts.sex stores it."""
    return int(sex_of(idn) == "male")


class Sql(str):
    """An SQL expression to write as it is (not quoted) in Accounts.insert."""


def sql_literal(v):
    """v as an SQL literal: NULL, true/false, a number, an Sql expression or a string."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, Sql)):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


class Accounts:
    """Rows a test module makes in its database with psql, and what it reads back."""

    def __init__(self, postgres, dbname, prefix=""):
        self.pg, self.db, self.prefix = postgres, dbname, prefix

    def sql(self, sql):
        return self.pg.psql(self.db, sql)

    def rows(self, sql):
        out = self.sql(sql).strip()
        return [line.split("|") for line in out.splitlines()] if out else []

    def row(self, sql):
        """The first row as a list (None when there is none)."""
        rows = self.rows(sql)
        return rows[0] if rows else None

    def value(self, sql):
        return self.sql(sql).strip()

    def insert(self, table, **columns):
        """INSERT one row of columns (values as sql_literal writes them); return its id."""
        names = ", ".join(columns)
        values = ", ".join(sql_literal(v) for v in columns.values())
        return int(self.value(f"INSERT INTO {table} ({names}) VALUES ({values}) RETURNING id"))

    def add_unit(self, code, name, region="410100", active=True, departments=("办公室",)):
        """Create a unit with departments; return {department name: id}."""
        self.sql(f"INSERT INTO units (code, name, region, active) VALUES "
                 f"('{code}', '{name}', '{region}', {str(active).lower()})")
        return {dept: self.insert("departments", unit_code=code, name=dept)
                for dept in departments}

    def add_base_class(self, form_code, created_by, base="TBASE", year=None):
        """A reported class of base (created with the base when missing) for records of
        form_code that tests insert with source 'base'; returns the class id."""
        self.sql(f"INSERT INTO bases (code, name, region) VALUES ('{base}', "
                 f"'测试继续教育基地{base}', '410100') ON CONFLICT DO NOTHING")
        form_id = self.value(f"SELECT id FROM learning_forms WHERE code = '{form_code}' "
                             "AND active")
        return int(self.value(
            "INSERT INTO base_classes (base_code, name, form_id, form_code, start_date, "
            "end_date, year, amount, state, created_by, reported_by, reported_at) VALUES "
            f"('{base}', '测试班次', {form_id}, '{form_code}', current_date, current_date, "
            f"{year or 'extract(year from current_date)'}, 2, 'reported', {created_by}, "
            f"{created_by}, now()) RETURNING id"))

    def add_admin(self, unit, name, idn=None, password_hash=DEMO_HASH):
        """An active unit administrator of unit with DEMO_PASSWORD; returns (id, ID number)."""
        idn = idn or id_number()
        aid = self.insert("accounts", id_number=idn, role="unit_admin", state="active",
                          password_hash=password_hash, name=name, unit_code=unit)
        return aid, idn

    def add_base(self, code, name, region="410100", kind="", forms=(), active=True):
        """A continuing-education base (schema 012), as `jxjyd import bases` makes one."""
        forms_sql = "ARRAY[" + ", ".join(f"'{f}'" for f in forms) + "]::text[]"
        self.sql(f"INSERT INTO bases (code, name, region, kind, forms, active) VALUES "
                 f"('{code}', '{name}', '{region}', '{kind}', {forms_sql}, "
                 f"{str(active).lower()})")

    def add_base_admin(self, base, name, idn=None, password_hash=DEMO_HASH):
        """An active administrator of base with DEMO_PASSWORD (as base_admins in the config
        makes one, with a password); returns (id, ID number)."""
        idn = idn or id_number()
        aid = self.insert("accounts", id_number=idn, role="base_admin", state="active",
                          password_hash=password_hash, name=name, base_code=base,
                          unit_code=None)
        return aid, idn

    def add_authority(self, name, scope="410000", idn=None, password_hash=DEMO_HASH):
        """An active authority administrator (人社, schema 015) reading scope (the province
        410000, or a city such as 410100) with DEMO_PASSWORD, as authority_admins in the
        config makes one with a password; returns (id, ID number)."""
        idn = idn or id_number()
        aid = self.insert("accounts", id_number=idn, role="authority", state="active",
                          password_hash=password_hash, name=name, scope_region=scope,
                          unit_code=None)
        return aid, idn

    def add_staff(self, unit, name, dept=None, state="active", idn=None, **columns):
        """A staff account of unit (and department dept) with DEMO_PASSWORD and any further
        columns; returns (id, ID number)."""
        idn = idn or id_number()
        aid = self.insert("accounts", id_number=idn, state=state, password_hash=DEMO_HASH,
                          name=name, unit_code=unit, department_id=dept, **columns)
        return aid, idn

    def accounts(self, idn):
        """Every account row (application) of an ID number as dicts, newest first."""
        keys = ("id", "state", "role", "name", "unit_code", "department_id", "sex",
                "birth_date", "ethnicity", "native_place", "school", "major_code",
                "title_id", "education_level", "reject_reason", "decided_by", "version",
                "password_hash", "phone", "email")
        rows = self.rows(f"SELECT {', '.join(keys)} FROM accounts WHERE id_number = '{idn}' "
                         "ORDER BY submitted_at DESC, id DESC")
        return [dict(zip(keys, row)) for row in rows]

    def account(self, idn):
        """The newest account row of an ID number as a dict (None when there is none)."""
        rows = self.accounts(idn)
        return rows[0] if rows else None

    def audit(self, account_id):
        """(action, from_state, to_state, actor_id, reason) of an account, oldest first."""
        return [tuple(r) for r in self.rows(
            "SELECT action, coalesce(from_state::text, ''), coalesce(to_state::text, ''), "
            "coalesce(actor_id::text, ''), coalesce(reason, '') FROM account_audit "
            f"WHERE account_id = {account_id} ORDER BY at, id")]


def application(world, idn=None, **changes):
    """Params of a complete, valid account.register for a new person of unit A."""
    if idn is None:
        idn = id_number()
    params = {
        "id_number": idn,
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "phone": "13812345678",
        "email": "zhang.wei@example.com",
        "unit": world["unit_a"],
        "department_id": world["dept_a"],
        "name": "张伟",
        "sex": sex_of(idn),
        "birth_date": born_of(idn),
        "ethnicity": "01",
        "native_place": "河南省郑州市",
        "school": "郑州大学",
        "major": world["major"],
        "title_id": world["title"],
        "education_level": "21",
    }
    params.update(changes)
    return {k: v for k, v in params.items() if v is not ...}


def make_world(postgres, dbname, tag):
    """Units A (two departments) and B, an inactive unit, and codes of the pickers."""
    acc = Accounts(postgres, dbname, tag)
    a = acc.add_unit(f"{tag}A", f"{tag}甲测试单位", departments=("办公室", "技术部"))
    b = acc.add_unit(f"{tag}B", f"{tag}乙测试单位", departments=("财务部",))
    acc.add_unit(f"{tag}X", f"{tag}已撤销单位", active=False, departments=("旧部门",))
    return {
        "acc": acc,
        "unit_a": f"{tag}A", "dept_a": a["办公室"], "dept_a2": a["技术部"],
        "unit_b": f"{tag}B", "dept_b": b["财务部"],
        "unit_x": f"{tag}X",
        "major": acc.value("SELECT min(code) FROM majors WHERE active"),
        "title": int(acc.value("SELECT min(id) FROM titles WHERE active")),
    }


def add_pending(acc, unit, dept, n, name="待审人", same_time=1, minutes_ago=0):
    """n pending applications inserted by SQL, newest first; return their ids.

    Every same_time consecutive ones share a submitted_at, so the order must fall back
    on the id."""
    rows = []
    for i in range(n):
        idn = id_number("female" if i % 2 else "male")
        at = f"now() - interval '{minutes_ago + i // same_time} minutes'"
        rows.append(f"('{idn}', '{name}{i:03d}', '{unit}', {dept}, {sex_code(idn)}, "
                    f"'{born_of(idn)}', '01', '13900000{i % 1000:03d}', {at})")
    out = acc.sql("INSERT INTO accounts (id_number, name, unit_code, department_id, sex, "
                  "birth_date, ethnicity, phone, submitted_at) VALUES " + ", ".join(rows) +
                  " RETURNING id")
    return [int(x) for x in out.split()]


def decision_rows(acc, ids):
    """account_id -> number of approve/reject audit rows."""
    id_list = ",".join(str(i) for i in ids)
    return {int(a): int(n) for a, n in acc.rows(
        "SELECT account_id, count(*) FROM account_audit WHERE action IN ('approve', 'reject') "
        f"AND account_id IN ({id_list}) GROUP BY account_id")}


# --- sessions ----------------------------------------------------------------------------------

@contextmanager
def logged_in(daemon, idn, password=DEMO_PASSWORD, lang=None, logout=False, timeout=30):
    """An RPC session logged in as the account of idn (after system.hello in lang, when
    given); with logout, it logs out at the end."""
    with daemon.rpc(timeout=timeout) as s:
        if lang:
            s.result("system.hello", {"lang": lang})
        s.result("session.login", {"id_number": idn, "password": password})
        yield s
        if logout:
            s.result("session.logout")


def on_duty(d, postgres, tag, unit, unit_name):
    """A new unit (code unit, name unit_name; accounts tagged tag) with an administrator,
    and an RPC session of d logged in as that administrator: (the session, its ID number).
    For tests that load a daemon and check that a person is still served."""
    acc = Accounts(postgres, d.dbname, tag)
    acc.add_unit(unit, unit_name)
    _, idn = acc.add_admin(unit, "值守管理员")
    user = d.rpc()
    user.result("session.login", {"id_number": idn, "password": DEMO_PASSWORD})
    return user, idn


def pages(s, method, params, most=1000):
    """Each page of method, the first called with params, each next one with params and
    the cursor "after" that the page before named in "next", until "next" is null."""
    after = None
    for _ in range(most):
        page = s.result(method, dict(params) if after is None else dict(params, after=after))
        yield page
        after = page["next"]
        if after is None:
            return
    raise AssertionError(f"{method}: paging does not end after {most} pages")


def queue_ids(s, **params):
    """Every account_id of the registration queue, page by page; also the number of pages."""
    ids, n = [], 0
    for page in pages(s, "review.registrations", params, most=100):
        n += 1
        ids += [i["account_id"] for i in page["items"]]
    return ids, n


def wait_listening(d, count=1, timeout=15):
    """Wait until d has LISTENed `count` times (its debug or warning line says so).
    Not "listening on": that is what Daemon.start waits for, the SSH port's line."""
    pattern = re.compile(r"notify: (LISTEN jxjy_sessions|hearing other jxjyd again)")
    wait_until(f"jxjyd LISTENs {count} time(s)",
               lambda: len(pattern.findall(d.stderr_text())) >= count, timeout, 0.05)


def race_decisions(approver, rejecter, ids, approve, reject, id_param, reason):
    """Two administrators' sessions decide each of ids at the same moment, each from a
    thread of its own that waits at a barrier before every one: approver calls the method
    approve, rejecter the method reject (with reason), each with {id_param: [id]}.
    Returns {"approve": [result item, ...], "reject": [...]}, in the order of ids."""
    replies = {"approve": [], "reject": []}
    barrier = threading.Barrier(2, timeout=30)
    errors = []

    def run(kind, s, method, extra):
        try:
            for i in ids:
                barrier.wait()
                r = s.result(method, {id_param: [i], **extra})
                replies[kind].append(r["results"][0])
        except Exception as e:  # reported below; a dead thread must not hang the other
            errors.append(f"{kind}: {e!r}")
            barrier.abort()

    threads = [threading.Thread(target=run, args=("approve", approver, approve, {})),
               threading.Thread(target=run, args=("reject", rejecter, reject,
                                                  {"reason": reason}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    assert len(replies["approve"]) == len(replies["reject"]) == len(ids)
    return replies


def change_password(s, old, new):
    return s.result("account.change_password", {
        "old_password": old, "new_password": new, "new_password_confirm": new})


def assert_ended_elsewhere(s):
    """s, idle, is told it was logged out elsewhere, and its channel closes."""
    note = s.read(timeout=10)
    assert "id" not in note and note["method"] == "session.closing", note
    assert note["params"]["reason"] == "logged_out_elsewhere"
    with pytest.raises(AssertionError, match="connection closed"):
        s.read(timeout=10)


# --- SSH keys and OpenSSH --------------------------------------------------------------------

# ssh never consults an agent or the user's own keys: what logs in is the key a test names.
NO_AGENT = ["-o", "IdentityAgent=none", "-o", "IdentitiesOnly=yes"]
# As people run it: BatchMode=yes would also switch off keyboard-interactive, the way in
# as a guest after a key that is not registered (OpenSSH then says "Permission denied").
INTERACTIVE = [o for i, o in enumerate(SSH_OPTIONS)
               if o != "BatchMode=yes" and SSH_OPTIONS[i + 1:i + 2] != ["BatchMode=yes"]]


def make_key(directory, name, comment=None):
    """An ed25519 key pair in directory; returns (private key path, public key line)."""
    path = Path(directory) / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                    comment or f"{name}@test", "-f", str(path)], check=True, timeout=30)
    return path, (Path(str(path) + ".pub")).read_text().strip()


def fingerprint(pub_path):
    """The SHA256 fingerprint ssh-keygen -l prints for a public key file."""
    out = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(pub_path)],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    return out.split()[1]


def ssh_key(directory, name):
    """A new ed25519 key: (public key line, fingerprint as ssh-keygen prints it)."""
    path, line = make_key(directory, name)
    return line, fingerprint(str(path) + ".pub")


def ssh_argv(port, user=None, key=None, *rest):
    argv = ["ssh", *INTERACTIVE, *NO_AGENT, "-p", str(port)]
    if key is not None:
        argv += ["-i", str(key)]
    argv.append(f"{user}@localhost" if user else "localhost")
    return argv + list(rest)


def key_rpc(daemon, user, key, **kw):
    """A JSON-RPC session through `ssh -i KEY USER@localhost -s jxjy-rpc`."""
    return RpcSession(ssh_argv(daemon.port, user, key, "-s", "jxjy-rpc"), **kw)


def pty_ssh(port, term, size=None):
    """`ssh -tt` to the daemon on a pty of its own, as a person's terminal is, with TERM
    term and size (columns, rows) when given; returns (the pty's master fd, the Popen)."""
    master, slave = os.openpty()
    if size:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    env = dict(os.environ, TERM=term, LANG="C.UTF-8")
    env.pop("JXJY_LANG", None)
    proc = subprocess.Popen(["ssh", "-tt", *SSH_OPTIONS, *NO_AGENT, "-p", str(port),
                             "localhost"], stdin=slave, stdout=slave, stderr=slave,
                            env=env, start_new_session=True, preexec_fn=_die_with_parent)
    os.close(slave)
    return master, proc


def ssh_exec(daemon, user, key, command, timeout=30, env=None):
    """Run `ssh -i KEY USER@localhost COMMAND`; return (status, stdout bytes, stderr)."""
    argv = ssh_argv(daemon.port, user, key, command)
    if env:
        argv[1:1] = [a for k in env for a in ("-o", f"SetEnv={k}={env[k]}")]
    r = subprocess.run(argv, capture_output=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr.decode("utf-8", "replace")


def admins_block(entries):
    """unit_admins = ( ... ); for the config, one entry per line block; returns text and
    the line (1-based, within the block) where each entry starts."""
    lines, starts = ["unit_admins = ("], []
    for e in entries:
        starts.append(len(lines) + 1)
        keys = ", ".join(f'"{k}"' for k in e["keys"])
        lines.append(f'\t{{ id_number = "{e["id_number"]}"; name = "{e["name"]}"; '
                     f'unit = "{e["unit"]}";')
        lines.append(f"\t  keys = [ {keys} ]; }},")
    lines[-1] = lines[-1].rstrip(",")
    lines.append(");")
    return "\n".join(lines) + "\n", starts


def _named_admins_block(key, member, entries):
    """KEY = ( ... ); as admins_block, each entry naming its member (base, scope)."""
    lines = [f"{key} = ("]
    for e in entries:
        keys = ", ".join(f'"{k}"' for k in e["keys"])
        lines.append(f'\t{{ id_number = "{e["id_number"]}"; name = "{e["name"]}"; '
                     f'{member} = "{e[member]}"; keys = [ {keys} ]; }},')
    lines[-1] = lines[-1].rstrip(",")
    lines.append(");")
    return "\n".join(lines) + "\n"


def base_admins_block(entries):
    """base_admins = ( ... ); as admins_block, each entry naming a base."""
    return _named_admins_block("base_admins", "base", entries)


def authority_admins_block(entries):
    """authority_admins = ( ... ); as admins_block, each entry naming its scope."""
    return _named_admins_block("authority_admins", "scope", entries)


def write_admins(d, entries):
    """Rewrite d's config with these unit_admins; return the file line of each entry."""
    d.write_config()
    base = d.conf.read_text(encoding="utf-8")
    block, starts = admins_block(entries)
    d.conf.write_text(base + block, encoding="utf-8")
    offset = base.count("\n")
    return [offset + s for s in starts]


# --- attachments -------------------------------------------------------------------------------

CHUNK = 256 * 1024      # attachment.begin's chunk_size


def sha(data):
    return hashlib.sha256(data).hexdigest()


def jpeg(n):
    """n bytes that start as a JPEG does."""
    return b"\xff\xd8\xff\xe0" + os.urandom(n - 4)


def upload(s, data, name="scan.jpg", chunk=CHUNK):
    """Upload data through attachment.begin/chunk/finish; return finish's result."""
    b = s.result("attachment.begin", {"name": name, "size": len(data), "sha256": sha(data)})
    assert b["chunk_size"] == CHUNK and b["size"] == len(data)
    for off in range(0, len(data), chunk):
        r = s.result("attachment.chunk", {"upload_id": b["upload_id"], "offset": off,
                                          "data": base64.b64encode(data[off:off + chunk]).decode()})
        assert r["received"] == min(off + chunk, len(data))
    return s.result("attachment.finish", {"upload_id": b["upload_id"]})


# --- config --------------------------------------------------------------------------------------

def libconfig(v):
    """A Python value as libconfig text: dicts are groups, lists of dicts are lists."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, dict):
        return "{ " + " ".join(f"{k} = {libconfig(x)};" for k, x in v.items()) + " }"
    if isinstance(v, (list, tuple)):
        if v and isinstance(v[0], dict):
            return "(\n\t" + ",\n\t".join(libconfig(x) for x in v) + "\n)"
        return "[ " + ", ".join(libconfig(x) for x in v) + " ]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'


def sample_forms_text():
    """The learning_forms list of etc/jxjyd.conf, without its closing ');'."""
    text = (REPO / "etc" / "jxjyd.conf").read_text(encoding="utf-8")
    m = re.search(r"^learning_forms = \(\n(.*?)^\);", text, re.M | re.S)
    assert m, "etc/jxjyd.conf has no learning_forms list"
    return m.group(1)


def forms_text(forms, with_sample=False):
    """learning_forms = ( ... ); of these forms (after etc/jxjyd.conf's, with_sample)."""
    body = ",\n".join(libconfig(f) for f in forms)
    if with_sample:
        body = sample_forms_text().rstrip() + ",\n" + body
    return f"learning_forms = (\n{body}\n);"


def set_forms(d, forms, with_sample=False):
    """Give daemon d's config these learning forms (written, not yet reloaded)."""
    d.extra_config = forms_text(forms, with_sample)
    d.write_config()


def reload_forms(d, idn, expect):
    """SIGHUP, wait for the reload to be logged, make a request as idn (which syncs the
    forms of a config not synced yet), then wait for the text expect in the log."""
    d.reload()
    with logged_in(d, idn) as s:
        s.result("forms.list")
    d.wait_log(re.escape(expect))


# --- learning forms and declarations ------------------------------------------------------

MAX_ATTACHMENT = 1024 * 1024    # the declarations daemon's (conftest.py: ddaemon)

# Forms of the tests' own, beside the shipped ones.
PLAIN = {"code": "t_plain", "name": "测试无附件", "name_en": "Test without attachment",
         "category": "professional", "attachment": "none",
         "fields": [{"key": "name", "label": "名称", "label_en": "Name", "type": "text",
                     "required": True}]}
CREDITS = {"code": "t_credits", "name": "测试学分", "name_en": "Test credits",
           "category": "public",
           "counts": "credits", "credit_hours": 0.5, "attachment": "optional",
           "fields": [{"key": "course", "label": "课程", "label_en": "Course", "type": "text", "required": True,
                       "max_length": 10},
                      {"key": "score", "label": "成绩", "label_en": "Score", "type": "decimal", "min": 0.5,
                       "max": 99.75},
                      {"key": "notes", "label": "备注", "label_en": "Notes", "type": "longtext",
                       "max_length": 20}]}
TEST_FORMS = [PLAIN, CREDITS]


def valid_value(field):
    """A value each rule of field accepts."""
    t = field["type"]
    if t == "text":
        return ("测试" + field["key"])[:field["max_length"]]
    if t == "longtext":
        return "第一行\n第二行"[:field["max_length"]]
    if t == "integer":
        return field.get("min", 1)
    if t == "decimal":
        return field.get("min", "1.5")
    if t == "date":
        return f"{NOW - 1}-03-01"
    if t == "daterange":
        return {"from": f"{NOW - 1}-03-01", "to": f"{NOW - 1}-03-03"}
    if t == "choice":
        return field["choices"][-1]
    raise AssertionError(f"unknown field type {t}")


def valid_fields(form):
    return {f["key"]: valid_value(f) for f in form["fields"]}


def content(form_def, **changes):
    """Params of a complete, valid declaration of a form (a forms.list entry)."""
    p = {"form": form_def["code"], "year": NOW, "amount": 8, "fields": valid_fields(form_def)}
    p.update(changes)
    return p


# --- waiting -------------------------------------------------------------------------------------

def wait_until(what, check, timeout=15, interval=0.1):
    """Poll check() until it returns something true; return that, or fail naming what."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        time.sleep(interval)


def applicant(daemon, postgres, tag, name):
    """A unit (make_world's, tagged tag) with an administrator, and a registration of a
    person called name waiting for review, made through the RPC of daemon: (the
    administrator's ID number, account.register's params, the new account's id)."""
    world = make_world(postgres, daemon.dbname, tag)
    _, admin_idn = world["acc"].add_admin(world["unit_a"], f"{tag}管理员")
    params = application(world, name=name)
    with daemon.rpc() as s:
        s.result("account.register", params)
    return admin_idn, params, int(world["acc"].account(params["id_number"])["id"])

