"""Backup and restore with PostgreSQL's own tools, as docs/operations.md describes them.

1. pg_dump -Fc of a populated database, pg_restore into a new cluster, and a daemon on
   the restored database shows the same records and totals through the RPC.
2. A base backup (pg_basebackup) of a cluster that archives its WAL (archive_command),
   changes made after the backup, then the cluster lost: the base backup plus the
   archived WAL (restore_command, recovery.signal) bring back every change.

Each new cluster comes from scripts/pg.sh, so it is private (a Unix socket in its own
directory) and removed at the end.
"""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO, Daemon, Postgres, _pg_bindir
from helpers import (DEMO_HASH, DEMO_PASSWORD, PASSWORD, Accounts, add_pending, application,
                     id_number, queue_ids, ssh_key, write_admins)

DATA = REPO / "data"
TABLES = ("regions", "units", "departments", "majors", "titles")


def as_owner(argv):
    """argv run as the clusters' owner: PostgreSQL refuses to run as root."""
    return (["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []) + argv


def pg_tool(name):
    bindir = _pg_bindir()
    return str(bindir / name) if bindir else name


class Cluster:
    """A throwaway PostgreSQL from scripts/pg.sh, with a database jxjy."""

    def __init__(self):
        r = subprocess.run(["bash", str(REPO / "scripts" / "pg.sh"), "start", "test"],
                           capture_output=True, text=True, timeout=180)
        assert r.returncode == 0, f"pg.sh start failed:\n{r.stderr}"
        env = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
        self.dir = Path(env["JXJY_PG_DIR"])
        self.data = self.dir / "data"
        self.pg = Postgres(env["PGHOST"], env["PGPORT"], env["PGUSER"], own_dir=str(self.dir))

    def ctl(self, *args):
        r = subprocess.run(as_owner([pg_tool("pg_ctl"), "-D", str(self.data), "-w", "-t", "120",
                                     "-l", str(self.dir / "postgres.log"), *args]),
                           capture_output=True, text=True, timeout=180, cwd="/")
        assert r.returncode == 0, f"pg_ctl {args}: {r.stdout}{r.stderr}\n" + \
            (self.dir / "postgres.log").read_text(errors="replace")[-3000:]

    def configure(self, lines):
        with open(self.data / "postgresql.conf", "a") as f:
            f.write("\n".join(lines) + "\n")

    def stop(self):
        subprocess.run(["bash", str(REPO / "scripts" / "pg.sh"), "stop", str(self.dir)],
                       timeout=120)


@pytest.fixture
def new_cluster():
    made = []

    def make():
        c = Cluster()
        made.append(c)
        return c

    yield make
    for c in made:
        c.stop()


def configure_reference(d):
    d.settings["reference"] = {t: str(DATA / f"{t}.csv") for t in TABLES}
    d.write_config()


def populate(d, tmp_path):
    """Reference data, a unit administrator and people in several states; returns what
    the comparison needs."""
    configure_reference(d)
    r = d.run("import")
    assert r.returncode == 0, r.stderr
    key, _ = ssh_key(tmp_path, "backup-admin")
    admin = id_number()
    write_admins(d, [{"id_number": admin, "name": "备份管理员", "unit": "U410100001",
                      "keys": [key]}])
    d.start()
    acc = Accounts(d.pg, d.dbname, "BK")
    acc.sql(f"UPDATE accounts SET password_hash = '{DEMO_HASH}' WHERE id_number = '{admin}'")
    dept = int(acc.value("SELECT min(id) FROM departments WHERE unit_code = 'U410100001'"))
    pending = add_pending(acc, "U410100001", dept, 12, name="备份待审", minutes_ago=30)
    world = {"unit_a": "U410100001", "dept_a": dept,
             "major": acc.value("SELECT min(code) FROM majors WHERE active"),
             "title": int(acc.value("SELECT min(id) FROM titles WHERE active"))}
    staff = application(world, name="备份测试")
    with d.rpc() as s:
        s.result("account.register", staff)
    with d.rpc() as s:
        s.result("session.login", {"id_number": admin, "password": DEMO_PASSWORD})
        s.result("review.approve_registrations", {"account_ids": pending[:3]})
        s.result("review.reject_registrations", {"account_ids": pending[3:5],
                                                 "reason": "部门填写有误"})
    staff_id = int(acc.value(f"SELECT id FROM accounts WHERE id_number = "
                             f"'{staff['id_number']}'"))
    with d.rpc() as s:
        s.result("session.login", {"id_number": admin, "password": DEMO_PASSWORD})
        s.result("review.approve_registrations", {"account_ids": [staff_id]})
    return {"admin": admin, "staff": staff["id_number"], "decided": pending[:5] + [staff_id]}


def rpc_view(d, people):
    """What the daemon shows: pickers, the review queue, decided applications, a login."""
    view = {}
    with d.rpc() as s:
        view["regions"] = s.result("ref.regions")
        view["units"] = s.result("ref.units", {"region": "410100"})
        view["departments"] = s.result("ref.departments", {"unit": "U410100001"})
        view["titles"] = s.result("ref.titles")
    with d.rpc() as s:
        s.result("session.login", {"id_number": people["admin"], "password": DEMO_PASSWORD})
        view["queue"], _ = queue_ids(s)
        view["decided"] = [s.result("review.registration", {"account_id": i})
                           for i in people["decided"]]
    with d.rpc() as s:
        s.result("session.login", {"id_number": people["staff"], "password": PASSWORD})
        view["whoami"] = s.result("session.whoami")
    return view


def totals(pg, dbname):
    """Row counts that must survive a backup, and accounts per state."""
    out = {}
    for table in ("regions", "units", "departments", "majors", "titles", "accounts",
                  "account_audit", "account_keys", "schema_migrations"):
        out[table] = pg.psql(dbname, f"SELECT count(*) FROM {table}").strip()
    out["states"] = pg.psql(dbname, "SELECT state, count(*) FROM accounts GROUP BY state "
                                    "ORDER BY state").strip()
    out["sequences"] = pg.psql(dbname, "SELECT max(id) FROM accounts").strip()
    return out


def test_pg_dump_and_restore_into_a_new_cluster(make_daemon, postgres, new_cluster, tmp_path):
    d = make_daemon(start=False)
    people = populate(d, tmp_path)
    before_view, before_totals = rpc_view(d, people), totals(postgres, d.dbname)
    assert len(before_view["queue"]) == 7 and before_view["whoami"]["account"]["role"] == "staff"

    dump = tmp_path / "jxjy.dump"
    r = subprocess.run([pg_tool("pg_dump"), "-Fc", "-h", postgres.host, "-p", postgres.port,
                        "-U", postgres.user, "-d", d.dbname, "-f", str(dump)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    d.stop()

    c = new_cluster()
    r = subprocess.run([pg_tool("pg_restore"), "--exit-on-error", "--no-owner", "-h", c.pg.host,
                        "-p", c.pg.port, "-U", c.pg.user, "-d", "jxjy", str(dump)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr

    restored = Daemon(tmp_path / "restored", c.pg, "jxjy")
    restored.host_key = d.host_key
    restored.settings["host_key"] = str(d.host_key)
    configure_reference(restored)
    key_line = d.conf.read_text(encoding="utf-8").split("unit_admins = (", 1)[1]
    restored.write_config()
    with open(restored.conf, "a", encoding="utf-8") as f:
        f.write("unit_admins = (" + key_line)
    assert restored.run("check-config").returncode == 0
    # migrate finds nothing to do: the schema came with the dump.
    r = restored.run("migrate")
    assert r.returncode == 0 and "applied" not in r.stdout, r.stdout
    restored.start()
    try:
        assert totals(c.pg, "jxjy") == before_totals
        assert rpc_view(restored, people) == before_view
        # The restored system works on: the next registration gets a fresh id.
        with restored.rpc() as s:
            s.result("session.login", {"id_number": people["admin"], "password": DEMO_PASSWORD})
            s.result("review.approve_registrations", {"account_ids": [before_view["queue"][0]]})
    finally:
        restored.stop()


def test_base_backup_and_wal_archive_recover_later_changes(new_cluster, tmp_path):
    """Point-in-time recovery: base backup + archived WAL, the documented procedure."""
    src = new_cluster()
    archive = src.dir / "wal-archive"
    archive.mkdir()
    if os.geteuid() == 0:
        shutil.chown(archive, "postgres", "postgres")
    src.configure(["wal_level = replica", "archive_mode = on",
                   f"archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'",
                   "archive_timeout = 0"])
    src.ctl("restart")

    d = Daemon(tmp_path / "src", src.pg, "jxjy")
    d.migrate()
    people = populate(d, tmp_path)

    backup = tmp_path / "base"
    r = subprocess.run([pg_tool("pg_basebackup"), "-h", src.pg.host, "-p", src.pg.port,
                        "-U", src.pg.user, "-D", str(backup), "-Fp", "-X", "none",
                        "-c", "fast"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr

    # Changes after the base backup: only the WAL archive holds them.
    acc = Accounts(src.pg, "jxjy", "BK")
    later = id_number()
    with d.rpc() as s:
        s.result("session.login", {"id_number": people["admin"], "password": DEMO_PASSWORD})
        queue, _ = queue_ids(s)
        s.result("review.approve_registrations", {"account_ids": queue[:2]})
    acc.sql(f"INSERT INTO accounts (id_number, name, unit_code) VALUES ('{later}', '备份之后', "
            "'U410100002')")
    expect_view, expect_totals = rpc_view(d, people), totals(src.pg, "jxjy")
    d.stop()
    src.pg.psql("jxjy", "SELECT pg_switch_wal()")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready = list((src.data / "pg_wal" / "archive_status").glob("*.ready"))
        if not ready:
            break
        time.sleep(0.2)
    assert not ready, "WAL segments were not archived"
    src.ctl("-m", "immediate", "stop")      # the machine is lost

    # Restore: a new directory from the base backup, WAL from the archive.
    dst = new_cluster()
    dst.ctl("-m", "fast", "stop")
    shutil.rmtree(dst.data)
    shutil.copytree(backup, dst.data)
    (dst.data / "postmaster.pid").unlink(missing_ok=True)
    (dst.data / "recovery.signal").touch()
    dst.configure([f"port = {dst.pg.port}", f"unix_socket_directories = '{dst.dir}'",
                   f"restore_command = 'cp {archive}/%f %p'",
                   "archive_mode = off"])
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "postgres:postgres", str(dst.data)], check=True)
    dst.data.chmod(0o700)
    dst.ctl("start")
    deadline = time.monotonic() + 120
    while dst.pg.psql("postgres", "SELECT pg_is_in_recovery()").strip() != "f":
        assert time.monotonic() < deadline, "recovery did not finish"
        time.sleep(0.2)

    restored = Daemon(tmp_path / "restored", dst.pg, "jxjy")
    restored.settings["host_key"] = str(d.host_key)
    configure_reference(restored)
    restored.write_config()
    with open(restored.conf, "a", encoding="utf-8") as f:
        f.write("unit_admins = (" + d.conf.read_text(encoding="utf-8")
                .split("unit_admins = (", 1)[1])
    restored.start()
    try:
        assert totals(dst.pg, "jxjy") == expect_totals
        assert Accounts(dst.pg, "jxjy", "BK").value(
            f"SELECT name FROM accounts WHERE id_number = '{later}'") == "备份之后"
        assert rpc_view(restored, people) == expect_view
    finally:
        restored.stop()
