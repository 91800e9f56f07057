"""Declarations and their attachments partitioned by year (schema 019, issue 17), on the
real daemon and PostgreSQL.

Records land in their year's partition, and a draft whose year is edited moves there with
its attachment; the migration from the unpartitioned tables keeps every row, id and byte
(and refuses to commit a copy that lost one); a year without a partition goes to the
default one until declarations_add_year moves it out; an old year is detached, dumped,
dropped, restored and attached back while the service goes on; the daemon makes the
partitions of its window at start and at SIGHUP; and a review queue filtered by year reads
only that year's partition.
"""

import base64
import shutil
import subprocess
import time

import pytest

from conftest import SCHEMA_DIR, Daemon, _pg_bindir
from helpers import (NOT_FOUND, NOW, PLAIN, Accounts, Sql, content, expect_error, jpeg,
                     logged_in, sha, upload, wait_until)


@pytest.fixture(scope="module")
def world(ddaemon, postgres):
    acc = Accounts(postgres, ddaemon.dbname, "PT")
    acc.add_unit("PTA", "分区测试单位")
    return {"acc": acc, "admin": acc.add_admin("PTA", "分区测试管理员"),
            "staff": acc.add_staff("PTA", "分区测试人员"),
            "old": acc.add_staff("PTA", "分区历年人员")}


@pytest.fixture(scope="module")
def staff(ddaemon, world):
    with logged_in(ddaemon, world["staff"][1]) as s:
        yield s


@pytest.fixture(scope="module")
def forms(staff):
    return {f["code"]: f for f in staff.result("forms.list")["forms"]}


# --- helpers -------------------------------------------------------------------------------

def partition_of(acc, table, where):
    """The partition holding the row of table that where selects."""
    return acc.value(f"SELECT tableoid::regclass FROM {table} WHERE {where}")


def attached(acc, year):
    return acc.value(f"SELECT declarations_partition_attached('declarations', {year}) "
                     f"AND declarations_partition_attached('attachments', {year})") == "t"


def download(s, attachment_id):
    out, offset = b"", 0
    while True:
        r = s.result("attachment.get", {"attachment_id": attachment_id, "offset": offset})
        out += base64.b64decode(r["data"])
        offset += r["length"]
        if r["eof"]:
            return out


def insert_record(acc, account, year, state="approved", attachment=None):
    """A record of year made as the daemon's statements make one (for years outside the
    window, which the daemon refuses), with its attachment's bytes; returns its id."""
    form = acc.value("SELECT max(id) FROM learning_forms WHERE code = 't_plain'")
    did = acc.insert(
        "declarations", account_id=account, unit_code="PTA", form_id=int(form),
        form_code="t_plain", year=year, amount=3, hours=3, category="professional",
        fields=Sql("""'{"name": "历年培训"}'::jsonb"""), state=state,
        submitted_at=Sql("now()"), decided_at=Sql("now()" if state == "approved" else "NULL"))
    if attachment is not None:
        acc.sql("INSERT INTO attachments (declaration_id, year, name, mime, size, sha256, data)"
                f" VALUES ({did}, {year}, 'old.jpg', 'image/jpeg', {len(attachment)},"
                f" '{sha(attachment)}', '\\x{attachment.hex()}'::bytea)")
    hours = "approved_hours" if state == "approved" else "pending_hours"
    acc.sql("INSERT INTO declaration_totals (account_id, year, form_code, category,"
            f" {hours}) VALUES ({account}, {year}, 't_plain', 'professional', 3)"
            f" ON CONFLICT (account_id, year, form_code) DO UPDATE SET"
            f" {hours} = declaration_totals.{hours} + 3")
    return did


def listed_ids(s):
    return {i["id"] for i in s.result("declaration.list", {"limit": 200})["items"]}


# --- where records go ------------------------------------------------------------------------

def test_records_land_in_their_years_partition(world, staff, forms):
    acc = world["acc"]
    # The daemon's window (years_back 1) and the next year have their partitions.
    for y in (NOW - 1, NOW, NOW + 1):
        assert attached(acc, y), y
    data = jpeg(3000)
    tok = upload(staff, data)["attachment_token"]
    now_id = staff.result("declaration.save", {**content(forms["t_credits"]),
                                               "attachment_token": tok})["id"]
    last_id = staff.result("declaration.submit", content(forms["t_plain"],
                                                         year=NOW - 1))["id"]
    assert partition_of(acc, "declarations", f"id = {now_id}") == f"declarations_{NOW}"
    assert partition_of(acc, "attachments", f"declaration_id = {now_id}") == \
        f"attachments_{NOW}"
    assert partition_of(acc, "declarations", f"id = {last_id}") == f"declarations_{NOW - 1}"
    assert acc.value("SELECT count(*) FROM declarations_default") == "0"


def test_draft_year_edited_moves_with_its_attachment(world, staff, forms):
    acc = world["acc"]
    data = jpeg(70_000)
    tok = upload(staff, data)["attachment_token"]
    r = staff.result("declaration.save", {**content(forms["t_credits"]),
                                          "attachment_token": tok})
    did = r["id"]
    att = staff.result("declaration.get", {"id": did})["attachment"]

    r = staff.result("declaration.save", {**content(forms["t_credits"], year=NOW - 1),
                                          "id": did, "version": r["version"]})
    assert r["id"] == did
    assert partition_of(acc, "declarations", f"id = {did}") == f"declarations_{NOW - 1}"
    assert partition_of(acc, "attachments", f"declaration_id = {did}") == \
        f"attachments_{NOW - 1}"
    d = staff.result("declaration.get", {"id": did})
    assert d["year"] == NOW - 1 and d["attachment"]["id"] == att["id"]
    assert d["attachment"]["sha256"] == sha(data)
    assert download(staff, att["id"]) == data

    # Submitted, its hours count in its new year only.
    staff.result("declaration.submit", {"id": did, "version": d["version"]})
    rows = acc.rows("SELECT year, pending_hours FROM declaration_totals"
                    f" WHERE account_id = {world['staff'][0]} AND form_code = 't_credits'")
    assert [int(y) for y, p in rows if float(p) > 0] == [NOW - 1]


def test_a_moved_draft_is_not_told_as_deleted(world, staff, forms):
    """The move is a DELETE and an INSERT inside PostgreSQL: the person's other sessions
    hear of the record as a draft, never that it was deleted."""
    acc = world["acc"]
    did = staff.result("declaration.save", content(forms["t_plain"]))["id"]
    out = acc.sql("LISTEN jxjy_sessions; UPDATE declarations SET year = "
                  f"{NOW - 1}, version = version + 1 WHERE id = {did}")
    assert f"declaration {did} draft" in out, out
    assert f"declaration {did} deleted" not in out, out
    assert partition_of(acc, "declarations", f"id = {did}") == f"declarations_{NOW - 1}"
    out = acc.sql(f"LISTEN jxjy_sessions; DELETE FROM declarations WHERE id = {did}")
    assert f"declaration {did} deleted" in out, out


# --- the default partition and declarations_add_year ----------------------------------------

def test_a_year_without_partition_goes_to_the_default_until_added(ddaemon, world):
    acc, (person, idn) = world["acc"], world["old"]
    data = jpeg(2000)
    did = insert_record(acc, person, 2003, attachment=data)
    assert partition_of(acc, "declarations", f"id = {did}") == "declarations_default"
    assert partition_of(acc, "attachments", f"declaration_id = {did}") == \
        "attachments_default"
    assert acc.value("SELECT declarations_add_year(2003)") == "1"
    assert acc.value("SELECT declarations_add_year(2003)") == ""    # there already
    assert partition_of(acc, "declarations", f"id = {did}") == "declarations_2003"
    assert partition_of(acc, "attachments", f"declaration_id = {did}") == "attachments_2003"
    assert acc.value("SELECT count(*) FROM declarations_default") == "0"
    with logged_in(ddaemon, idn) as s:
        d = s.result("declaration.get", {"id": did})
        assert d["year"] == 2003 and d["attachment"]["sha256"] == sha(data)
        assert download(s, d["attachment"]["id"]) == data


# --- archiving a year ------------------------------------------------------------------------

def test_detach_dump_drop_restore_attach_a_year(ddaemon, postgres, world, staff, forms,
                                                tmp_path):
    acc, (person, idn) = world["acc"], world["old"]
    assert acc.value("SELECT declarations_add_year(2015)") == "0"
    data = jpeg(4000)
    ids = {insert_record(acc, person, 2015, attachment=data), insert_record(acc, person, 2015)}
    with logged_in(ddaemon, idn) as s:
        assert ids <= listed_ids(s)
        att = s.result("declaration.get", {"id": min(ids)})["attachment"]
        before = s.result("completion.year", {"year": 2015})
        assert len(before["items"]) == 2

    assert acc.value("SELECT declarations_detach_year(2015)") == "2"
    assert not attached(acc, 2015)
    dump = tmp_path / "2015.sql"
    bindir = _pg_bindir()
    subprocess.run([str(bindir / "pg_dump") if bindir else "pg_dump", "-h", postgres.host,
                    "-p", postgres.port, "-U", postgres.user, "-d", ddaemon.dbname,
                    "-t", "declarations_2015", "-t", "attachments_2015", "-f", str(dump)],
                   check=True, timeout=60)
    acc.sql("DROP TABLE declarations_2015, attachments_2015")

    with logged_in(ddaemon, idn) as s:
        # The records are gone from every list; the year's figures stay.
        assert not ids & listed_ids(s)
        for did in ids:
            expect_error(s.call("declaration.get", {"id": did}), NOT_FOUND, "not_found")
        expect_error(s.call("attachment.get", {"attachment_id": att["id"]}), NOT_FOUND,
                     "not_found")
        after = s.result("completion.year", {"year": 2015})
        assert after["items"] == [] and after["summary"] == before["summary"]
        assert after["forms"] == before["forms"]
    # The rest of the service goes on: a record submitted, reviewed, approved.
    did = staff.result("declaration.submit", content(forms["t_plain"]))["id"]
    with logged_in(ddaemon, world["admin"][1]) as adm:
        assert did in {i["id"] for i in adm.result("review.declarations")["items"]}
        assert adm.result("review.declarations", {"year": 2015})["items"] == []
        assert adm.result("review.approve_declarations", {"ids": [did]})["results"] == \
            [{"id": did, "ok": True}]

    # Restored from the dump and attached back: as before.
    subprocess.run([postgres.psql_bin, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h",
                    postgres.host, "-p", postgres.port, "-U", postgres.user, "-d",
                    ddaemon.dbname, "-f", str(dump)], check=True, timeout=60,
                   capture_output=True)
    assert acc.value("SELECT declarations_attach_year(2015)") == "2"
    assert attached(acc, 2015)
    with logged_in(ddaemon, idn) as s:
        assert ids <= listed_ids(s)
        assert download(s, att["id"]) == data
        assert s.result("completion.year", {"year": 2015}) == before
    # The foreign key came back with it: an attachment needs its record.
    r = subprocess.run([postgres.psql_bin, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h",
                        postgres.host, "-p", postgres.port, "-U", postgres.user, "-d",
                        ddaemon.dbname, "-c",
                        "INSERT INTO attachments (declaration_id, year, name, mime, size,"
                        " sha256, data) VALUES (-1, 2015, 'x.jpg', 'image/jpeg', 1,"
                        f" '{'0' * 64}', '\\x00')"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode != 0 and "attachments_declaration_id_fkey" in r.stderr, r.stderr


# --- the daemon keeps its window's partitions ------------------------------------------------

def test_daemon_makes_its_windows_partitions_at_start_and_sighup(make_daemon, postgres):
    d = make_daemon(config={"declarations": {"years_back": 1}})
    acc = Accounts(postgres, d.dbname)
    for y in (NOW - 1, NOW, NOW + 1):
        assert attached(acc, y), y
    assert not attached(acc, NOW - 3)
    d.settings["declarations"]["years_back"] = 3
    d.write_config()
    d.reload()
    for y in range(NOW - 3, NOW + 2):
        assert attached(acc, y), y
    assert f"partitions: made declarations_{NOW - 3}" in d.stderr_text()


# --- a year's queries read that year ---------------------------------------------------------

def scans(acc):
    return {r[0]: int(r[1]) for r in acc.rows(
        "SELECT relname, coalesce(seq_scan, 0) + coalesce(idx_scan, 0)"
        " FROM pg_stat_user_tables WHERE relname LIKE 'declarations\\_%'")}


def settled_scans(acc):
    """The scan counters once every backend's pending counts have reached them."""
    last = scans(acc)
    while True:
        time.sleep(1.5)
        now = scans(acc)
        if now == last:
            return now
        last = now


def test_review_queue_of_a_year_reads_only_that_years_partition(make_daemon, postgres):
    """Also as a generic plan (which the pool's prepared statements may come to use): the
    database's plan_cache_mode forces one from the first call."""
    d = make_daemon(start=False)
    acc = Accounts(postgres, d.dbname)
    acc.sql(f'ALTER DATABASE "{d.dbname}" SET plan_cache_mode = force_generic_plan')
    acc.add_unit("PTA", "分区测试单位")
    acc.sql("INSERT INTO learning_forms (code, version, definition, checksum) VALUES"
            " ('t_plain', 1, '{\"name\": \"培训\", \"category\": \"professional\","
            " \"fields\": [{\"key\": \"name\"}]}', repeat('a', 64))")
    person = acc.add_staff("PTA", "分区测试人员")[0]
    d.start()
    admin = acc.add_admin("PTA", "分区测试管理员")[1]    # after the start's sync of admins
    for y in (NOW - 1, NOW):
        insert_record(acc, person, y, state="pending")
    before = settled_scans(acc)
    with logged_in(d, admin) as adm:
        for _ in range(3):
            assert len(adm.result("review.declarations", {"year": NOW - 1})["items"]) == 1
    wait_until("the scans counted",
               lambda: scans(acc)[f"declarations_{NOW - 1}"] > before[f"declarations_{NOW - 1}"])
    after = settled_scans(acc)
    changed = {t for t in after if after[t] != before.get(t, 0)}
    # The default partition (empty) is kept by PostgreSQL's pruning of a range: each of
    # its two bounds alone could match a year the partitions do not cover.
    assert changed <= {f"declarations_{NOW - 1}", "declarations_default"}, (before, after)
    assert f"declarations_{NOW - 1}" in changed
    assert acc.value("SELECT count(*) FROM declarations_default") == "0"


# --- the migration ------------------------------------------------------------------------------

MIGRATION_ROWS = ("SELECT id, year, account_id, state, hours, amount, fields::text, version,"
                  " class_id, review_chain::text FROM declarations ORDER BY id")
ATTACHMENT_ROWS = ("SELECT id, declaration_id, name, size, sha256, md5(data)"
                   " FROM attachments ORDER BY id")


def schema_up_to(tmp_path, last, change=None):
    """A copy of schema/ with the migrations up to last, and change(text) applied to the
    last one when given."""
    dst = tmp_path / f"schema-{last}"
    dst.mkdir()
    for f in sorted(SCHEMA_DIR.glob("*.sql")):
        if int(f.name[:3]) <= last:
            shutil.copy(f, dst / f.name)
    if change:
        f = next(dst.glob(f"{last:03d}-*.sql"))
        f.write_text(change(f.read_text(encoding="utf-8")), encoding="utf-8")
    return dst


def load_years(acc):
    """Records of six years, some with attachments, one reported by a base with its roster
    row; returns the largest id."""
    acc.add_unit("PTA", "分区测试单位")
    acc.sql("INSERT INTO learning_forms (code, version, definition, checksum) VALUES"
            " ('t_plain', 1, '{\"name\": \"培训\", \"category\": \"professional\","
            " \"fields\": [{\"key\": \"name\"}]}', repeat('a', 64))")
    people = [acc.add_staff("PTA", f"迁移人员{i}")[0] for i in range(5)]
    admin = acc.add_admin("PTA", "迁移管理员")[0]
    acc.sql(f"""INSERT INTO declarations (account_id, unit_code, form_id, form_code, year,
        amount, hours, category, fields, state, submitted_at, decided_by, decided_at,
        reject_reason)
        SELECT (ARRAY{people})[1 + g % 5], 'PTA', f.id, 't_plain', {NOW} - g % 6,
          1 + g % 7, (1 + g % 7) * 2, 'professional',
          jsonb_build_object('name', '培训' || g),
          (ARRAY['draft', 'pending', 'approved', 'rejected'])[1 + g % 4]::declaration_state,
          CASE WHEN g % 4 <> 0 THEN now() - g * interval '1 hour' END,
          CASE WHEN g % 4 >= 2 THEN {admin} END, CASE WHEN g % 4 >= 2 THEN now() END,
          CASE WHEN g % 4 = 3 THEN '材料不全' END
        FROM generate_series(1, 300) g, learning_forms f WHERE f.code = 't_plain'""")
    acc.sql("INSERT INTO attachments (declaration_id, name, mime, size, sha256, data)"
            " SELECT id, 'scan' || id || '.pdf', 'application/pdf', 100 + id % 50,"
            " repeat('c', 64), convert_to(repeat('x', 100 + (id % 50)::int), 'UTF8')"
            " FROM declarations WHERE id % 3 = 0")
    cls = acc.add_base_class("t_plain", admin, year=NOW - 1)
    base_id = acc.value(
        "INSERT INTO declarations (account_id, unit_code, form_id, form_code, year, amount,"
        " hours, category, state, source, class_id, submitted_at) SELECT"
        f" {people[0]}, 'PTA', id, 't_plain', {NOW - 1}, 2, 4, 'professional', 'pending',"
        f" 'base', {cls}, now() FROM learning_forms WHERE code = 't_plain' RETURNING id")
    acc.sql("INSERT INTO base_roster (class_id, id_number, name, account_id, declaration_id)"
            f" SELECT {cls}, id_number, name, id, {base_id} FROM accounts"
            f" WHERE id = {people[0]}")
    return int(acc.value("SELECT max(id) FROM declarations"))


def test_migration_keeps_every_record(postgres, tmp_path):
    db = postgres.new_database()
    d = Daemon(tmp_path / "jxjyd", postgres, db,
               {"schema_dir": str(schema_up_to(tmp_path, 18))})
    d.migrate()
    acc = Accounts(postgres, db)
    last = load_years(acc)
    rows, atts = acc.rows(MIGRATION_ROWS), acc.rows(ATTACHMENT_ROWS)
    assert len(rows) == 301 and len(atts) == 100
    indexes = set(acc.value("SELECT string_agg(indexname, ' ') FROM pg_indexes"
                            " WHERE tablename = 'declarations'").split())
    triggers = acc.value("SELECT string_agg(tgname, ' ' ORDER BY tgname) FROM pg_trigger"
                         " WHERE tgrelid = 'declarations'::regclass AND NOT tgisinternal")

    # A copy that loses a record is refused, and rolled back whole.
    d.settings["schema_dir"] = str(schema_up_to(
        tmp_path, 19, lambda t: t.replace(
            "INSERT INTO declarations SELECT * FROM declarations_unpartitioned;",
            "INSERT INTO declarations SELECT * FROM declarations_unpartitioned"
            " WHERE id <> 7;")))
    d.write_config()
    r = d.run("migrate")
    assert r.returncode != 0 and "differ from the originals" in r.stdout + r.stderr, r
    assert acc.value("SELECT relkind FROM pg_class WHERE relname = 'declarations'") == "r"
    assert acc.value("SELECT max(version) FROM schema_migrations") == "18"

    d.settings["schema_dir"] = str(SCHEMA_DIR)
    d.write_config()
    d.migrate()
    assert acc.value("SELECT relkind FROM pg_class WHERE relname = 'declarations'") == "p"
    assert acc.rows(MIGRATION_ROWS) == rows
    assert acc.rows(ATTACHMENT_ROWS) == atts
    # Each in its year's partition, an attachment in its record's.
    assert acc.rows("SELECT DISTINCT tableoid::regclass::text, year FROM declarations"
                    " ORDER BY 2") == [[f"declarations_{y}", str(y)]
                                       for y in range(NOW - 5, NOW + 1)]
    assert acc.value("SELECT count(*) FROM attachments a JOIN declarations d"
                     " ON d.id = a.declaration_id AND d.year = a.year"
                     " WHERE a.tableoid::regclass::text = 'attachments_' || d.year") == "100"
    assert acc.value("SELECT count(*) FROM base_roster r JOIN declarations d"
                     " ON d.id = r.declaration_id") == "1"
    # The same indexes by name (the key now (id, year)) and triggers.
    assert set(acc.value("SELECT string_agg(indexname, ' ') FROM pg_indexes"
                         " WHERE tablename = 'declarations'").split()) == indexes
    assert acc.value("SELECT indexdef FROM pg_indexes WHERE indexname = 'declarations_pkey'"
                     ).endswith("(id, year)")
    assert acc.value("SELECT string_agg(tgname, ' ' ORDER BY tgname) FROM pg_trigger"
                     " WHERE tgrelid = 'declarations'::regclass AND NOT tgisinternal") == \
        triggers
    # The sequence went on where it was: the next record takes the next id.
    nxt = acc.value("INSERT INTO declarations (account_id, unit_code, form_id, form_code,"
                    " year, amount, hours, category) SELECT account_id, unit_code, form_id,"
                    " form_code, year, 1, 1, category FROM declarations WHERE id = 1"
                    " RETURNING id")
    assert int(nxt) == last + 1
