"""Operations on the real daemon: check-config on broken files, `jxjyd import` of the
reference CSV files, `jxjyd status` over the control socket, `jxjyd admins`, and the
systemd unit.

Imports run `jxjyd -f CONF import` as the sysadmin would, against a fresh migrated
database per test, and look at the tables afterwards with psql: a file with mistakes must
leave every table as it was, and a second import of the same files must not rewrite a
single row (the rows' xmin stay the same).
"""

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import BUILD, JXJYD, REPO, sanitizer_report
from helpers import DEMO_HASH, DEMO_HASH_FULL, DEMO_PASSWORD, id_number, ssh_key

DATA = REPO / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"
UNIT_DATA = REPO / "tests" / "unit" / "data"
TABLES = ("regions", "units", "departments", "majors", "titles")
SUMMARY = re.compile(r"^(\w+): (.+): (\d+) rows: (\d+) inserted, (\d+) updated, "
                     r"(\d+) unchanged, (\d+) deactivated$")


# --- check-config -------------------------------------------------------------------------

# Files of tests/unit/data that are valid (good.conf, minimal.conf, empty-admins.conf, and
# any later one named so); every other one there has mistakes.
VALID_CONFIG = re.compile(r"good|minimal|empty")


def check_config(path):
    r = subprocess.run([str(JXJYD), "-f", str(path), "check-config"], capture_output=True,
                       text=True, timeout=30)
    assert not sanitizer_report(r.stderr), r.stderr
    return r


def _file_lines(path):
    return Path(path).read_bytes().decode("utf-8", "replace").split("\n")


@pytest.mark.parametrize("name", sorted(p.name for p in UNIT_DATA.glob("*.conf")))
def test_check_config_names_the_line_of_every_mistake(name):
    """Every mistake of every broken file is reported as FILE:LINE: key: what, and the
    line it names holds that key."""
    path = UNIT_DATA / name
    r = check_config(path)
    if VALID_CONFIG.search(name):
        assert r.returncode == 0 and r.stdout == f"{path}: ok\n", r
        return
    assert r.returncode == 1, f"{name}: exit {r.returncode}\n{r.stdout}{r.stderr}"
    assert r.stdout == ""
    errors = r.stderr.splitlines()
    assert errors, f"{name}: exit 1 but no mistake printed"
    for line in errors:
        m = re.match(r"^(/[^:]+):(\d+): (.+)$", line)
        assert m, f"{name}: not FILE:LINE: ...: {line!r}"
        file, number, rest = m.group(1), int(m.group(2)), m.group(3)
        text = _file_lines(file)
        assert 1 <= number <= len(text), f"{line!r}: {file} has {len(text)} lines"
        if rest.startswith("syntax error: "):
            continue
        key, _, what = rest.partition(": ")
        assert what, f"{line!r}: no key"
        leaf = key.split(".")[-1]
        # A list element's mistakes are reported where the element starts.
        if re.search(r"\[\d+\]$", leaf) or what.startswith("missing required key"):
            continue
        assert leaf in text[number - 1], f"{line!r}: line {number} is {text[number - 1]!r}"


def test_check_config_reference_keys():
    path = TEST_DATA / "reference.conf"
    r = check_config(path)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.splitlines() == [
        f"{path}:3: reference.regions: expected a string, got an integer",
        f"{path}:5: reference.import_at_start: expected a boolean (true or false), "
        "got a string",
        f"{path}:6: reference.departmens: unknown key (did you mean reference.departments?)",
        f"{path}:7: reference.titles: contains a control character",
        f"{path}:9: control_socket: expected a string, got a boolean",
        f"{path}:10: refrence: unknown key (did you mean reference?)",
    ]


def test_sample_config_is_valid_and_names_the_new_keys():
    r = check_config(REPO / "etc" / "jxjyd.conf")
    assert r.returncode == 0, r.stderr
    text = (REPO / "etc" / "jxjyd.conf").read_text(encoding="utf-8")
    for key in ("control_socket = ", "regions = ", "units = ", "departments = ",
                "majors = ", "titles = ", "import_at_start = "):
        assert key in text, key


# --- import ---------------------------------------------------------------------------------

def reference(**files):
    """The reference group naming files (table -> path)."""
    return {"reference": {k: str(v) for k, v in files.items()}}


def sample_files():
    return {t: DATA / f"{t}.csv" for t in TABLES}


@pytest.fixture
def ref_daemon(make_daemon):
    """A daemon object (not started) on a fresh migrated database, with the sample files."""
    return make_daemon(config=reference(**sample_files()), start=False)


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+Z jxjyd\[\d+\]: ")


def run_import(d, *args):
    """jxjyd import; its stderr without the daemon's log lines (the tests log at debug)."""
    r = d.run(*args, "import")
    assert not sanitizer_report(r.stderr), r.stderr
    r.stderr = "".join(line for line in r.stderr.splitlines(keepends=True)
                       if not LOG_LINE.match(line) and line.strip())
    return r


def summaries(stdout):
    """{table: (rows, inserted, updated, unchanged, deactivated)} from import's stdout."""
    out = {}
    for line in stdout.splitlines():
        m = SUMMARY.match(line)
        if m:
            out[m.group(1)] = tuple(int(m.group(i)) for i in range(3, 8))
    return out


def table_state(d):
    """Every row of the imported tables with its xmin (a rewritten row gets a new one)."""
    q = {
        "regions": "SELECT code, name, coalesce(parent, ''), active, xmin FROM regions",
        "units": "SELECT code, name, region, active, xmin FROM units",
        "departments": "SELECT unit_code, name, active, xmin FROM departments",
        "majors": "SELECT code, name, discipline, active, xmin FROM majors",
        "titles": "SELECT series, level, name, level_rank, active, xmin FROM titles",
        "title_series": "SELECT name, sort, xmin FROM title_series",
    }
    return {t: sorted(d.pg.psql(d.dbname, sql).splitlines()) for t, sql in q.items()}


def csv_rows(path):
    lines = Path(path).read_text(encoding="utf-8").splitlines()[1:]
    return [line.split(",") for line in lines if line]


def test_sample_files_import_and_a_second_import_changes_nothing(ref_daemon):
    d = ref_daemon
    before = table_state(d)
    r = run_import(d)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    n_units = len(csv_rows(DATA / "units.csv"))
    n_depts = len(csv_rows(DATA / "departments.csv"))
    # The migration seeded regions, majors and titles from the same lists.
    assert summaries(r.stdout) == {
        "regions": (19, 0, 0, 19, 0),
        "units": (n_units, n_units, 0, 0, 0),
        "departments": (n_depts, n_depts, 0, 0, 0),
        "majors": (102, 0, 0, 102, 0),
        "titles": (29, 0, 0, 29, 0),
    }, r.stdout
    assert r.stdout.splitlines()[-1] == "import: done"
    after = table_state(d)
    assert after["regions"] == before["regions"]
    units = {tuple(x.split("|")[:4]) for x in after["units"]}
    assert units == {(c, n, reg, "t") for c, n, reg in csv_rows(DATA / "units.csv")}
    depts = {tuple(x.split("|")[:3]) for x in after["departments"]}
    assert depts == {(u, n, "t") for u, n in csv_rows(DATA / "departments.csv")}

    again = run_import(d)
    assert again.returncode == 0, again.stderr
    s = summaries(again.stdout)
    assert all(ins == upd == deact == 0 and unch == rows
               for rows, ins, upd, unch, deact in s.values()), again.stdout
    assert len(s) == 5
    assert table_state(d) == after, "the second import rewrote rows"


def test_dry_run_counts_and_changes_nothing(ref_daemon):
    d = ref_daemon
    before = table_state(d)
    r = run_import(d, "-n")
    assert r.returncode == 0, r.stderr
    assert summaries(r.stdout)["units"][1] == len(csv_rows(DATA / "units.csv"))
    assert "nothing was changed" in r.stdout.splitlines()[-1]
    assert table_state(d) == before
    r = d.run("-n", "migrate")
    assert r.returncode == 1 and "for import only" in r.stderr


BROKEN_EXPECTED = [
    "broken-regions.csv:3: code: a region code is 6 digits (GB/T 2260), got \"41A100\"",
    "broken-regions.csv:4: name: must not be empty",
    "broken-regions.csv:5: field 2: text after the closing quote",
    "broken-regions.csv:6: expected 3 fields (code,name,parent), got 4",
    "broken-regions.csv:8: code \"410500\" repeats line 7",
    "broken-regions.csv:9: parent: region 419999 is not in broken-regions.csv",
    "broken-regions.csv:10: field 2: a quoted field has no closing quote "
    "(a field cannot span lines)",
    "broken-regions.csv:11: not valid UTF-8 text (save the file as UTF-8, not GBK)",
    "broken-regions.csv:12: parent: a region cannot be its own parent",
    "broken-regions.csv:13: parent: the chain of parents leads back to 411000",
    "broken-regions.csv:14: parent: the chain of parents leads back to 411100",
    "broken-units.csv:3: name: \"甲单位\" repeats line 2",
    "broken-units.csv:4: code: a unit code is 1 to 32 letters and digits, got \"U-3\"",
    "broken-units.csv:5: region: region 999999 is not in broken-regions.csv",
    "broken-units.csv:6: name: contains a control character: \"戊?[2J单位\"",
    "broken-departments.csv:3: department \"U1 办公室\" repeats line 2",
    "broken-departments.csv:4: unit: unit NOPE is not in broken-units.csv",
    "broken-departments.csv:5: name: must not be empty",
    "broken-majors.csv:3: code: a major code is 6 digits, then optionally T, K or TK, "
    "got \"0101\"",
    "broken-majors.csv:4: code: 020101 does not start with its discipline 03",
    "broken-majors.csv:5: discipline: 99 is no discipline of the catalogue "
    "(see the disciplines table)",
    "broken-majors.csv:6: code: a major code is 6 digits, then optionally T, K or TK, "
    "got \"010199X\"",
    "broken-titles.csv:2: level: must be one of 正高级, 副高级, 中级, 助理级, 员级, "
    "got \"高级\"",
    "broken-titles.csv:3: title: must not be empty",
    "import: 24 mistakes in 5 files; nothing was imported",
]


def test_broken_files_name_every_bad_line_and_import_nothing(make_daemon, tmp_path):
    # Relative paths are relative to the config file's directory.
    d = make_daemon(start=False)
    ref = d.dir / "ref"
    ref.mkdir()
    for t in TABLES:
        shutil.copy(TEST_DATA / f"broken-{t}.csv", ref)
    d.settings.update(reference(**{t: f"ref/broken-{t}.csv" for t in TABLES}))
    d.write_config()
    before = table_state(d)
    r = run_import(d)
    assert r.returncode == 1, r
    assert r.stdout == ""
    prefix = str(ref) + "/"
    assert [line.replace(prefix, "") for line in r.stderr.splitlines()] == BROKEN_EXPECTED
    # The good lines of those files (U1 甲单位, 新系列 新职称, ...) were not imported either.
    assert table_state(d) == before


def test_one_broken_file_stops_the_good_ones(ref_daemon):
    d = ref_daemon
    d.settings["reference"]["titles"] = str(TEST_DATA / "broken-titles.csv")
    d.write_config()
    before = table_state(d)
    r = run_import(d)
    assert r.returncode == 1
    assert r.stderr.splitlines()[-1] == "import: 2 mistakes in 1 file; nothing was imported"
    assert table_state(d) == before


def test_missing_empty_and_headerless_files(ref_daemon):
    d = ref_daemon
    missing = d.dir / "no-such.csv"
    d.settings["reference"].update(regions=str(missing), units=str(TEST_DATA / "header.csv"),
                                   majors=str(TEST_DATA / "empty.csv"))
    d.write_config()
    r = run_import(d)
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert f"{missing}: cannot read: No such file or directory" in lines
    assert (f"{TEST_DATA}/header.csv:1: the first line must be the header "
            "\"code,name,region\", got \"单位代码,名称,地区\"") in lines
    assert (f"{TEST_DATA}/empty.csv: empty: the first line must be the header "
            "\"code,name,discipline\"") in lines
    # No file named at all is a mistake too.
    d.settings.pop("reference")
    d.write_config()
    r = run_import(d)
    assert r.returncode == 1 and "names no reference file" in r.stderr


def test_quoting_byte_order_mark_and_crlf(make_daemon, tmp_path):
    d = make_daemon(start=False)
    units = tmp_path / "units.csv"
    units.write_bytes("\ufeffcode,name,region\r\n"
                      "Q1,\"河南省某研究院(郑州,分院)\",410100\r\n"
                      "Q2,\"\"\"引号\"\"单位\",410100\r\n"
                      "   Q3 ,  留白单位  ,410100\r\n\r\n".encode("utf-8"))
    depts = tmp_path / "departments.csv"
    depts.write_text("UNIT,Name\nQ1,\"一室,二室\"\n", encoding="utf-8")
    d.settings.update(reference(units=units, departments=depts))
    d.write_config()
    r = run_import(d)
    assert r.returncode == 0, r.stderr
    rows = d.pg.psql(d.dbname, "SELECT code || '|' || name FROM units ORDER BY code")
    assert rows.splitlines() == ["Q1|河南省某研究院(郑州,分院)", "Q2|\"引号\"单位", "Q3|留白单位"]
    assert d.pg.psql(d.dbname, "SELECT name FROM departments").strip() == "一室,二室"


def test_unit_gone_from_the_file_is_deactivated_not_deleted(ref_daemon, tmp_path):
    d = ref_daemon
    assert run_import(d).returncode == 0
    gone = "U410300001"     # 洛阳市第一中学 and its five departments
    dept = d.pg.psql(d.dbname, f"SELECT min(id) FROM departments WHERE unit_code = '{gone}'")
    d.pg.psql(d.dbname, "INSERT INTO accounts (id_number, name, unit_code, department_id) "
                        f"VALUES ('410105198001010017', '洛一中教师', '{gone}', {dept.strip()})")
    units = tmp_path / "units.csv"
    depts = tmp_path / "departments.csv"
    keep = [line for line in (DATA / "units.csv").read_text(encoding="utf-8").splitlines()
            if not line.startswith(gone)]
    units.write_text("\n".join(keep) + "\n", encoding="utf-8")
    depts.write_text("\n".join(
        line for line in (DATA / "departments.csv").read_text(encoding="utf-8").splitlines()
        if not line.startswith(gone)) + "\n", encoding="utf-8")
    d.settings["reference"].update(units=str(units), departments=str(depts))
    d.write_config()
    r = run_import(d)
    assert r.returncode == 0, r.stderr
    s = summaries(r.stdout)
    assert s["units"][1:] == (0, 0, len(keep) - 1, 1)
    assert s["departments"][4] == 5
    assert d.pg.psql(d.dbname, f"SELECT active FROM units WHERE code = '{gone}'").strip() == "f"
    assert d.pg.psql(d.dbname, "SELECT count(*) FROM departments WHERE active = false "
                               f"AND unit_code = '{gone}'").strip() == "5"
    assert d.pg.psql(d.dbname, "SELECT name, unit_code FROM accounts WHERE id_number = "
                               "'410105198001010017'").strip() == f"洛一中教师|{gone}"

    # Its name stays taken: a new unit may not have it.
    units.write_text("\n".join(keep + ["U410300009,洛阳市第一中学,410300"]) + "\n",
                     encoding="utf-8")
    r = run_import(d)
    assert r.returncode == 1
    assert (f"{units}:{len(keep) + 1}: name: \"洛阳市第一中学\" is the name of unit {gone} "
            "in the database, which this file no longer lists (unit names stay taken)"
            ) in r.stderr.splitlines()

    # The pickers no longer offer it; listed again, it comes back.
    d.start()
    with d.rpc() as s:
        items = s.result("ref.units", {"region": "410300"})["items"]
        assert gone not in [i["code"] for i in items] and items
    d.settings["reference"].update(units=str(DATA / "units.csv"),
                                   departments=str(DATA / "departments.csv"))
    d.write_config()
    r = run_import(d)
    assert r.returncode == 0, r.stderr
    assert summaries(r.stdout)["units"][2] == 1 and summaries(r.stdout)["departments"][2] == 5
    with d.rpc() as s:
        assert gone in [i["code"] for i in s.result("ref.units", {"region": "410300"})["items"]]


def test_import_at_start(make_daemon, tmp_path):
    good = make_daemon(config={"reference": {
        **{t: str(p) for t, p in sample_files().items()}, "import_at_start": True}})
    assert "import: done" in good.stderr_text()
    assert good.pg.psql(good.dbname, "SELECT count(*) FROM units WHERE active").strip() == \
        str(len(csv_rows(DATA / "units.csv")))

    bad = make_daemon(config={"reference": {"units": str(TEST_DATA / "broken-units.csv"),
                                            "import_at_start": True}})
    log = bad.stderr_text()
    assert "broken-units.csv:3: name:" in log
    assert "reference data not imported" in log and "listening on" in log
    assert bad.pg.psql(bad.dbname, "SELECT count(*) FROM units").strip() == "0"
    with bad.rpc() as s:
        assert s.result("system.ping") == {"pong": True}


# --- status -------------------------------------------------------------------------------------

def status(d):
    r = subprocess.run([str(JXJYD), "-f", str(d.conf), "status"], capture_output=True,
                       text=True, timeout=30)
    assert not sanitizer_report(r.stderr), r.stderr
    return r


def status_figures(text):
    """The numbers of jxjyd status, by name."""
    pats = {
        "pid": r"pid (\d+)",
        "uptime": r"up .* \((\d+) s\)",
        "open": r"sessions: (\d+) open",
        "logged_in": r"(\d+) logged in",
        "served": r"requests: (\d+) served",
        "errors": r"(\d+) errors",
        "slow": r"(\d+) slow",
        "minute": r"last minute: (\d+) requests",
        "rate": r"requests, ([\d.]+)/s",
        "pool_open": r"database pool: (\d+) open",
        "pool_busy": r"(\d+) busy",
        "pool_size": r"(\d+) size",
        "hash_waiting": r"password hashes: (\d+) waiting",
    }
    out = {}
    for k, p in pats.items():
        m = re.search(p, text)
        assert m, f"status lacks {k}: {text}"
        out[k] = float(m.group(1)) if k == "rate" else int(m.group(1))
    return out


def test_status_prints_the_figures(make_daemon, tmp_path):
    sock = tmp_path / "ctl.sock"
    d = make_daemon(config={"control_socket": str(sock), "log": {"slow_request": 150},
                            "database": {"pool_size": 3}})
    assert f"control socket: {sock}" in d.stderr_text()
    assert oct(sock.stat().st_mode & 0o777) == "0o660"
    r = status(d)
    assert r.returncode == 0, r.stderr
    first = status_figures(r.stdout)
    assert r.stdout.startswith("jxjyd 0.1.0 (protocol 1), pid ")
    assert first["pid"] == d.proc.pid
    assert first["pool_size"] == 3 and first["open"] == 0 and first["served"] == 0

    idn = id_number()
    d.pg.psql(d.dbname, "INSERT INTO units (code, name, region) VALUES ('ST1', '状态单位', "
                        "'410100')")
    d.pg.psql(d.dbname, "INSERT INTO accounts (id_number, state, password_hash, name, "
                        f"unit_code) VALUES ('{idn}', 'active', '{DEMO_HASH}', '状态', 'ST1')")
    with d.rpc() as a, d.rpc() as b:
        for _ in range(5):
            a.result("system.ping")
        assert "error" in a.call("no.such_method")
        b.result("session.login", {"id_number": idn, "password": DEMO_PASSWORD})
        b.result("debug.sleep", {"ms": 300})
        now = status_figures(status(d).stdout)
        assert now["open"] == 2 and now["logged_in"] == 1
        assert now["served"] == 8 and now["errors"] == 1 and now["slow"] >= 1
        assert now["minute"] == 8 and now["rate"] > 0
        assert 1 <= now["pool_open"] <= 3 and now["pool_busy"] == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        after = status_figures(status(d).stdout)
        if after["open"] == 0:
            break
        time.sleep(0.1)
    assert after["open"] == 0 and after["logged_in"] == 0

    d.stop()
    assert not sock.exists(), "the control socket outlived the daemon"
    r = status(d)
    assert r.returncode == 4 and "is jxjyd running?" in r.stderr


def hash_storm(d, ids, rounds):
    """Every account in ids logs in and out `rounds` times, each in its own session and
    thread, while `jxjyd status` is polled; the largest running and waiting counts seen."""
    seen = {"running": 0, "waiting": 0}
    errors = []

    def worker(idn):
        try:
            with d.rpc() as c:
                for _ in range(rounds):
                    c.result("session.login", {"id_number": idn, "password": DEMO_PASSWORD})
                    c.result("session.logout")
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(idn,)) for idn in ids]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        m = re.search(r"password hashes: (\d+) waiting, (\d+) running", status(d).stdout)
        assert m
        seen["waiting"] = max(seen["waiting"], int(m.group(1)))
        seen["running"] = max(seen["running"], int(m.group(2)))
    for t in threads:
        t.join()
    assert not errors, errors
    return seen


def test_hash_threads_bound_logins_and_follow_a_reload(make_daemon):
    d = make_daemon(config={"security": {"captcha": "off", "hash_threads": 1}})
    d.pg.psql(d.dbname, "INSERT INTO units (code, name, region) VALUES ('HT1', '哈希单位', "
                        "'410100')")
    ids = [id_number() for _ in range(4)]
    # Hashes at jxjyd's own cost: a login's hash must run long enough to be seen waiting.
    for idn in ids:
        d.pg.psql(d.dbname, "INSERT INTO accounts (id_number, state, password_hash, name, "
                            f"unit_code) VALUES ('{idn}', 'active', '{DEMO_HASH_FULL}', '哈希', "
                            "'HT1')")
    # One at a time: the other sessions' logins wait their turn.
    seen = hash_storm(d, ids, 4)
    assert seen["running"] == 1 and seen["waiting"] >= 1, seen

    def reload(threads):
        d.settings["security"]["hash_threads"] = threads
        d.write_config()
        d.reload()
        assert f"{threads} at once" in status(d).stdout

    # More threads on SIGHUP: several hashes run together, never more than allowed.
    reload(3)
    seen = hash_storm(d, ids, 4)
    assert 2 <= seen["running"] <= 3, seen
    # Fewer again: the extra threads leave, and the bound is back to one.
    reload(1)
    seen = hash_storm(d, ids, 4)
    assert seen["running"] == 1 and seen["waiting"] >= 1, seen
    d.stop()


def test_control_socket_is_not_stolen_and_stale_ones_are_replaced(make_daemon, tmp_path):
    sock = tmp_path / "ctl.sock"
    # A socket file left by a daemon that died.
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(sock))
    s.close()
    first = make_daemon(config={"control_socket": str(sock)})
    assert status_figures(status(first).stdout)["pid"] == first.proc.pid
    second = make_daemon(config={"control_socket": str(sock)})
    assert "another jxjyd answers on" in second.stderr_text()
    assert status_figures(status(second).stdout)["pid"] == first.proc.pid
    second.stop()
    assert sock.exists(), "the second daemon removed the first one's socket"
    first.stop()
    assert not sock.exists()


def test_status_without_control_socket(make_daemon):
    d = make_daemon(config={"control_socket": ""}, start=False)
    r = status(d)
    assert r.returncode == 1 and "has no control socket" in r.stderr


# --- admins -------------------------------------------------------------------------------------

def test_admins_lists_config_and_database(make_daemon, tmp_path):
    key, _ = ssh_key(tmp_path, "adm")
    d = make_daemon(start=False)
    d.pg.psql(d.dbname, "INSERT INTO units (code, name, region) VALUES ('AD1', '管理单位', "
                        "'410100')")
    entries = [("410105198001010017", "张管理", "AD1"), ("410102197811032468", "李无单位", "NOPE")]
    block = "unit_admins = (\n" + ",\n".join(
        f'\t{{ id_number = "{i}"; name = "{n}"; unit = "{u}"; keys = [ "{key}" ]; }}'
        for i, n, u in entries) + "\n);\n"
    base = d.conf.read_text(encoding="utf-8")
    d.conf.write_text(base + block, encoding="utf-8")
    line0 = base.count("\n") + 2
    # A unit administrator the file does not name (disabled at the next start).
    d.pg.psql(d.dbname, "INSERT INTO accounts (id_number, role, state, name, unit_code) VALUES "
                        "('41010319900412162X', 'unit_admin', 'active', '旧管理员', 'AD1')")
    r = d.run("admins")
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert out[0] == f"unit administrators named in {d.conf}: 2"
    assert re.match(rf"^  410105198001010017  AD1 +no account yet +0/1 +{line0} +张管理$",
                    out[2]), out
    assert re.match(r"^  410102197811032468  NOPE +unit does not exist +0/1 .*李无单位$",
                    out[3]), out
    assert out[4] == "unit administrator accounts the file does not name: 1"
    assert re.match(r"^  41010319900412162X  AD1 +active +0 +- +旧管理员$", out[6]), out

    d.start()       # synchronises the accounts with the file
    out = d.run("admins").stdout.splitlines()
    assert re.match(r"^  410105198001010017  AD1 +active +1/1 ", out[2]), out
    assert re.match(r"^  41010319900412162X  AD1 +disabled ", out[6]), out


# --- the systemd unit ---------------------------------------------------------------------------

def built_unit(tmp_path):
    unit = BUILD / "jxjyd.service"
    if not unit.exists():
        pytest.fail(f"{unit} was not generated by the build", pytrace=False)
    text = unit.read_text()
    m = re.search(r"^ExecStart=(\S+)/jxjyd -f (\S+) serve$", text, re.M)
    assert m, text
    # Point it at this build's binary and a config that exists, for verify.
    conf = tmp_path / "jxjyd.conf"
    shutil.copy(REPO / "etc" / "jxjyd.conf", conf)
    text = text.replace(m.group(1) + "/jxjyd", str(JXJYD)).replace(m.group(2), str(conf))
    out = tmp_path / "jxjyd.service"
    out.write_text(text)
    return out, text


def systemd_analyze():
    path = shutil.which("systemd-analyze")
    if path is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    return path


def test_unit_file_verifies(tmp_path):
    tool = systemd_analyze()
    unit, text = built_unit(tmp_path)
    for line in ("User=jxjy", "NoNewPrivileges=yes", "ProtectSystem=strict",
                 "ProtectHome=yes", "PrivateTmp=yes", "CapabilityBoundingSet=\n",
                 "SystemCallFilter=@system-service", "StateDirectory=jxjy",
                 "RuntimeDirectory=jxjy", "ExecReload=/bin/kill -HUP $MAINPID"):
        assert line in text, line
    assert re.search(r"^ExecStartPre=\S+/jxjyd -f \S+ check-config$", text, re.M)
    # The man pages it names are checked by test_man_pages (they install with the unit).
    r = subprocess.run([tool, "verify", "--man=no", str(unit)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr


def test_unit_file_security_score(tmp_path):
    tool = systemd_analyze()
    unit, _ = built_unit(tmp_path)
    r = subprocess.run([tool, "security", "--offline=true", "--no-pager", str(unit)],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for jxjyd.service: ([\d.]+) (\w+)", r.stdout)
    assert m, r.stdout + r.stderr
    print(f"systemd-analyze security: {m.group(1)} {m.group(2)}")
    assert float(m.group(1)) <= 2.5, r.stdout


def test_man_pages():
    for name, section in (("jxjyd", 8), ("jxjy", 1), ("jxjyd.conf", 5), ("jxjy-ssh", 7)):
        page = REPO / "docs" / "man" / f"{name}.{section}"
        text = page.read_text(encoding="utf-8")
        assert text.startswith(".TH ") or "\n.TH " in text[:2000], page
        if shutil.which("man"):
            r = subprocess.run(["man", "--warnings", "-l", str(page)], capture_output=True,
                               text=True, timeout=60,
                               env=dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="0"))
            assert r.returncode == 0, r.stderr
            assert r.stderr.strip() == "", f"{page}: {r.stderr}"
    conf = (REPO / "docs" / "man" / "jxjyd.conf.5").read_text(encoding="utf-8")
    for key in re.findall(r"^\| `([a-z_.]+)` \|", (REPO / "docs" / "configuration.md")
                          .read_text(encoding="utf-8"), re.M):
        assert key.split(".")[-1] in conf, f"jxjyd.conf(5) does not mention {key}"
    jxjyd = (REPO / "docs" / "man" / "jxjyd.8").read_text(encoding="utf-8")
    for command in ("serve", "check-config", "migrate", "import", "status", "admins"):
        roff = command.replace("-", "\\-")
        assert f"\n.B {roff}\n" in jxjyd, f"jxjyd(8) has no entry for {command}"
    for status in range(5):
        assert f"\n.B {status}\n" in jxjyd, f"jxjyd(8) does not explain exit status {status}"
