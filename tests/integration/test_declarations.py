"""Learning forms and declarations of hours and credits (学时学分申报), their attachments
and their review (学时审核), on the real daemon over SSH.

The module's daemon offers the learning forms shipped in etc/jxjyd.conf plus a few of the
tests' own; every field of every form is tried with values that break its rules.  The
state machine is walked through every allowed transition and every refused one; a
withdrawal races an approval a hundred times; attachments are checked by content, size
and checksum, interrupted, and downloaded back byte for byte; and a config change after
records exist must leave every record with the definition it was made with.
"""

import base64
import os
import re
import threading
from pathlib import Path

from decimal import Decimal

import pytest

from conftest import Daemon
from helpers import (CHUNK, CONFLICT, INVALID_INPUT, INVALID_PARAMS, ISO, MAX_ATTACHMENT,
                     NOT_FOUND, NOT_PERMITTED, NOW, PLAIN, Accounts, content, expect_error,
                     jpeg, logged_in, pages, reload_forms, set_forms, sha, upload,
                     valid_fields, valid_value, wait_until)


@pytest.fixture(scope="module")
def world(ddaemon, postgres):
    acc = Accounts(postgres, ddaemon.dbname, "DC")
    a = acc.add_unit("DCA", "申报测试甲单位", departments=("科研处",))
    acc.add_unit("DCB", "申报测试乙单位")
    w = {"acc": acc}
    w["admin_a"] = acc.add_admin("DCA", "甲单位学时管理员")
    w["admin_b"] = acc.add_admin("DCB", "乙单位学时管理员")
    w["staff"] = acc.add_staff("DCA", "王建国", a["科研处"])
    w["staff2"] = acc.add_staff("DCA", "李秀英")
    w["staff_b"] = acc.add_staff("DCB", "赵乙")
    return w


@pytest.fixture(scope="module")
def staff(ddaemon, world):
    with logged_in(ddaemon, world["staff"][1]) as s:
        yield s


@pytest.fixture(scope="module")
def admin(ddaemon, world):
    with logged_in(ddaemon, world["admin_a"][1]) as s:
        yield s


@pytest.fixture(scope="module")
def forms(staff):
    return {f["code"]: f for f in staff.result("forms.list")["forms"]}


# --- helpers -------------------------------------------------------------------------------

def download(s, attachment_id, length=None):
    """Every byte of an attachment through attachment.get."""
    out, offset = b"", 0
    while True:
        p = {"attachment_id": attachment_id, "offset": offset}
        if length:
            p["length"] = length
        r = s.result("attachment.get", p)
        assert r["offset"] == offset
        chunk = base64.b64decode(r["data"])
        assert len(chunk) == r["length"]
        out += chunk
        offset += len(chunk)
        if r["eof"]:
            assert offset == r["size"]
            return out, r
        assert len(chunk) > 0


def audit(acc, decl_id):
    """(action, from, to, actor, reason) of a declaration, oldest first."""
    return [tuple(r) for r in acc.rows(
        "SELECT action, coalesce(from_state::text, ''), coalesce(to_state::text, ''), "
        "coalesce(actor_id::text, ''), coalesce(reason, '') FROM declaration_audit "
        f"WHERE declaration_id = {decl_id} ORDER BY id")]


def state_of(acc, decl_id):
    rows = acc.rows(f"SELECT state FROM declarations WHERE id = {decl_id}")
    return rows[0][0] if rows else None


def assert_totals_consistent(acc, account_id):
    """declaration_totals agrees with the declarations it sums."""
    want = {(int(y), f): (float(p), float(a)) for y, f, p, a in acc.rows(
        "SELECT year, form_code, coalesce(sum(hours) FILTER (WHERE state = 'pending'), 0), "
        "coalesce(sum(hours) FILTER (WHERE state = 'approved'), 0) FROM declarations "
        f"WHERE account_id = {account_id} GROUP BY year, form_code")}
    got = {(int(y), f): (float(p), float(a)) for y, f, p, a in acc.rows(
        "SELECT year, form_code, pending_hours, approved_hours FROM declaration_totals "
        f"WHERE account_id = {account_id}")}
    for key, (p, a) in want.items():
        if p or a:
            assert got.get(key) == (p, a), (key, got.get(key), (p, a))
    for key, (p, a) in got.items():
        assert want.get(key, (0.0, 0.0)) == (p, a), (key, (p, a), want.get(key))


def count_rows(acc, account_id):
    return int(acc.value(f"SELECT count(*) FROM declarations WHERE account_id = {account_id}"))


def new_pending(s, form=PLAIN, amount=4, year=NOW):
    r = s.result("declaration.submit", {"form": form["code"], "year": year, "amount": amount,
                                        "fields": {"name": "测试申报"}})
    assert r["state"] == "pending"
    return r["id"]


# --- forms.list ----------------------------------------------------------------------------

def test_forms_list(ddaemon, world, staff, admin, forms):
    r = staff.result("forms.list")
    codes = [f["code"] for f in r["forms"]]
    assert len(codes) >= 15 and codes[-2:] == ["t_plain", "t_credits"]
    for code in ("conference", "research_project", "paper", "book", "patent", "award",
                 "qualification_exam", "aid_service", "training", "degree_education"):
        assert code in codes
    assert r["years"] == [NOW, NOW - 1] and r["current_year"] == NOW
    assert r["max_attachment"] == MAX_ATTACHMENT and r["chunk_size"] == CHUNK
    assert [s["key"] for s in r["states"]] == ["all", "draft", "pending", "approved",
                                                "rejected"]
    assert [s["label"] for s in r["states"]] == ["全部", "待提交", "待审核", "审核通过",
                                                  "审核不通过"]
    conf = forms["conference"]
    assert conf["name"] == "学术会议" and conf["category"] == "professional"
    assert conf["category_label"] == "专业科目" and conf["counts_label"] == "学时"
    assert conf["attachment"] == "required" and conf["version"] >= 1
    level = next(f for f in conf["fields"] if f["key"] == "level")
    assert level == {"key": "level", "label": "会议级别", "label_en": "Conference level",
                     "type": "choice", "required": True, "choices": ["国家级", "省级"],
                     "choices_en": ["National", "Provincial"]}
    rank = next(f for f in forms["paper"]["fields"] if f["key"] == "rank")
    assert rank["min"] == 1 and rank["max"] == 3 and rank["type"] == "integer"
    c = forms["t_credits"]
    assert c["counts"] == "credits" and c["credit_hours"] == "0.5"
    assert c["category_label"] == "公需科目" and c["counts_label"] == "学分"
    assert c["fields"][1]["min"] == "0.5" and c["fields"][1]["max"] == "99.75"
    # Unit administrators see them too (for the queue's filter); guests do not.
    assert [f["code"] for f in admin.result("forms.list")["forms"]] == codes
    with ddaemon.rpc() as guest:
        expect_error(guest.call("forms.list"), NOT_PERMITTED, "login_required")


# --- every form's fields -------------------------------------------------------------------

def broken_values(field):
    """(value, reason) pairs that break field's rules."""
    t = field["type"]
    out = []
    if t in ("text", "longtext"):
        out += [("x" * (field["max_length"] + 1), "field_too_long"),
                ("甲\u0007乙", "field_text_invalid"), (12, "field_text_invalid")]
        if t == "text":
            out.append(("一\n二", "field_text_invalid"))
    elif t == "integer":
        out += [("很多", "field_integer"), ("一二", "field_integer"), (1.5, "field_integer"),
                ({"n": 1}, "field_integer")]
        if "min" in field:
            out.append((field["min"] - 1, "field_min"))
        if "max" in field:
            out.append((field["max"] + 1, "field_max"))
    elif t == "decimal":
        out += [("1.23456", "field_decimal"), ("1,5", "field_decimal"), ([], "field_decimal")]
        if "min" in field:
            out.append((str(Decimal(field["min"]) - Decimal("0.01")), "field_min"))
        if "max" in field:
            out.append((str(Decimal(field["max"]) + Decimal("0.25")), "field_max"))
    elif t == "date":
        out += [(f"{NOW}-02-30", "field_date"), ("20240101", "field_date"),
                ("0001-01-01", "field_date"), (20240101, "field_date")]
    elif t == "daterange":
        out += [({"from": f"{NOW}-03-02", "to": f"{NOW}-03-01"}, "field_range_order"),
                ({"from": f"{NOW}-03-02"}, "field_daterange"),
                ({"from": f"{NOW}-03-02", "to": "x"}, "field_daterange"),
                ({"from": f"{NOW}-01-01", "to": f"{NOW}-01-02", "days": 2}, "field_daterange"),
                (f"{NOW}-03-01", "field_daterange")]
    elif t == "choice":
        out += [("不在列表中", "field_choice"), (1, "field_choice")]
    return out


def test_every_form_validates_its_fields(staff, world, forms):
    acc, me = world["acc"], world["staff"][0]
    before = count_rows(acc, me)
    tried = 0
    for code, form in forms.items():
        # A complete declaration of the form is accepted, its values normalised.
        r = staff.result("declaration.save", content(form))
        d = staff.result("declaration.get", {"id": r["id"]})
        assert d["form"]["code"] == code and d["form"]["definition"]["fields"] == form["fields"]
        for f in form["fields"]:
            v = valid_value(f)
            want = str(v) if f["type"] == "decimal" else v
            assert d["fields"][f["key"]] == want, (code, f["key"], d["fields"])
        staff.result("declaration.delete", {"id": r["id"]})

        for f in form["fields"]:
            field = f"fields.{f['key']}"
            if f["required"]:
                fields = valid_fields(form)
                del fields[f["key"]]
                err = expect_error(staff.call("declaration.save", content(form, fields=fields)),
                                   INVALID_INPUT, "field_required", field)
                verb = "请选择" if f["type"] == "choice" else "请填写"
                assert err["message"] == f"{f['label']}: {verb}{f['label']}", err
                fields[f["key"]] = "   "
                expect_error(staff.call("declaration.save", content(form, fields=fields)),
                             INVALID_INPUT, "field_required", field)
                tried += 1
            else:
                # An optional field may be left out, or blank.
                fields = valid_fields(form)
                fields[f["key"]] = None
                r = staff.result("declaration.save", content(form, fields=fields))
                assert f["key"] not in staff.result("declaration.get",
                                                    {"id": r["id"]})["fields"]
                staff.result("declaration.delete", {"id": r["id"]})
            for value, reason in broken_values(f):
                fields = valid_fields(form)
                fields[f["key"]] = value
                err = expect_error(staff.call("declaration.save", content(form, fields=fields)),
                                   INVALID_INPUT, reason, field)
                assert err["message"].startswith(f"{f['label']}: "), err
                if reason in ("field_min", "field_max", "field_too_long"):
                    assert re.search(r"\d", err["message"]), err
                if reason == "field_choice":
                    assert all(c in err["message"] for c in f["choices"]), err
                tried += 1
        fields = valid_fields(form)
        fields["no_such_field"] = "x"
        expect_error(staff.call("declaration.save", content(form, fields=fields)),
                     INVALID_INPUT, "field_unknown", "fields.no_such_field")
    assert tried > 200
    assert count_rows(acc, me) == before, "a refused declaration was stored"


def test_declaration_rules_outside_fields(staff, world, forms):
    acc, me = world["acc"], world["staff"][0]
    before = count_rows(acc, me)
    form = forms["t_plain"]
    expect_error(staff.call("declaration.save", content(form, amount="")),
                 INVALID_INPUT, "field_required", "amount")
    for amount in (0, -1, 1000.01, "1.234", "abc", 1e300):
        expect_error(staff.call("declaration.save", content(form, amount=amount)),
                     INVALID_INPUT, "amount_invalid", "amount")
    for year in (NOW + 1, NOW - 2, 1900):
        err = expect_error(staff.call("declaration.save", content(form, year=year)),
                           INVALID_INPUT, "year_invalid", "year")
        assert err["data"]["min"] == NOW - 1 and err["data"]["max"] == NOW
        assert f"{NOW - 1} 和 {NOW}" in err["message"]
    expect_error(staff.call("declaration.save", content(form, form="no_such_form")),
                 INVALID_INPUT, "form_unknown", "form")
    expect_error(staff.call("declaration.save", {"year": NOW, "amount": 1}),
                 INVALID_PARAMS, "required", "form")
    expect_error(staff.call("declaration.save", content(form, fields=[1])),
                 INVALID_PARAMS, "param_type", "fields")
    expect_error(staff.call("declaration.save", content(form, extra=1)),
                 INVALID_PARAMS, "param_unknown", "extra")
    for token in ("0" * 32, "abc", ""):
        expect_error(staff.call("declaration.save", content(form, attachment_token=token)),
                     INVALID_INPUT, "attachment_token_invalid", "attachment_token")
    assert count_rows(acc, me) == before
    # Amounts keep two decimals; credits are converted to hours with the form's rate.
    r = staff.result("declaration.save", content(forms["t_credits"], amount="3.50",
                                                  fields={"course": "网课"}))
    d = staff.result("declaration.get", {"id": r["id"]})
    assert d["amount"] == "3.5" and d["hours"] == "1.75" and d["counts"] == "credits"
    assert d["category"] == "public"
    r2 = staff.result("declaration.save", content(forms["t_plain"], amount=12.25,
                                                   year=NOW - 1))
    d = staff.result("declaration.get", {"id": r2["id"]})
    assert d["amount"] == "12.25" and d["hours"] == "12.25" and d["year"] == NOW - 1
    for i in (r["id"], r2["id"]):
        staff.result("declaration.delete", {"id": i})


def test_english_messages(ddaemon, world, forms):
    with logged_in(ddaemon, world["staff2"][1], lang="en") as s:
        fields = valid_fields(forms["paper"])
        fields["rank"] = 4
        err = expect_error(s.call("declaration.save", content(forms["paper"], fields=fields)),
                           INVALID_INPUT, "field_max", "fields.rank")
        assert err["message"] == "Author rank: must be at most 3", err
        err = expect_error(s.call("declaration.save", content(forms["paper"], year=NOW + 1)),
                           INVALID_INPUT, "year_invalid", "year")
        assert err["message"] == f"year counted: must be a year between {NOW - 1} and {NOW}"
        labels = [x["label"] for x in s.result("forms.list")["states"]]
        assert labels == ["all", "to be submitted", "pending review", "approved", "rejected"]


# --- the state machine ---------------------------------------------------------------------

def test_draft_submit_withdraw_approve(ddaemon, world, staff, admin, forms):
    acc, me, adm = world["acc"], world["staff"][0], world["admin_a"][0]
    form = forms["t_plain"]
    r = staff.result("declaration.save", content(form, amount=6, fields={"name": "读书班"}))
    did = r["id"]
    assert r == {"id": did, "state": "draft", "version": 1}
    item = staff.result("declaration.list", {"state": "draft"})["items"][0]
    assert item["id"] == did and item["state_label"] == "待提交" and item["title"] == "读书班"
    assert item["form"] == {"code": "t_plain", "name": "测试无附件"}
    assert ISO.match(item["created_at"]) and item["submitted_at"] is None

    # Edit (optimistic), then submit as it is.
    r = staff.result("declaration.save", {**content(form, amount=7, fields={"name": "读书班二"}),
                                          "id": did, "version": 1})
    assert r == {"id": did, "state": "draft", "version": 2}
    expect_error(staff.call("declaration.save", {**content(form), "id": did, "version": 1}),
                 CONFLICT, "stale_version", "version")
    r = staff.result("declaration.submit", {"id": did})
    assert r["state"] == "pending" and r["version"] == 3 and ISO.match(r["submitted_at"])
    assert_totals_consistent(acc, me)

    # 撤销 back to draft, submit again, approve.
    assert staff.result("declaration.withdraw", {"id": did}) == {"id": did, "state": "draft",
                                                                 "version": 4}
    assert_totals_consistent(acc, me)
    staff.result("declaration.submit", {"id": did, "version": 4})
    page = admin.result("review.declarations", {"form": "t_plain"})
    assert did in [i["id"] for i in page["items"]]
    r = admin.result("review.approve_declarations", {"ids": [did]})
    assert r == {"results": [{"id": did, "ok": True}]}
    assert_totals_consistent(acc, me)
    assert float(acc.value(f"SELECT approved_hours FROM declaration_totals WHERE account_id = "
                           f"{me} AND year = {NOW} AND form_code = 't_plain'")) >= 7

    d = staff.result("declaration.get", {"id": did})
    assert d["state"] == "approved" and d["state_label"] == "审核通过"
    assert d["decided_by"] == {"name": "甲单位学时管理员"} and ISO.match(d["decided_at"])
    assert [(h["action"], h["from_state"], h["to_state"]) for h in d["history"]] == [
        ("create", None, "draft"), ("submit", "draft", "pending"),
        ("withdraw", "pending", "draft"), ("submit", "draft", "pending"),
        ("approve", "pending", "approved")]
    assert d["history"][-1]["actor"] == {"name": "甲单位学时管理员"}
    assert d["history"][0]["actor"] == {"name": "王建国"}
    assert audit(acc, did)[-1] == ("approve", "pending", "approved", str(adm), "")


def test_reject_and_revise(world, staff, admin, forms):
    acc, me = world["acc"], world["staff"][0]
    did = new_pending(staff, amount=5)
    expect_error(admin.call("review.reject_declarations", {"ids": [did], "reason": "  "}),
                 INVALID_INPUT, "reason_required", "reason")
    r = admin.result("review.reject_declarations", {"ids": [did], "reason": "证明材料不清晰"})
    assert r["results"] == [{"id": did, "ok": True}]
    assert_totals_consistent(acc, me)
    item = next(i for i in staff.result("declaration.list", {"state": "rejected"})["items"]
                if i["id"] == did)
    assert item["reject_reason"] == "证明材料不清晰" and item["state_label"] == "审核不通过"
    r = staff.result("declaration.revise", {"id": did})
    assert r["state"] == "draft"
    d = staff.result("declaration.get", {"id": did})
    assert d["state"] == "draft" and d["reject_reason"] is None
    assert [(h["action"], h["reason"]) for h in d["history"]][-2:] == [
        ("reject", "证明材料不清晰"), ("revise", None)]
    staff.result("declaration.submit", {**content(forms["t_plain"], amount=6), "id": did,
                                        "version": d["version"]})
    assert state_of(acc, did) == "pending"
    assert_totals_consistent(acc, me)


def test_refused_transitions_change_nothing(ddaemon, world, staff, admin, forms):
    acc = world["acc"]
    form = forms["t_plain"]
    draft = staff.result("declaration.save", content(form))["id"]
    pending = new_pending(staff)
    approved = new_pending(staff)
    admin.result("review.approve_declarations", {"ids": [approved]})
    rejected = new_pending(staff)
    admin.result("review.reject_declarations", {"ids": [rejected], "reason": "不符合要求"})
    before = {i: (state_of(acc, i), len(audit(acc, i)))
              for i in (draft, pending, approved, rejected)}

    def refused(reply, state):
        err = expect_error(reply, CONFLICT, "state_changed")
        assert err["data"]["state"] == state, err
        return err

    # Edit or submit a record that is not a draft.
    for did, st in ((pending, "pending"), (approved, "approved"), (rejected, "rejected")):
        err = refused(staff.call("declaration.save", {**content(form), "id": did,
                                                      "version": 1}), st)
        refused(staff.call("declaration.submit", {"id": did}), st)
        refused(staff.call("declaration.delete", {"id": did}), st)
    assert "待审核" in refused(staff.call("declaration.save", {**content(form), "id": pending,
                                                             "version": 2}),
                             "pending")["message"]
    for did, st in ((draft, "draft"), (approved, "approved"), (rejected, "rejected")):
        refused(staff.call("declaration.withdraw", {"id": did}), st)
    for did, st in ((draft, "draft"), (pending, "pending"), (approved, "approved")):
        refused(staff.call("declaration.revise", {"id": did}), st)
    # The administrator decides only pending records of the own unit.
    r = admin.result("review.approve_declarations", {"ids": [draft, approved, rejected]})
    assert [(x["id"], x["ok"], x["reason"], x["state"]) for x in r["results"]] == [
        (draft, False, "state_changed", "draft"),
        (approved, False, "already_decided", "approved"),
        (rejected, False, "already_decided", "rejected")]
    assert r["results"][1]["decided_by"] == {"name": "甲单位学时管理员"}
    r = admin.result("review.reject_declarations", {"ids": [draft], "reason": "x"})
    assert r["results"][0]["reason"] == "state_changed"
    expect_error(admin.call("review.declaration", {"id": draft}), NOT_FOUND, "not_found")
    with logged_in(ddaemon, world["admin_b"][1]) as other:
        r = other.result("review.approve_declarations", {"ids": [pending]})
        assert r == {"results": [{"id": pending, "ok": False, "reason": "not_found"}]}
        r = other.result("review.reject_declarations", {"ids": [pending], "reason": "x"})
        assert r["results"][0]["reason"] == "not_found"
        expect_error(other.call("review.declaration", {"id": pending}), NOT_FOUND, "not_found")
        assert pending not in [i["id"] for i in other.result("review.declarations")["items"]]
    # Another person's records are not found, whatever is asked.
    with logged_in(ddaemon, world["staff2"][1]) as s2:
        for method in ("declaration.get", "declaration.withdraw", "declaration.delete",
                       "declaration.revise", "declaration.submit"):
            expect_error(s2.call(method, {"id": pending}), NOT_FOUND, "not_found", "id")
        expect_error(s2.call("declaration.save", {**content(form), "id": draft, "version": 1}),
                     NOT_FOUND, "not_found", "id")
        assert pending not in [i["id"] for i in s2.result("declaration.list")["items"]]
    missing = int(acc.value("SELECT max(id) FROM declarations")) + 100
    expect_error(staff.call("declaration.withdraw", {"id": missing}), NOT_FOUND, "not_found")
    r = admin.result("review.approve_declarations", {"ids": [missing]})
    assert r["results"][0]["reason"] == "not_found"
    for bad in ([], [0], ["1"], list(range(1, 202))):
        expect_error(admin.call("review.approve_declarations", {"ids": bad}), INVALID_PARAMS,
                     "ids_invalid", "ids")
    after = {i: (state_of(acc, i), len(audit(acc, i))) for i in before}
    assert after == before
    assert_totals_consistent(acc, world["staff"][0])


def test_roles(ddaemon, world, staff, admin):
    with ddaemon.rpc() as guest:
        for m in ("declaration.save", "declaration.list", "attachment.begin",
                  "review.declarations", "attachment.get"):
            expect_error(guest.call(m, {}), NOT_PERMITTED, "login_required")
    for m, p in (("review.declarations", {}), ("review.declaration", {"id": 1}),
                 ("review.approve_declarations", {"ids": [1]}),
                 ("review.reject_declarations", {"ids": [1], "reason": "x"})):
        expect_error(staff.call(m, p), NOT_PERMITTED, "not_permitted")
    for m, p in (("declaration.save", {"form": "t_plain", "year": NOW, "amount": 1}),
                 ("declaration.list", {}), ("declaration.withdraw", {"id": 1}),
                 ("attachment.begin", {"name": "a.pdf", "size": 1, "sha256": "0" * 64})):
        expect_error(admin.call(m, p), NOT_PERMITTED, "not_permitted")


def test_delete_draft_keeps_its_history(world, staff, forms):
    acc = world["acc"]
    data = jpeg(5000)
    tok = upload(staff, data)["attachment_token"]
    did = staff.result("declaration.save", {**content(forms["t_credits"],
                                                      fields={"course": "删除测试"}),
                                            "attachment_token": tok})["id"]
    assert acc.value(f"SELECT count(*) FROM attachments WHERE declaration_id = {did}") == "1"
    assert staff.result("declaration.delete", {"id": did}) == {"id": did, "deleted": True}
    assert state_of(acc, did) is None
    assert acc.value(f"SELECT count(*) FROM attachments WHERE declaration_id = {did}") == "0"
    me = str(world["staff"][0])
    assert audit(acc, did) == [("create", "", "draft", me, ""), ("delete", "draft", "", me, "")]
    expect_error(staff.call("declaration.get", {"id": did}), NOT_FOUND, "not_found")


def test_withdraw_races_approve(ddaemon, world, forms):
    """A hundred times: the person withdraws while the administrator approves."""
    acc, me = world["acc"], world["staff2"][0]
    wins = {"withdraw": 0, "approve": 0}
    with logged_in(ddaemon, world["staff2"][1]) as person, \
            logged_in(ddaemon, world["admin_a"][1]) as adm:
        for _ in range(100):
            did = new_pending(person, amount=2)
            barrier = threading.Barrier(2)
            out = {}

            def withdraw():
                barrier.wait()
                out["withdraw"] = person.call("declaration.withdraw", {"id": did})

            def approve():
                barrier.wait()
                out["approve"] = adm.call("review.approve_declarations", {"ids": [did]})

            threads = [threading.Thread(target=withdraw), threading.Thread(target=approve)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            w, a = out["withdraw"], out["approve"]["result"]["results"][0]
            if "result" in w:
                assert a == {"id": did, "ok": False, "reason": "state_changed",
                             "state": "draft", "state_label": "待提交"}, a
                winner, final = "withdraw", "draft"
            else:
                err = expect_error(w, CONFLICT, "state_changed")
                assert err["data"]["state"] == "approved" and a["ok"] is True, (w, a)
                winner, final = "approve", "approved"
            wins[winner] += 1
            assert state_of(acc, did) == final
            assert [x[0] for x in audit(acc, did)] == ["submit", winner]
    assert wins["withdraw"] + wins["approve"] == 100
    print(f"withdraw won {wins['withdraw']}, approve won {wins['approve']}")
    assert_totals_consistent(acc, me)


# --- lists and the queue -------------------------------------------------------------------

def test_person_list_filters_and_pages(ddaemon, world, forms):
    acc = world["acc"]
    aid, idn = acc.add_staff("DCA", "分页人员")
    with logged_in(ddaemon, idn) as s:
        ids = [s.result("declaration.save", content(forms["t_plain"], amount=1 + i % 3))["id"]
               for i in range(45)]
        for i in ids[:5]:
            s.result("declaration.submit", {"id": i})
        got, n = [], 0
        for page in pages(s, "declaration.list", {"limit": 20}):
            got += [i["id"] for i in page["items"]]
            n += 1
        # By the time shown: the five submitted (newest submission first), then the drafts.
        assert got == list(reversed(ids[:5])) + list(reversed(ids[5:])) and n == 3
        assert page["counts"] == {"all": 45, "draft": 40, "pending": 5, "approved": 0,
                                  "rejected": 0}
        pend = s.result("declaration.list", {"state": "pending"})
        assert [i["id"] for i in pend["items"]] == list(reversed(ids[:5]))
        assert s.result("declaration.list", {"state": "approved"})["items"] == []
        expect_error(s.call("declaration.list", {"state": "done"}), INVALID_PARAMS,
                     "state_invalid", "state")
        expect_error(s.call("declaration.list", {"limit": 0}), INVALID_PARAMS,
                     "limit_invalid", "limit")
        expect_error(s.call("declaration.list", {"after": "!!"}), INVALID_PARAMS,
                     "cursor_invalid", "after")
        # Base-reported records (a later issue) show in the list but cannot be changed.
        form_id = acc.value("SELECT id FROM learning_forms WHERE code = 't_plain' AND active")
        cid = acc.add_base_class("t_plain", aid)
        base = int(acc.value(
            "INSERT INTO declarations (account_id, unit_code, form_id, form_code, year, "
            "amount, hours, category, fields, state, submitted_at, source, class_id) VALUES "
            f"({aid}, 'DCA', {form_id}, 't_plain', {NOW}, 16, 16, 'professional', "
            "'{\"name\": \"基地课程\"}', 'pending', now(), 'base', "
            f"{cid}) RETURNING id"))
        first = s.result("declaration.list", {"limit": 1})["items"][0]
        assert first["id"] == base and first["source"] == "base"
        for method in ("declaration.withdraw", "declaration.delete", "declaration.submit"):
            expect_error(s.call(method, {"id": base}), NOT_PERMITTED, "base_record", "id")
        expect_error(s.call("declaration.save", {**content(forms["t_plain"]), "id": base,
                                                 "version": 1}),
                     NOT_PERMITTED, "base_record", "id")


def test_review_queue_filters_and_pages(ddaemon, world, admin, forms):
    acc = world["acc"]
    a1, idn1 = acc.add_staff("DCA", "欧阳队列")
    a2, idn2 = acc.add_staff("DCA", "司马队列")
    mine = []
    with logged_in(ddaemon, idn1) as s1, logged_in(ddaemon, idn2) as s2:
        for i in range(30):
            s, year = (s1, NOW) if i % 2 else (s2, NOW - 1)
            form = forms["t_plain"] if i % 3 else forms["t_credits"]
            fields = {"name": f"队列{i}"} if form is forms["t_plain"] else {"course": f"课{i}"}
            mine.append(s.result("declaration.submit", {"form": form["code"], "year": year,
                                                        "amount": 2, "fields": fields})["id"])
    expected = [int(r[0]) for r in acc.rows(
        "SELECT id FROM declarations WHERE unit_code = 'DCA' AND state = 'pending' "
        "ORDER BY submitted_at DESC, id DESC")]
    got = []
    first = admin.result("review.declarations", {"limit": 7})
    assert first["pending_total"] == len(expected) and first["pending_total_capped"] is False
    for n, page in enumerate(pages(admin, "review.declarations", {"limit": 7})):
        if n > 0:
            assert "pending_total" not in page
        got += [i["id"] for i in page["items"]]
    assert got == expected
    item = next(i for i in first["items"] if i["id"] in mine)
    assert item["person"]["name"] in ("欧阳队列", "司马队列") and ISO.match(item["submitted_at"])
    assert item["person"]["id_number"] in (idn1, idn2)

    page = admin.result("review.declarations", {"person": "欧阳", "limit": 200})
    assert sorted(i["id"] for i in page["items"]) == sorted(mine[1::2])
    assert page["pending_total"] == 15
    page = admin.result("review.declarations", {"person": idn2[:16], "limit": 200})
    assert {i["person"]["account_id"] for i in page["items"]} == {a2}
    page = admin.result("review.declarations", {"year": NOW - 1, "limit": 200})
    assert all(i["year"] == NOW - 1 for i in page["items"]) and \
        set(mine[0::2]) <= {i["id"] for i in page["items"]}
    page = admin.result("review.declarations", {"form": "t_credits", "person": "队列",
                                                "limit": 200})
    assert sorted(i["id"] for i in page["items"]) == sorted(mine[0::3])
    assert page["pending_total"] == 10
    got = []
    for page in pages(admin, "review.declarations",
                      {"form": "t_credits", "person": "队列", "limit": 3}):
        got += [i["id"] for i in page["items"]]
    assert got == sorted(mine[0::3], reverse=True)
    expect_error(admin.call("review.declarations", {"form": "Bad-Code"}), INVALID_PARAMS,
                 "form_filter_invalid", "form")
    expect_error(admin.call("review.declarations", {"person": "a\u0001"}), INVALID_PARAMS,
                 "filter_invalid", "person")
    expect_error(admin.call("review.declarations", {"year": 99}), INVALID_PARAMS,
                 "year_invalid", "year")

    # Approve several at once: the queue shrinks, totals follow.
    r = admin.result("review.approve_declarations", {"ids": mine[:10]})
    assert all(x["ok"] for x in r["results"])
    left = admin.result("review.declarations", {"person": "队列", "limit": 200})
    assert not set(mine[:10]) & {i["id"] for i in left["items"]}
    assert_totals_consistent(acc, a1)
    assert_totals_consistent(acc, a2)

    d = admin.result("review.declaration", {"id": mine[12]})
    assert d["person"]["name"] == "司马队列" and d["person"]["unit"]["code"] == "DCA"
    assert d["state"] == "pending" and d["history"][-1]["action"] == "submit"
    assert d["form"]["definition"]["fields"]


# --- attachments ---------------------------------------------------------------------------

def test_attachment_round_trip(ddaemon, world, staff, admin, forms):
    acc = world["acc"]
    data = jpeg(600_001)		# three chunks, the last one short
    f = upload(staff, data, name="证书扫描件.jpg")
    assert f["mime"] == "image/jpeg" and f["size"] == len(data) and f["sha256"] == sha(data)
    form = forms["conference"]
    r = staff.result("declaration.save", {**content(form), "attachment_token":
                                          f["attachment_token"]})
    did = r["id"]
    # A token is used once.
    expect_error(staff.call("declaration.save", {**content(form), "attachment_token":
                                                 f["attachment_token"]}),
                 INVALID_INPUT, "attachment_token_invalid", "attachment_token")
    d = staff.result("declaration.get", {"id": did})
    att = d["attachment"]
    assert att["name"] == "证书扫描件.jpg" and att["mime"] == "image/jpeg"
    assert att["size"] == len(data) and att["sha256"] == sha(data)
    got, last = download(staff, att["id"])
    assert got == data and last["eof"] and last["name"] == "证书扫描件.jpg"
    got, _ = download(staff, att["id"], length=100_000)
    assert got == data
    assert acc.value(f"SELECT sha256 FROM attachments WHERE id = {att['id']}") == sha(data)

    # The administrator may download it once submitted, not before; nobody else may.
    expect_error(admin.call("attachment.get", {"attachment_id": att["id"]}), NOT_FOUND,
                 "not_found")
    staff.result("declaration.submit", {"id": did})
    got, _ = download(admin, att["id"])
    assert got == data
    assert admin.result("review.declaration", {"id": did})["attachment"]["sha256"] == sha(data)
    with logged_in(ddaemon, world["staff2"][1]) as s2:
        expect_error(s2.call("attachment.get", {"attachment_id": att["id"]}), NOT_FOUND,
                     "not_found")
    with logged_in(ddaemon, world["admin_b"][1]) as b:
        expect_error(b.call("attachment.get", {"attachment_id": att["id"]}), NOT_FOUND,
                     "not_found")
    expect_error(staff.call("attachment.get", {"attachment_id": att["id"],
                                               "offset": len(data) + 1}),
                 INVALID_PARAMS, "offset_invalid", "offset")
    r = staff.result("attachment.get", {"attachment_id": att["id"], "offset": len(data)})
    assert r["data"] == "" and r["eof"]
    expect_error(staff.call("attachment.get", {"attachment_id": att["id"], "length": CHUNK + 1}),
                 INVALID_PARAMS, "length_invalid", "length")


def test_attachment_type_is_found_from_content(world, staff, forms):
    acc = world["acc"]
    before = acc.value("SELECT count(*) FROM attachments")
    elf = Path("/bin/true").read_bytes()[:50_000]
    assert elf[:4] == b"\x7fELF"
    for name, data in (("photo.jpg", elf), ("scan.png", b"GIF89a" + os.urandom(100)),
                       # "%PDF" without its "-" is no PDF header (a random byte there was one in 256).
                       ("cert.pdf", b"%PDF 1.7" + os.urandom(100)),
                       ("a.zip", b"PK\x05\x06" + bytes(18))):
        b = staff.result("attachment.begin", {"name": name, "size": len(data),
                                              "sha256": sha(data)})
        staff.result("attachment.chunk", {"upload_id": b["upload_id"], "offset": 0,
                                          "data": base64.b64encode(data).decode()})
        err = expect_error(staff.call("attachment.finish", {"upload_id": b["upload_id"]}),
                           INVALID_INPUT, "attachment_type")
        assert "JPEG" in err["message"]
        # Refused means gone: the upload cannot be finished or used.
        expect_error(staff.call("attachment.finish", {"upload_id": b["upload_id"]}),
                     NOT_FOUND, "upload_unknown", "upload_id")
    for name, data, mime in (
            ("scan.jpg", b"%PDF-1.7\n" + os.urandom(300), "application/pdf"),
            ("scan", b"\x89PNG\r\n\x1a\n" + os.urandom(300), "image/png"),
            ("材料.zip", b"PK\x03\x04" + os.urandom(300), "application/zip"),
            ("x.pdf", b"\xff\xd8\xff\xdb" + os.urandom(300), "image/jpeg")):
        assert upload(staff, data, name=name)["mime"] == mime
    assert acc.value("SELECT count(*) FROM attachments") == before


def test_attachment_limits_and_mistakes(ddaemon, world, staff, forms):
    acc = world["acc"]
    before = acc.value("SELECT count(*) FROM attachments")
    err = expect_error(staff.call("attachment.begin", {"name": "big.pdf",
                                                       "size": MAX_ATTACHMENT + 1,
                                                       "sha256": "0" * 64}),
                       INVALID_INPUT, "attachment_too_large", "size")
    assert "1 MiB" in err["message"] and err["data"]["max_size"] == MAX_ATTACHMENT
    for bad in ({"name": "a.pdf", "size": 0, "sha256": "0" * 64},
                {"name": "a.pdf", "size": -5, "sha256": "0" * 64}):
        expect_error(staff.call("attachment.begin", bad), INVALID_INPUT, "size_invalid", "size")
    for name in ("", "../etc/passwd", "a\\b.pdf", "a\x1b[2J.pdf", "x" * 101):
        expect_error(staff.call("attachment.begin", {"name": name, "size": 5,
                                                     "sha256": "0" * 64}),
                     INVALID_INPUT, "attachment_name_invalid", "name")
    expect_error(staff.call("attachment.begin", {"name": "a.pdf", "size": 5, "sha256": "xyz"}),
                 INVALID_INPUT, "sha256_invalid", "sha256")
    # Exactly the limit is fine.
    data = b"%PDF-" + os.urandom(MAX_ATTACHMENT - 5)
    assert upload(staff, data, name="exact.pdf")["size"] == MAX_ATTACHMENT

    data = jpeg(1000)
    b = staff.result("attachment.begin", {"name": "a.jpg", "size": len(data),
                                          "sha256": sha(data)})
    uid = b["upload_id"]
    enc = base64.b64encode(data[:600]).decode()
    err = expect_error(staff.call("attachment.chunk", {"upload_id": uid, "offset": 5,
                                                       "data": enc}),
                       CONFLICT, "chunk_offset", "offset")
    assert err["data"]["expected"] == 0
    expect_error(staff.call("attachment.chunk", {"upload_id": uid, "offset": 0,
                                                 "data": "not base64!"}),
                 INVALID_INPUT, "chunk_invalid", "data")
    expect_error(staff.call("attachment.chunk", {"upload_id": uid, "offset": 0,
                                                 "data": base64.b64encode(data + b"x").decode()}),
                 INVALID_INPUT, "chunk_overflow", "data")
    expect_error(staff.call("attachment.chunk", {"upload_id": "f" * 32, "offset": 0,
                                                 "data": enc}),
                 NOT_FOUND, "upload_unknown", "upload_id")
    staff.result("attachment.chunk", {"upload_id": uid, "offset": 0, "data": enc})
    # A retry of the same chunk (a lost reply) is told where to go on.
    err = expect_error(staff.call("attachment.chunk", {"upload_id": uid, "offset": 0,
                                                       "data": enc}),
                       CONFLICT, "chunk_offset")
    assert err["data"]["expected"] == 600
    err = expect_error(staff.call("attachment.finish", {"upload_id": uid}), INVALID_INPUT,
                       "attachment_incomplete")
    assert err["data"] == {"reason": "attachment_incomplete", "field": "upload_id",
                           "received": 600, "size": 1000}
    staff.result("attachment.chunk", {"upload_id": uid, "offset": 600,
                                      "data": base64.b64encode(data[600:]).decode()})
    assert staff.result("attachment.finish", {"upload_id": uid})["size"] == 1000

    # A checksum that does not match drops the upload.
    b = staff.result("attachment.begin", {"name": "a.jpg", "size": len(data),
                                          "sha256": sha(data + b"!")})
    staff.result("attachment.chunk", {"upload_id": b["upload_id"], "offset": 0,
                                      "data": base64.b64encode(data).decode()})
    expect_error(staff.call("attachment.finish", {"upload_id": b["upload_id"]}),
                 INVALID_INPUT, "attachment_checksum", "sha256")
    # A new begin replaces an unfinished upload.
    b1 = staff.result("attachment.begin", {"name": "a.jpg", "size": 10, "sha256": "0" * 64})
    staff.result("attachment.begin", {"name": "b.jpg", "size": 10, "sha256": "0" * 64})
    expect_error(staff.call("attachment.chunk", {"upload_id": b1["upload_id"], "offset": 0,
                                                 "data": "AAAA"}),
                 NOT_FOUND, "upload_unknown")
    assert acc.value("SELECT count(*) FROM attachments") == before


def test_interrupted_upload_leaves_nothing(ddaemon, world, forms):
    acc = world["acc"]
    before = acc.value("SELECT count(*) FROM attachments")
    data = jpeg(700_000)
    with logged_in(ddaemon, world["staff2"][1]) as s:
        b = s.result("attachment.begin", {"name": "cut.jpg", "size": len(data),
                                          "sha256": sha(data)})
        s.result("attachment.chunk", {"upload_id": b["upload_id"], "offset": 0,
                                      "data": base64.b64encode(data[:CHUNK]).decode()})
        # Half a line of the next chunk, then the connection drops.
        s.send_raw(b'{"jsonrpc":"2.0","id":99,"method":"attachment.chunk","params":'
                   b'{"upload_id":"' + b["upload_id"].encode() + b'","offset":262144,"data":"AAAA')
        s.proc.kill()
        s.proc.wait()
    # A finished upload never used goes with its session too.
    with logged_in(ddaemon, world["staff2"][1]) as s:
        tok = upload(s, data)["attachment_token"]
    with logged_in(ddaemon, world["staff2"][1]) as s:
        expect_error(s.call("declaration.save", {**content(forms["conference"]),
                                                 "attachment_token": tok}),
                     INVALID_INPUT, "attachment_token_invalid", "attachment_token")
        expect_error(s.call("attachment.finish", {"upload_id": b["upload_id"]}), NOT_FOUND,
                     "upload_unknown")
    # The sessions' ends release their uploads.
    wait_until("the ended sessions' attachments are gone",
               lambda: acc.value("SELECT count(*) FROM attachments") == before)
    assert ddaemon.running()


def test_required_attachment(world, staff, forms):
    acc = world["acc"]
    form = forms["conference"]
    # A draft may lack it; submitting may not.
    did = staff.result("declaration.save", content(form))["id"]
    expect_error(staff.call("declaration.submit", {"id": did}), INVALID_INPUT,
                 "attachment_required", "attachment_token")
    expect_error(staff.call("declaration.submit", content(form)), INVALID_INPUT,
                 "attachment_required", "attachment_token")
    assert state_of(acc, did) == "draft"
    first = jpeg(3000)
    tok = upload(staff, first)["attachment_token"]
    r = staff.result("declaration.submit", {"id": did, "attachment_token": tok})
    assert r["state"] == "pending"
    staff.result("declaration.withdraw", {"id": did})
    # Removing it makes the draft unsubmittable again; a new one replaces it.
    d = staff.result("declaration.get", {"id": did})
    expect_error(staff.call("declaration.submit", {**content(form), "id": did,
                                                   "version": d["version"],
                                                   "remove_attachment": True}),
                 INVALID_INPUT, "attachment_required")
    second = b"%PDF-1.4\n" + os.urandom(2000)
    tok = upload(staff, second, name="会议通知.pdf")["attachment_token"]
    r = staff.result("declaration.save", {**content(form), "id": did, "version": d["version"],
                                          "attachment_token": tok})
    d = staff.result("declaration.get", {"id": did})
    assert d["attachment"]["mime"] == "application/pdf" and d["attachment"]["size"] == 2009
    assert acc.value(f"SELECT count(*) FROM attachments WHERE declaration_id = {did}") == "1"
    staff.result("declaration.save", {**content(form), "id": did, "version": d["version"],
                                      "remove_attachment": True})
    assert staff.result("declaration.get", {"id": did})["attachment"] is None
    # A form that takes none refuses one.
    tok = upload(staff, first)["attachment_token"]
    expect_error(staff.call("declaration.save", {**content(forms["t_plain"]),
                                                 "attachment_token": tok}),
                 INVALID_INPUT, "attachment_not_allowed", "attachment_token")


# --- a config change after records exist ---------------------------------------------------

V1 = {"code": "cfgtest", "name": "配置测试", "name_en": "Config test",
      "category": "professional", "attachment": "none",
      "fields": [{"key": "name", "label": "名称", "label_en": "Name", "type": "text",
                  "required": True},
                 {"key": "level", "label": "级别", "label_en": "Level", "type": "choice",
                  "required": True, "choices": ["国家级", "省级"],
                  "choices_en": ["National", "Provincial"]},
                 {"key": "rank", "label": "排名", "label_en": "Rank", "type": "integer",
                  "min": 1, "max": 5}]}
GONE = {"code": "cfggone", "name": "将删除", "name_en": "To go", "category": "public",
        "attachment": "none",
        "fields": [{"key": "name", "label": "名称", "label_en": "Name", "type": "text",
                    "required": True}]}


def test_config_change_keeps_records(postgres, migrated_template, tmp_path):
    db = postgres.new_database(template=migrated_template)
    d = Daemon(tmp_path / "jxjyd", postgres, db)
    set_forms(d, [V1, GONE])
    d.start()
    acc = Accounts(postgres, db, "CF")
    acc.add_unit("CFA", "配置测试单位")
    admin_id, admin_idn = acc.add_admin("CFA", "配置管理员")
    _, idn = acc.add_staff("CFA", "配置人员")
    v1_fields = {"name": "旧会议", "level": "省级", "rank": 5}
    try:
        with logged_in(d, idn) as s:
            old_draft = s.result("declaration.save", {"form": "cfgtest", "year": NOW,
                                                      "amount": 3, "fields": v1_fields})
            old_pending = s.result("declaration.submit", {"form": "cfgtest", "year": NOW,
                                                          "amount": 4, "fields": v1_fields})
            gone_draft = s.result("declaration.save", {"form": "cfggone", "year": NOW,
                                                       "amount": 1, "fields": {"name": "x"}})
            gone_pending = s.result("declaration.submit", {"form": "cfggone", "year": NOW,
                                                           "amount": 2, "fields": {"name": "y"}})
            v1_def = s.result("declaration.get", {"id": old_draft["id"]})["form"]["definition"]

        # A malformed form: check-config says so, and a reload keeps what runs.
        good_text = d.extra_config
        bad = dict(V1, fields=[{"key": "name", "label": "名称", "label_en": "Name",
                                "type": "number"}])
        set_forms(d, [bad])
        r = d.run("check-config")
        assert r.returncode == 1 and "learning_forms[0].fields[0].type" in r.stderr, r.stderr
        reload_forms(d, idn, "keeping the running configuration")
        with logged_in(d, idn) as s:
            assert {f["code"] for f in s.result("forms.list")["forms"]} == {"cfgtest",
                                                                             "cfggone"}
        d.extra_config = good_text

        # Version 2: a label renamed, a choice added, rank now required; cfggone removed.
        v2 = dict(V1, fields=[{"key": "name", "label": "会议名称", "label_en": "Meeting",
                               "type": "text", "required": True},
                              {"key": "level", "label": "级别", "label_en": "Level",
                               "type": "choice", "required": True,
                               "choices": ["国家级", "省级", "市级"],
                               "choices_en": ["National", "Provincial", "City"]},
                              {"key": "rank", "label": "排名", "label_en": "Rank",
                               "type": "integer", "required": True, "min": 1, "max": 3}])
        set_forms(d, [v2])
        reload_forms(d, idn, "cfgtest (配置测试) now at version 2")
        assert "cfggone (version 1) is no longer offered" in d.stderr_text()
        assert acc.rows("SELECT code, version, active FROM learning_forms ORDER BY code, "
                        "version") == [["cfggone", "1", "f"], ["cfgtest", "1", "f"],
                                       ["cfgtest", "2", "t"]]

        with logged_in(d, idn) as s:
            listed = s.result("forms.list")["forms"]
            assert [(f["code"], f["version"]) for f in listed] == [("cfgtest", 2)]
            assert listed[0]["fields"][0]["label"] == "会议名称"
            # Old records keep their definition and values, rank 5 and all.
            for rid in (old_draft["id"], old_pending["id"]):
                rec = s.result("declaration.get", {"id": rid})
                assert rec["form"]["version"] == 1 and rec["form"]["definition"] == v1_def
                assert rec["form"]["definition"]["fields"][0]["label"] == "名称"
                assert rec["fields"] == v1_fields
            # New ones follow version 2.
            expect_error(s.call("declaration.save", {"form": "cfgtest", "year": NOW,
                                                     "amount": 1,
                                                     "fields": {"name": "n", "level": "市级"}}),
                         INVALID_INPUT, "field_required", "fields.rank")
            new = s.result("declaration.save", {"form": "cfgtest", "year": NOW, "amount": 1,
                                                "fields": {"name": "n", "level": "市级",
                                                           "rank": 2}})
            assert s.result("declaration.get", {"id": new["id"]})["form"]["version"] == 2
            # An old draft can be submitted as it was made (its own version's rules)...
            assert s.result("declaration.submit", {"id": old_draft["id"]})["state"] == "pending"
            s.result("declaration.withdraw", {"id": old_draft["id"]})
            # ...and editing it moves it to version 2, whose rules then apply.
            rec = s.result("declaration.get", {"id": old_draft["id"]})
            expect_error(s.call("declaration.save", {"id": rec["id"], "version": rec["version"],
                                                     "form": "cfgtest", "year": NOW,
                                                     "amount": 3, "fields": v1_fields}),
                         INVALID_INPUT, "field_max", "fields.rank")
            s.result("declaration.save", {"id": rec["id"], "version": rec["version"],
                                          "form": "cfgtest", "year": NOW, "amount": 3,
                                          "fields": dict(v1_fields, rank=3)})
            assert s.result("declaration.get", {"id": rec["id"]})["form"]["version"] == 2
            # A removed form: its draft can no longer be submitted or edited; its pending
            # record is still reviewed, and it all stays listed.
            expect_error(s.call("declaration.submit", {"id": gone_draft["id"]}), INVALID_INPUT,
                         "form_retired", "form")
            expect_error(s.call("declaration.save", {"id": gone_draft["id"], "version": 1,
                                                     "form": "cfggone", "year": NOW,
                                                     "amount": 1, "fields": {"name": "x"}}),
                         INVALID_INPUT, "form_unknown", "form")
            listed = [i["id"] for i in s.result("declaration.list", {"limit": 200})["items"]]
            assert gone_draft["id"] in listed and gone_pending["id"] in listed
            assert s.result("declaration.get", {"id": gone_pending["id"]})["form"]["name"] == \
                "将删除"
        # (A reload disables administrators the config does not list: this one is SQL's.)
        acc.sql(f"UPDATE accounts SET state = 'active' WHERE id = {admin_id}")
        with logged_in(d, admin_idn) as a:
            r = a.result("review.approve_declarations", {"ids": [gone_pending["id"],
                                                                 old_pending["id"]]})
            assert all(x["ok"] for x in r["results"])
            rec = a.result("review.declaration", {"id": old_pending["id"]})
            assert rec["form"]["version"] == 1 and rec["fields"] == v1_fields

        # A restart makes no new version; everything reads as before.
        d.stop()
        d.start()
        assert acc.value("SELECT count(*) FROM learning_forms") == "3"
        with logged_in(d, idn) as s:
            rec = s.result("declaration.get", {"id": old_pending["id"]})
            assert rec["state"] == "approved" and rec["form"]["definition"] == v1_def
        # Bringing the removed form back reuses its version 1.
        set_forms(d, [v2, GONE])
        reload_forms(d, idn, "cfggone (将删除) now at version 1")
        with logged_in(d, idn) as s:
            assert s.result("declaration.submit", {"id": gone_draft["id"]})["state"] == \
                "pending"
    finally:
        d.stop()
