"""A class's roster (名单, issue 15): rows typed or imported from CSV in UTF-8, UTF-8 with a
byte order mark or GB18030 (as Chinese Excel saves it), every row checked and every bad row
named with its line and reason at once; rows of people not registered yet kept unclaimed.
"""

import base64

import pytest

from conftest import module_daemon
from helpers import (CONFLICT, INVALID_PARAMS, INVALID_INPUT, NOT_FOUND, NOW, Accounts,
                     expect_error, forms_text, id_number, logged_in)

BASE_KINDS = 'base_kinds = ( { kind = "medical"; forms = [ "training" ]; } );\n'
MAX_BYTES = 65536
MAX_ROWS = 1200    # more than a batch of rows stored at once (roster.c: 1000)


@pytest.fixture(scope="module")
def rdaemon(postgres, migrated_template, tmp_path_factory):
    yield from module_daemon(
        postgres, migrated_template, tmp_path_factory, "jxjyd-rosters",
        {"bases": {"roster_max_bytes": MAX_BYTES, "roster_max_rows": MAX_ROWS}},
        forms_text([], with_sample=True).replace(",\n\n);", "\n);") + "\n" + BASE_KINDS)


@pytest.fixture(scope="module")
def rsite(rdaemon, postgres):
    acc = Accounts(postgres, rdaemon.dbname, "RS")
    acc.add_unit("RSU", "名单测试单位")
    acc.add_base("RSA", "名单测试基地", kind="medical")
    return {"acc": acc, "admin": acc.add_base_admin("RSA", "名单基地管理员"),
            "zhang": acc.add_staff("RSU", "张护士"), "li": acc.add_staff("RSU", "李医生"),
            "pending": acc.add_staff("RSU", "待审人", state="pending")}


def new_class(s, name="名单测试班", amount=8):
    return s.result("class.save", {
        "name": name, "form": "training", "fields": {
            "name": name, "kind": "培训班", "organiser": "省医学会",
            "dates": {"from": f"{NOW - 1}-05-01", "to": f"{NOW - 1}-05-02"}},
        "start_date": f"{NOW - 1}-05-01", "end_date": f"{NOW - 1}-05-02", "year": NOW - 1,
        "amount": amount})["id"]


def b64(data):
    return base64.b64encode(data).decode()


def by_line(reply):
    return {p["line"]: p["reason"] for p in reply["problems"]}


def bad_id():
    good = id_number()
    return good[:17] + ("0" if good[17] != "0" else "1")


def test_a_utf8_roster_with_every_kind_of_bad_row(rdaemon, rsite):
    zhang, li, pending = rsite["zhang"][1], rsite["li"][1], rsite["pending"][1]
    stranger, wrong = id_number(), bad_id()
    text = ("身份证号,姓名,学时\n"
            f"{zhang},张护士,\n"            # 2: claimed, the class's hours
            f"{stranger},王未注册,6\n"      # 3: unclaimed (nobody registered)
            f"{wrong},错号,4\n"             # 4: a bad ID number
            f"{zhang},张护士,2\n"           # 5: the same ID number again
            f"{li},李四,4\n"                # 6: not the registered name
            f"{pending},待审人,1001\n"      # 7: hours out of bounds
            "\n"                            # 8: blank
            f"{pending.lower()},待审人,0\n"  # 9: hours out of bounds (and unclaimed ID)
            f"{pending},,3\n"               # 10: no name
            "只有一列\n")                    # 11: too few columns
    with logged_in(rdaemon, rsite["admin"][1]) as s:
        cid = new_class(s)
        got = s.result("roster.import", {"class_id": cid, "data": b64(text.encode())})
        assert got["encoding"] == "UTF-8"
        assert by_line(got) == {4: "roster_id_invalid", 5: "roster_duplicate",
                                6: "roster_name_mismatch", 7: "roster_amount_invalid",
                                9: "roster_amount_invalid", 10: "roster_name_invalid",
                                11: "roster_columns"}
        assert (got["taken"], got["rows"], got["bad"], got["unclaimed"]) == (9, 9, 7, 1)
        # The same file replacing the roster is checked as it goes in: the same verdicts.
        again = s.result("roster.import", {"class_id": cid, "data": b64(text.encode()),
                                            "replace": True})
        assert by_line(again) == by_line(got)
        assert (again["rows"], again["bad"], again["unclaimed"]) == (9, 7, 1)
        # The registered name is never told.
        mismatch = [p for p in got["problems"] if p["line"] == 6][0]
        assert "李医生" not in str(mismatch) and mismatch["name"] == "李四"
        # The list says the same, row by row; claimed rows are known.
        rows = s.result("roster.list", {"class_id": cid})["items"]
        assert [(r["line"], r["claimed"], r["problem"] and r["problem"]["reason"])
                for r in rows][:2] == [(2, True, None), (3, False, None)]
        only = s.result("roster.list", {"class_id": cid, "problems_only": True,
                                         "limit": 3})
        assert [r["line"] for r in only["items"]] == [4, 5, 6]
        more = s.result("roster.list", {"class_id": cid, "problems_only": True,
                                         "after": only["next"]})
        assert [r["line"] for r in more["items"]] == [7, 9, 10, 11]
        assert s.result("class.get", {"id": cid})["roster"] == \
            {"rows": 9, "bad": 7, "unclaimed": 1}

        # Fixing a row fixes it; removing the first of two makes the second good.
        mism = [r for r in rows if r["line"] == 6][0]
        fixed = s.result("roster.update", {"row_id": mism["id"], "name": "李医生"})
        assert 6 not in by_line(fixed) and fixed["bad"] == 6
        first = [r for r in rows if r["line"] == 2][0]
        after = s.result("roster.remove", {"class_id": cid, "row_ids": [first["id"]]})
        assert after["removed"] == 1 and 5 not in by_line(after)
        assert after["bad"] == 5
    audit = rsite["acc"].rows(f"SELECT action, detail->>'op' FROM base_class_audit "
                              f"WHERE class_id = {cid} ORDER BY id")
    assert audit == [["create", ""], ["roster", "import"], ["roster", "import"],
                     ["roster", "update"], ["roster", "remove"]]


def test_utf8_bom_and_gb18030_files_are_read_and_said(rdaemon, rsite):
    zhang, li = rsite["zhang"][1], rsite["li"][1]
    with logged_in(rdaemon, rsite["admin"][1]) as s:
        cid = new_class(s, "编码测试班")
        bom = ("\ufeff" + f"{zhang},张护士,3\r\n{li},李医生\r\n").encode("utf-8")
        got = s.result("roster.import", {"class_id": cid, "data": b64(bom)})
        assert (got["encoding"], got["rows"], got["bad"]) == ("UTF-8 BOM", 2, 0)

        stranger = id_number()
        gb = ("ID number,Name,Hours\n"
              f"{zhang},张护士,3\n{li},李医生,\n{stranger},赵新人,5.5\n").encode("gb18030")
        gb += f"{id_number()},".encode() + b"\xff\xfe\xff\n"   # 5: no text in either
        got = s.result("roster.import", {"class_id": cid, "data": b64(gb), "replace": True})
        assert got["encoding"] == "GB18030"
        assert by_line(got) == {5: "roster_encoding"}
        assert (got["rows"], got["bad"], got["unclaimed"]) == (4, 1, 1)
        names = [r["name"] for r in s.result("roster.list", {"class_id": cid})["items"]]
        assert names[:3] == ["张护士", "李医生", "赵新人"]
        # Without replace, rows are added; a person already there is a duplicate.
        got = s.result("roster.import", {"class_id": cid,
                                          "data": b64(f"{li},李医生\n".encode())})
        assert got["rows"] == 5 and by_line(got)[1] == "roster_duplicate"


def test_typed_rows_and_the_bounds(rdaemon, rsite):
    with logged_in(rdaemon, rsite["admin"][1]) as s:
        cid = new_class(s, "手工录入班")
        got = s.result("roster.add", {"class_id": cid, "rows": [
            {"id_number": rsite["zhang"][1], "name": "张护士", "amount": 2.5},
            {"id_number": "123", "name": "坏号"}, {"name": 5}]})
        assert [p["reason"] for p in got["problems"]] == ["roster_id_invalid",
                                                          "roster_columns"]
        assert [p["line"] for p in got["problems"]] == [None, None]
        expect_error(s.call("roster.add", {"class_id": cid, "rows": []}), INVALID_PARAMS,
                     "roster_rows_invalid")
        # Too big a file: refused whole, the bound named.
        err = expect_error(s.call("roster.import", {"class_id": cid,
                                                    "data": b64(b"x" * (MAX_BYTES + 10))}),
                           INVALID_PARAMS, "roster_too_large", "data")
        assert str(MAX_BYTES) in err["message"]
        expect_error(s.call("roster.import", {"class_id": cid, "data": "not base64!"}),
                     INVALID_PARAMS, "roster_data_invalid", "data")
        # More rows than a roster may hold: nothing is taken.
        many = "".join(f"{id_number()},某{i}\n" for i in range(MAX_ROWS + 1)).encode()
        expect_error(s.call("roster.import", {"class_id": cid, "data": b64(many)}),
                     INVALID_INPUT, "roster_too_many_rows")
        assert s.result("class.get", {"id": cid})["roster"]["rows"] == 3
        # A class that is no draft keeps its roster.
        rsite["acc"].sql(f"UPDATE base_classes SET state = 'reported', reported_at = now() "
                         f"WHERE id = {cid}")
        expect_error(s.call("roster.add", {"class_id": cid, "rows": [
            {"id_number": id_number(), "name": "晚来的"}]}), CONFLICT, "state_changed")
        expect_error(s.call("roster.import", {"class_id": 999999, "data": ""}),
                     NOT_FOUND, "not_found")


# --- ssh host classes / roster CLASS ----------------------------------------------------------

@pytest.fixture(scope="module")
def base_key(rdaemon, rsite, tmp_path_factory):
    """The base administrator's SSH key, added to their account."""
    from helpers import DEMO_PASSWORD, make_key
    key, pub = make_key(tmp_path_factory.mktemp("keys"), "base")
    with logged_in(rdaemon, rsite["admin"][1]) as s:
        s.result("keys.add", {"key": pub, "password": DEMO_PASSWORD})
    return key


def run(d, user, key, command, data=None, env=None):
    import subprocess
    from helpers import ssh_argv
    argv = ssh_argv(d.port, user, key, command)
    if env:
        argv[1:1] = [a for k in env for a in ("-o", f"SetEnv={k}={env[k]}")]
    r = subprocess.run(argv, input=data if data is not None else b"", capture_output=True,
                       timeout=60)
    return r.returncode, r.stdout.decode("utf-8", "replace")


def test_ssh_roster_import_print_and_classes(rdaemon, rsite, base_key):
    admin = rsite["admin"][1]
    zhang, stranger = rsite["zhang"][1], id_number()
    with logged_in(rdaemon, admin) as s:
        cid = new_class(s, "命令行班")
    gb = (f"身份证号,姓名,学时\n{zhang},张护士,\n{stranger},陈新人,3\n"
          f"{bad_id()},坏号码,2\n").encode("gb18030")
    status, out = run(rdaemon, admin, base_key, f"roster {cid}", gb)
    assert status == 1, out
    assert "GB18030" in out and "3" in out, out
    assert "第 4 行：" in out and "身份证号无效" in out, out
    # Fixed and sent again: it replaces the roster; exit 0.
    good = f"{zhang},张护士\r\n{stranger},陈新人,3\r\n".encode("utf-8")
    status, out = run(rdaemon, admin, base_key, f"roster {cid}", good)
    assert status == 0, out
    assert "UTF-8" in out, out
    status, out = run(rdaemon, admin, base_key, f"roster {cid} --csv",
                      env={"JXJY_LANG": "en"})
    assert status == 0, out
    lines = out.splitlines()
    assert lines[0] == "line,id_number,name,hours,problem,claimed", out
    assert lines[1:] == [f"1,{zhang},张护士,,,yes", f"2,{stranger},陈新人,3.00,,no"], out
    status, out = run(rdaemon, admin, base_key, "classes --csv", env={"JXJY_LANG": "en"})
    assert status == 0, out
    row = [line for line in out.splitlines() if line.startswith(f"{cid},")][0]
    assert row.endswith(",draft,2,0,1"), row
    status, out = run(rdaemon, admin, base_key, "classes")
    assert status == 0 and "命令行班" in out and "草稿" in out, out
    # Not the base's class; a file over the bound.
    status, out = run(rdaemon, admin, base_key, "roster 999999 --csv")
    assert status == 1 and "没有这个班次" in out, out
    status, out = run(rdaemon, admin, base_key, f"roster {cid}", b"x" * (MAX_BYTES + 1))
    assert status == 1 and str(MAX_BYTES) in out, out


def test_ssh_base_commands_refuse_others_and_unit_commands_refuse_bases(rdaemon, rsite,
                                                                         base_key, tmp_path):
    from helpers import DEMO_PASSWORD, make_key
    key, pub = make_key(tmp_path, "staff")
    with logged_in(rdaemon, rsite["zhang"][1]) as s:
        s.result("keys.add", {"key": pub, "password": DEMO_PASSWORD})
    status, out = run(rdaemon, rsite["zhang"][1], key, "classes")
    assert status == 1 and "继续教育基地管理员" in out, out
    status, out = run(rdaemon, rsite["admin"][1], base_key, "queue")
    assert status == 1 and "单位管理员" in out, out


def test_only_the_first_line_may_be_a_heading(rdaemon, rsite):
    with logged_in(rdaemon, rsite["admin"][1]) as s:
        cid = new_class(s, "表头测试班")
        data = b"\xff\xfe\xff\n" + "身份证号,姓名\n".encode("gb18030")
        got = s.result("roster.import", {"class_id": cid, "data": b64(data)})
        assert got["encoding"] == "GB18030"
        assert by_line(got) == {1: "roster_encoding", 2: "roster_id_invalid"}


def test_a_duplicate_in_a_later_batch_is_found(rdaemon, rsite):
    zhang = rsite["zhang"][1]
    rows = [f"{zhang},张护士"] + [f"{id_number()},学{i}" for i in range(1098)] + \
        [f"{zhang},张护士"]
    with logged_in(rdaemon, rsite["admin"][1]) as s:
        cid = new_class(s, "多批名单班")
        got = s.result("roster.import", {"class_id": cid, "replace": True,
                                          "data": b64("\n".join(rows).encode())})
        assert by_line(got) == {1100: "roster_duplicate"}
        assert (got["rows"], got["bad"], got["unclaimed"]) == (1100, 1, 1098)


def test_a_reported_rows_record_state_is_on_the_roster(rdaemon, rsite):
    zhang, stranger = rsite["zhang"][1], id_number()
    with logged_in(rdaemon, rsite["admin"][1]) as s:
        made = s.result("class.save", {
            "name": "报送后的班", "form": "training", "fields": {
                "name": "报送后的班", "kind": "培训班", "organiser": "省医学会",
                "dates": {"from": f"{NOW - 1}-06-01", "to": f"{NOW - 1}-06-02"}},
            "start_date": f"{NOW - 1}-06-01", "end_date": f"{NOW - 1}-06-02",
            "year": NOW - 1, "amount": 6})
        s.result("roster.add", {"class_id": made["id"], "rows": [
            {"id_number": zhang, "name": "张护士"}, {"id_number": stranger, "name": "未注册"}]})
        got = s.result("class.get", {"id": made["id"]})
        assert got["records"] == {"pending": 0, "approved": 0, "rejected": 0}
        s.result("class.report", {"id": made["id"], "version": got["version"]})
        rows = s.result("roster.list", {"class_id": made["id"]})["items"]
        assert (rows[0]["record"]["state"], rows[0]["record"]["state_label"]) == \
            ("pending", "待审核")   # base_reports.review = "unit", the default
        assert rows[0]["record"]["id"] == rows[0]["declaration_id"] is not None
        assert rows[1]["record"] is None and rows[1]["claimed"] is False
        # The base's list counts the report's records by state, as the units decide them.
        listed = {c["id"]: c for c in s.result("class.list")["items"]}[made["id"]]
        assert listed["records"] == {"pending": 1, "approved": 0, "rejected": 0}
        _, admin = rsite["acc"].add_admin("RSU", "名单单位管理员")
        with logged_in(rdaemon, admin) as adm:
            r = adm.result("review.approve_declarations", {"ids": [rows[0]["declaration_id"]]})
            assert r["results"][0]["ok"], r
        assert s.result("class.get", {"id": made["id"]})["records"] == \
            {"pending": 0, "approved": 1, "rejected": 0}


def test_a_roster_file_sent_to_the_inbox(rdaemon, rsite, tmp_path):
    """At a plain terminal (the served TUI) the roster file goes to the session's inbox
    with scp, and roster.import takes it from there by name: read as GB18030, the file
    leaves the inbox; the file is named by data or by inbox, one of the two."""
    import subprocess

    from conftest import SSH_OPTIONS
    from helpers import NO_AGENT
    zhang, stranger = rsite["zhang"][1], id_number()
    path = tmp_path / "名单.csv"
    path.write_bytes(f"身份证号,姓名\n{zhang},张护士\n{stranger},赵未注册\n".encode("gb18030"))
    with logged_in(rdaemon, rsite["admin"][1]) as s:
        cid = new_class(s, name="收件箱名单班")
        token = s.result("inbox.open")["token"]
        r = subprocess.run(["scp", *SSH_OPTIONS, *NO_AGENT, "-P", str(rdaemon.port), str(path),
                            f"{token}@localhost:"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert [f["name"] for f in s.result("inbox.list")["files"]] == ["名单.csv"]
        for params in ({}, {"data": b64(b"x"), "inbox": "名单.csv"}):
            expect_error(s.call("roster.import", {"class_id": cid, **params}),
                         INVALID_PARAMS, "roster_source_invalid")
        expect_error(s.call("roster.import", {"class_id": cid, "inbox": "没有.csv"}),
                     NOT_FOUND, "inbox_file_not_found", "inbox")
        got = s.result("roster.import", {"class_id": cid, "inbox": "名单.csv"})
        assert got["encoding"] == "GB18030" and got["problems"] == []
        assert got["unclaimed"] == 1
        rows = s.result("roster.list", {"class_id": cid})["items"]
        assert sorted(r["name"] for r in rows) == ["张护士", "赵未注册"]
        assert s.result("inbox.list")["files"] == []
