"""Heavy reads from a streaming replica (database.replica_conninfo), the staleness bounded and
stated, on the real daemon over SSH and a real replica of the run's PostgreSQL.

One module-scoped replica (pg_basebackup -R of the test PostgreSQL into a directory of its
own, on a private socket and port) serves every test here.  Checked: a caught-up replica
serves completion.report, its CSV and `report YEAR` (the reply says so, and the replica has
the daemon's connection); with its replay paused, a report is served from it only while it
is within replica_max_lag_ms, and after that from the primary, which shows the new write; a
staff member's own completion.mine always comes from the primary (shows the submit at
once); the replica stopped, every report still answers, from the primary, and the replica
serves again once it is back.
"""

import re
import time
from datetime import datetime, timedelta, timezone

import pytest

from conftest import Daemon
from replica import replica  # noqa: F401 (the module-scoped fixture)
from helpers import (NOW, Accounts, id_number, key_rpc, libconfig, logged_in, make_key,
                     ssh_exec)


MAX_LAG_MS = 2000
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
FORM = {"code": "r_pro", "name": "副本测试培训", "name_en": "Replica test training",
        "category": "professional", "attachment": "none",
        "fields": [{"key": "name", "label": "名称", "label_en": "Name", "type": "text",
                    "required": True}]}


@pytest.fixture(scope="module")
def site(postgres, migrated_template, replica, tmp_path_factory):
    """A daemon reading reports from the replica (bound MAX_LAG_MS), a unit with a staff
    member and its administrator (by password and by key)."""
    work = tmp_path_factory.mktemp("jxjyd-replica")
    db = postgres.new_database(template=migrated_template)
    acc = Accounts(postgres, db, "RP")
    acc.add_unit("RPA", "副本测试单位", departments=("科室",))
    key, pub = make_key(work, "admin")
    admin_idn = id_number()
    d = Daemon(work / "d", postgres, db, {"database": {
        "replica_conninfo": replica.conninfo(db), "replica_max_lag_ms": MAX_LAG_MS}},
        f"learning_forms = (\n{libconfig(FORM)}\n);\n"
        f'unit_admins = ( {{ id_number = "{admin_idn}"; name = "副本管理员"; unit = "RPA"; '
        f'keys = [ "{pub}" ]; }} );\n')
    d.start()
    staff_id, staff_idn = acc.add_staff("RPA", "副本人员")
    try:
        yield {"d": d, "db": db, "key": key, "admin": admin_idn, "staff": staff_idn,
               "staff_id": staff_id}
    finally:
        d.stop()


def submit(s, hours):
    r = s.result("declaration.submit", {"form": FORM["code"], "year": NOW,
                                        "amount": str(hours), "fields": {"name": "课程"}})
    return r["id"]


def approve(adm, ids):
    r = adm.result("review.approve_declarations", {"ids": ids})
    assert all(x["ok"] for x in r["results"]), r


def staff_total(report, staff_id):
    return next(i["total"] for i in report["items"] if i["account_id"] == staff_id)


def wait_for(what, check, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.2)
    pytest.fail(f"gave up waiting: {what}")


def report(adm):
    return adm.result("completion.report", {"year": NOW})


def replica_report(adm, staff_id, total):
    """Wait for a report the replica serves that shows total hours for staff_id."""
    def served():
        r = report(adm)
        return r if r["source"] == "replica" and staff_total(r, staff_id) == total else None
    return wait_for(f"a report from the replica showing {total} hours", served)


def test_caught_up_replica_serves_reports(site, replica, postgres):
    d = site["d"]
    d.wait_log(r"heavy reads \(reports\) from the replica while it is at most 2000 ms behind")
    with logged_in(d, site["staff"]) as s, key_rpc(d, site["admin"], site["key"], timeout=30) as adm:
        approve(adm, [submit(s, 8)])
        r = replica_report(adm, site["staff_id"], "8")
        assert 0 <= r["stale_ms_max"] <= MAX_LAG_MS and ISO.match(r["as_of"]), r
        as_of = datetime.fromisoformat(r["as_of"])
        assert abs(datetime.now(timezone.utc) - as_of) < timedelta(seconds=10), r
        assert r["summary"]["staff"] == 1

        # The daemon's connection is on the replica, and the log names it.
        assert replica.psql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE "
                            f"datname = '{site['db']}' AND backend_type = 'client backend'"
                            ).strip() != "0"
        d.wait_log(r"completion\.report (role=unit_admin .* ok|took .* ms) from the replica")

        # The CSV too; and the staff member's own years never (no "source").
        csv = wait_for("a CSV from the replica", lambda: (lambda c: c if c["source"] ==
                       "replica" else None)(adm.result("completion.report_csv",
                                                       {"year": NOW})))
        assert "副本人员" in csv["csv"] and csv["stale_ms_max"] <= MAX_LAG_MS
        assert "source" not in s.result("completion.mine")


def test_ssh_report_from_replica_says_so(site):
    d, key, admin = site["d"], site["key"], site["admin"]

    def from_replica():
        rc, out, err = ssh_exec(d, admin, key, f"report {NOW}")
        assert rc == 0, err
        text = out.decode()
        return text if "来自只读副本" in text else None
    text = wait_for("`report` from the replica", from_replica)
    m = re.search(r"数据截至 (\S+)（来自只读副本，最多滞后 ([\d.]+) 秒）", text)
    assert m and ISO.match(m.group(1)) and float(m.group(2)) <= MAX_LAG_MS / 1000, text
    assert "副本人员" in text
    # CSV stays a table: the line is not in it.
    rc, out, err = ssh_exec(d, admin, key, f"report {NOW} --csv")
    assert rc == 0 and "副本" not in out.decode().splitlines()[0] and "数据截至" not in \
        out.decode(), out.decode()


def test_paused_replay_beyond_the_bound_reads_the_primary(site, replica):
    d = site["d"]
    with logged_in(d, site["staff"]) as s, key_rpc(d, site["admin"], site["key"], timeout=30) as adm:
        approve(adm, [submit(s, 2)])
        before = staff_total(replica_report(adm, site["staff_id"], "10"), site["staff_id"])
        replica.psql("postgres", "SELECT pg_wal_replay_pause()")
        try:
            written, t_written = datetime.now(timezone.utc), time.monotonic()
            sub = submit(s, 5)
            # The staff member's own figures come from the primary: the submit is there.
            mine = next(y for y in s.result("completion.mine")["years"] if y["year"] == NOW)
            assert mine["pending"] == "5", mine
            approve(adm, [sub])

            # Within the bound a report may come from the replica (each of its connections
            # judged on its own): then it is stale and says how stale it may be.
            while time.monotonic() < t_written + MAX_LAG_MS / 1000:
                r = report(adm)
                if r["source"] == "replica":
                    assert staff_total(r, site["staff_id"]) == before, r
                    assert datetime.fromisoformat(r["as_of"]) <= written + timedelta(seconds=1)
                    assert 0 < r["stale_ms_max"] <= MAX_LAG_MS, r
                else:
                    assert staff_total(r, site["staff_id"]) == "15" and r["stale_ms_max"] == 0

            # Beyond it (the replica has nothing of the submit on), only from the primary,
            # with the approval, while the replica stays behind.
            time.sleep(max(0.0, t_written + MAX_LAG_MS / 1000 + 0.2 - time.monotonic()))
            for _ in range(5):
                r = report(adm)
                assert r["source"] == "primary" and staff_total(r, site["staff_id"]) == "15", \
                    (r, replica.psql("postgres", "SELECT pg_get_wal_replay_pause_state(), "
                                     "pg_last_wal_replay_lsn()"), d.stderr_text()[-6000:])
                time.sleep(0.3)
        finally:
            replica.psql("postgres", "SELECT pg_wal_replay_resume()")
        # Caught up again: from the replica, with the approval.
        replica_report(adm, site["staff_id"], "15")


def test_replica_stopped_reports_still_answer(site, replica):
    d, key, admin = site["d"], site["key"], site["admin"]
    with key_rpc(d, site["admin"], site["key"], timeout=30) as adm:
        replica_report(adm, site["staff_id"], "15")
        replica.stop()
        try:
            for _ in range(5):
                r = report(adm)
                assert r["source"] == "primary" and staff_total(r, site["staff_id"]) == "15"
                c = adm.result("completion.report_csv", {"year": NOW})
                assert c["source"] == "primary"
            rc, out, err = ssh_exec(d, admin, key, f"report {NOW}")
            assert rc == 0 and "副本人员" in out.decode() and "只读副本" not in out.decode(), \
                out.decode() + err
            d.wait_log(r"the replica failed|cannot connect to the replica")
        finally:
            replica.start()
        # Back: the replica serves again once its rest is over.
        replica_report(adm, site["staff_id"], "15")


def test_check_config_refuses_a_broken_replica_conninfo(tmp_path, postgres):
    d = Daemon(tmp_path / "d", postgres, "jxjy", {"database": {
        "replica_conninfo": "host=x port", "replica_max_lag_ms": 10}})
    r = d.run("check-config")
    assert r.returncode != 0
    out = r.stdout + r.stderr
    assert re.search(r"database\.replica_conninfo.*not a libpq connection string", out), out
    assert "database.replica_max_lag_ms" in out, out


def test_busy_replica_pool_waits_without_holding_the_primary(replica, postgres,
                                                              migrated_template, tmp_path):
    """replica_pool_size 1, primary pool_size 2, four administrators reading reports at
    once: a report that finds the replica's one connection busy gives its primary one back
    while it waits (db_acquire_read) and reads wherever it then can; nobody is refused."""
    import threading

    db = postgres.new_database(template=migrated_template)
    d = Daemon(tmp_path / "busy", postgres, db, {"database": {
        "pool_size": 2, "replica_pool_size": 1,
        "replica_conninfo": replica.conninfo(db), "replica_max_lag_ms": 60000}},
        f"learning_forms = (\n{libconfig(FORM)}\n);\n")
    d.start()
    try:
        # After the start: the daemon's sync of unit_admins (none here) leaves them be.
        acc = Accounts(postgres, db, "RQ")
        acc.add_unit("RQA", "副本并发单位")
        for i in range(3):
            acc.add_staff("RQA", f"并发人员{i}")
        admins = [acc.add_admin("RQA", f"副本统计员{i}")[1] for i in range(4)]
        with logged_in(d, admins[0]) as adm:
            wait_for("a report from the replica", lambda: adm.result(
                "completion.report", {"year": NOW})["source"] == "replica")
        sources, errors = [], []

        def reader(idn):
            try:
                with logged_in(d, idn) as adm:
                    for _ in range(15):
                        r = adm.call("completion.report", {"year": NOW})
                        if "result" in r:
                            sources.append(r["result"]["source"])
                        else:
                            errors.append(r["error"])
            except AssertionError as e:
                errors.append(str(e))
        threads = [threading.Thread(target=reader, args=(idn,)) for idn in admins]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors
        assert len(sources) == 60 and "replica" in sources, \
            (sources, [l for l in d.stderr_text().splitlines() if "replica" in l][-30:])
    finally:
        d.stop()


def status_text(d):
    r = d.run("status")
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def heavy_reads(text):
    m = re.search(r"heavy reads: (\d+) from the replica, (\d+) from the primary", text)
    assert m, text
    return int(m.group(1)), int(m.group(2))


def test_status_names_the_replica(replica, postgres, migrated_template, tmp_path):
    """`jxjyd status` says where the replica is (never its password), what the last heavy
    read found it to be (not checked yet, fresh, unreachable since …), its pool, and where
    the heavy reads went since start."""
    db = postgres.new_database(template=migrated_template)
    d = Daemon(tmp_path / "status", postgres, db, {"database": {
        "replica_conninfo": replica.conninfo(db) + " password=never-shown-secret",
        "replica_max_lag_ms": 60000}},
        f"learning_forms = (\n{libconfig(FORM)}\n);\n")
    d.start()
    try:
        acc = Accounts(postgres, db, "RS")
        acc.add_unit("RSA", "副本状态单位")
        acc.add_staff("RSA", "状态人员")
        admin = acc.add_admin("RSA", "副本状态员")[1]
        text = status_text(d)
        assert "never-shown-secret" not in text and "password=" not in text, text
        assert (f"replica: host {replica.host} port {replica.port} dbname {db}: "
                "not checked yet") in text, text
        assert re.search(r"replica pool: 0 open, 0 busy, 4 size", text), text
        assert heavy_reads(text) == (0, 0), text

        with logged_in(d, admin) as adm:
            wait_for("a report from the replica", lambda: adm.result(
                "completion.report", {"year": NOW})["source"] == "replica")
            text = status_text(d)
            m = re.search(r"replica: .*: fresh \((\d+) ms behind at most, seen \d+ s ago\)",
                          text)
            assert m and int(m.group(1)) <= 60000, text
            assert re.search(r"replica pool: [1-4] open, 0 busy, 4 size", text), text
            from_replica, from_primary = heavy_reads(text)
            assert from_replica >= 1, text

            replica.stop()
            try:
                assert adm.result("completion.report", {"year": NOW})["source"] == "primary"
                text = status_text(d)
                assert re.search(r"replica: .*: unreachable since "
                                 r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", text), text
                again_replica, again_primary = heavy_reads(text)
                assert again_primary >= from_primary + 1, text
                assert again_replica in (from_replica, from_replica + 1), text
            finally:
                replica.start()
            wait_for("the replica serving again", lambda: adm.result(
                "completion.report", {"year": NOW})["source"] == "replica")
            assert ": fresh (" in status_text(d)
    finally:
        d.stop()
