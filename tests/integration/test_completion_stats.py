"""The maintained completion figures (schema 016, daemon/app/figures.h) on the real daemon:
after a random mix of operations -- submits, drafts, withdrawals, approvals, rejections,
revisions, deletions, a training base's reports, registrations approved, department changes,
transfers to another unit, disabled accounts, a learning form's cap and category and the
requirements changed by SIGHUP -- person_year and completion_stats_now equal a recomputation
made here from the declarations and accounts alone (not from schema 016's own views), before
and after the deltas are folded, also when two folds run at once; and the unit report reads
the same figures.
"""

import itertools
import random
import threading
from decimal import Decimal

import pytest

from conftest import Daemon
from helpers import (DEMO_HASH, NOW, Accounts, add_pending, admins_block, base_admins_block, id_number, key_rpc,
                     libconfig, logged_in, make_key)


D = Decimal


def form(code, name, category, cap=None):
    f = {"code": code, "name": name, "name_en": f"Form {code}", "category": category,
         "attachment": "none",
         "fields": [{"key": "name", "label": "名称", "label_en": "Name", "type": "text",
                     "required": True}]}
    if cap is not None:
        f["yearly_cap"] = cap
    return f


PUB = form("s_pub", "公需课程", "public")
PRO = form("s_pro", "专业培训", "professional")
CAPPED = form("s_cap", "学术交流", "professional", cap=20)
BASE_FORM = form("s_base", "基地培训", "professional", cap=30)
YEARS = (NOW - 1, NOW)
# The requirement of every year as config_requirement_for gives it: a list of entries.
DEFAULT_REQUIREMENTS = [{"year": 2000, "total": 90, "professional": 60, "public": 24}]


class StatsDaemon(Daemon):
    def configure(self, capped=CAPPED, requirements=None, base_admins=""):
        forms = [PUB, PRO, capped, BASE_FORM]
        text = "learning_forms = (\n" + ",\n".join(libconfig(f) for f in forms) + "\n);\n"
        if requirements:
            text += "requirements = (\n" + ",\n".join(libconfig(r) for r in requirements) + \
                "\n);\n"
        self.extra_config = text + base_admins
        self.write_config()


@pytest.fixture(scope="module")
def sdaemon(postgres, migrated_template, tmp_path_factory):
    db = postgres.new_database(template=migrated_template)
    d = StatsDaemon(tmp_path_factory.mktemp("jxjyd-stats"), postgres, db,
                    {"declarations": {"years_back": 2}})
    d.configure()
    d.start()
    yield d
    d.stop()


# --- the recomputation from the records --------------------------------------------------

def requirement_for(entries, year):
    """config_requirement_for, in Python: (total, professional, public)."""
    before = [e for e in entries if e["year"] <= year]
    e = max(before, key=lambda e: e["year"]) if before else min(entries, key=lambda e: e["year"])
    total = D(str(e["total"]))
    pro = D(str(e["professional"])) if "professional" in e else \
        D((int(total * 10000) * 2 + 299) // 300) / 100
    pub = D(str(e.get("public", 24)))
    return total, pro, pub


def expected_person_years(acc, terms, entries):
    """{(account, year): (pub, pro, pending, met)} from the declarations and the forms' terms
    {code: (category, cap)}: a key for every (account, year) with totals, as schema 016 keeps."""
    keys = {(int(a), int(y)) for a, y in acc.rows(
        "SELECT DISTINCT account_id, year FROM declaration_totals")}
    per_form = {}
    for a, y, code, approved, pending in acc.rows(
            "SELECT account_id, year, form_code, "
            "coalesce(sum(hours) FILTER (WHERE state = 'approved'), 0), "
            "coalesce(sum(hours) FILTER (WHERE state = 'pending'), 0) "
            "FROM declarations GROUP BY 1, 2, 3"):
        per_form[(int(a), int(y), code)] = (D(approved), D(pending))
    out = {}
    for key in keys:
        pub = pro = pending = D(0)
        for (a, y, code), (approved, waiting) in per_form.items():
            if (a, y) != key:
                continue
            category, cap = terms[code]
            counted = min(approved, cap) if cap is not None else approved
            if category == "public":
                pub += counted
            else:
                pro += counted
            pending += waiting
        total, rpro, rpub = requirement_for(entries, key[1])
        out[key] = (pub, pro, pending, pub + pro >= total and pro >= rpro and pub >= rpub)
    return out


def expected_stats(acc, person_years):
    """{(unit, department, year): (staff, people, met, pub, pro, pending)}, year 0 for staff."""
    out = {}

    def add(key, *v):
        old = out.get(key, (0, 0, 0, D(0), D(0), D(0)))
        out[key] = tuple(x + y for x, y in zip(old, v))
    counted = {}
    for aid, unit, dept in acc.rows(
            "SELECT id, unit_code, coalesce(department_id, 0) FROM accounts "
            "WHERE state = 'active' AND role = 'staff'"):
        counted[int(aid)] = (unit, int(dept))
        add((unit, int(dept), 0), 1, 0, 0, D(0), D(0), D(0))
    for (aid, year), (pub, pro, pending, met) in person_years.items():
        if aid in counted:
            add(counted[aid] + (year,), 0, 1, int(met), pub, pro, pending)
    return {k: v for k, v in out.items() if v[0] != 0 or v[1] != 0}


def stored_person_years(acc):
    return {(int(a), int(y)): (D(pub), D(pro), D(pending), met == "t")
            for a, y, pub, pro, pending, met in acc.rows(
                "SELECT account_id, year, pub, pro, pending, met FROM person_year")}


def stored_stats(acc):
    return {(u, int(dp), int(y)): (int(st), int(pe), int(m), D(pub), D(pro), D(pending))
            for u, dp, y, st, pe, m, pub, pro, pending in acc.rows(
                "SELECT unit_code, department_id, year, staff, people, met, pub, pro, pending "
                "FROM completion_stats_now")}


def check(acc, terms, entries, seed, when):
    want_py = expected_person_years(acc, terms, entries)
    got_py = stored_person_years(acc)
    for k in set(want_py) | set(got_py):
        assert got_py.get(k) == want_py.get(k), (seed, when, "person_year", k)
    want = expected_stats(acc, want_py)
    got = stored_stats(acc)
    for k in set(want) | set(got):
        assert got.get(k) == want.get(k), (seed, when, "completion_stats_now", k)
    return want


def deltas(acc):
    return int(acc.value("SELECT count(*) FROM completion_stats_delta"))


# --- the world ---------------------------------------------------------------------------

class World:
    """Two units with departments, their administrators (by password), staff, a base."""

    def __init__(self, d, postgres, tmp_path):
        self.d = d
        self.acc = acc = Accounts(postgres, d.dbname, "ST")
        self.units = {"STA": acc.add_unit("STA", "统计甲单位", departments=("内科", "外科")),
                      "STB": acc.add_unit("STB", "统计乙单位", departments=("财务部",))}
        admins = []
        self.admins = {}        # unit -> (ID number, key path)
        for u in self.units:
            path, pub = make_key(tmp_path, f"admin{u}")
            admins.append({"id_number": id_number(), "name": f"{u}管理员", "unit": u,
                           "keys": [pub]})
            self.admins[u] = (admins[-1]["id_number"], path)
        self.people = {}        # account id -> ID number, the active staff we act for
        for i in range(6):
            unit = "STA" if i < 4 else "STB"
            self.add_person(unit, f"统计{i}")
        acc.sql("INSERT INTO bases (code, name, region, forms) VALUES ('STBASE', '统计基地', "
                "(SELECT min(code) FROM regions), '{s_base}')")
        path, pub = make_key(tmp_path, "base")
        self.base_key = (id_number(), path)
        self.config_block = admins_block(admins)[0] + base_admins_block(
            [{"id_number": self.base_key[0], "name": "基地管理员", "base": "STBASE",
              "keys": [pub]}])
        self.sessions = {}
        self.classes = itertools.count(1)

    def add_person(self, unit, name):
        depts = list(self.units[unit].values()) + [None]
        aid, idn = self.acc.add_staff(unit, name, random.choice(depts))
        self.people[aid] = idn
        return aid

    def session(self, aid):
        if aid not in self.sessions:
            cm = logged_in(self.d, self.people[aid])
            self.sessions[aid] = (cm, cm.__enter__())
        return self.sessions[aid][1]

    def drop_session(self, aid):
        if aid in self.sessions:
            cm, _ = self.sessions.pop(aid)
            cm.__exit__(None, None, None)

    def close(self):
        for aid in list(self.sessions):
            self.drop_session(aid)


@pytest.fixture(scope="module")
def world(sdaemon, postgres, tmp_path_factory):
    w = World(sdaemon, postgres, tmp_path_factory.mktemp("stats-keys"))
    sdaemon.configure(base_admins=w.config_block)
    sdaemon.reload()
    w.base_id = int(w.acc.value(f"SELECT id FROM accounts WHERE id_number = "
                                f"'{w.base_key[0]}' AND role = 'base_admin'"))
    yield w
    w.close()


def base_report(w, rnd):
    """A class of the base for 1-3 of the people, reported (pending for their units)."""
    acc = w.acc
    people = rnd.sample(sorted(w.people), rnd.randint(1, 3))
    name = f"统计培训班{next(w.classes)}"
    year = rnd.choice(YEARS)
    form_id = acc.value("SELECT id FROM learning_forms WHERE code = 's_base' AND active")
    cid = acc.value(
        "INSERT INTO base_classes (base_code, name, form_id, form_code, fields, start_date, "
        f"end_date, year, amount, created_by) VALUES ('STBASE', '{name}', {form_id}, "
        f"'s_base', '{{\"name\": \"{name}\"}}', current_date - 2, current_date - 1, {year}, "
        f"{rnd.randint(2, 12)}, {w.base_id}) RETURNING id")
    for line, aid in enumerate(people, start=2):
        idn, pname = acc.row(f"SELECT id_number, name FROM accounts WHERE id = {aid}")
        acc.sql(f"INSERT INTO base_roster (class_id, line, id_number, name, amount, account_id) "
                f"VALUES ({cid}, {line}, '{idn}', '{pname}', {rnd.randint(1, 12)}, {aid})")
    with key_rpc(w.d, w.base_key[0], w.base_key[1]) as s:
        r = s.call("class.report", {"id": int(cid), "version": 1})
    assert "result" in r, r


# --- the property test -------------------------------------------------------------------

def test_maintained_figures_equal_a_recomputation(sdaemon, world, postgres):
    seed = random.randrange(1 << 30)
    rnd = random.Random(seed)
    w, acc = world, world.acc
    capped, entries = CAPPED, DEFAULT_REQUIREMENTS
    codes = ["s_pub", "s_pro", "s_cap"]

    def terms():
        return {"s_pub": ("public", None), "s_pro": ("professional", None),
                "s_cap": (capped["category"], D(str(capped["yearly_cap"]))
                          if capped.get("yearly_cap") else None),
                "s_base": ("professional", D(30))}

    def ids(state, where="true"):
        return [int(x) for x, in acc.rows(f"SELECT id FROM declarations WHERE state = "
                                          f"'{state}' AND {where} ORDER BY id")]

    ops = {}
    with key_rpc(sdaemon, *w.admins["STA"]) as admin_a, \
            key_rpc(sdaemon, *w.admins["STB"]) as admin_b:
        admin = {"STA": admin_a, "STB": admin_b}
        for step in range(260):
            op = rnd.choices(
                ["submit", "draft", "submit_draft", "withdraw", "approve", "reject", "revise",
                 "delete", "base", "register", "department", "transfer", "disable", "cap",
                 "requirement"],
                [30, 6, 6, 6, 24, 6, 4, 4, 4, 3, 3, 3, 2, 2, 2])[0]
            aid = rnd.choice(sorted(w.people))
            mine = f"account_id = {aid} AND source = 'person'"
            ops[op] = ops.get(op, 0) + 1
            if op in ("submit", "draft"):
                r = w.session(aid).call(
                    "declaration.submit" if op == "submit" else "declaration.save",
                    {"form": rnd.choice(codes), "year": rnd.choice(YEARS),
                     "amount": str(D(rnd.randint(25, 2500)) / 100),
                     "fields": {"name": f"随机 {step}"}})
                assert "result" in r, r
            elif op == "submit_draft" and ids("draft", mine):
                w.session(aid).result("declaration.submit",
                                      {"id": rnd.choice(ids("draft", mine))})
            elif op == "withdraw" and ids("pending", mine):
                w.session(aid).result("declaration.withdraw",
                                      {"id": rnd.choice(ids("pending", mine))})
            elif op in ("approve", "reject"):
                unit = rnd.choice(sorted(w.units))
                pending = ids("pending", f"unit_code = '{unit}'")
                if pending:
                    chosen = rnd.sample(pending, min(len(pending), rnd.randint(1, 4)))
                    if op == "approve":
                        admin[unit].result("review.approve_declarations", {"ids": chosen})
                    else:
                        admin[unit].result("review.reject_declarations",
                                           {"ids": chosen, "reason": "材料不全"})
            elif op == "revise" and ids("rejected", mine):
                w.session(aid).result("declaration.revise",
                                      {"id": rnd.choice(ids("rejected", mine))})
            elif op == "delete" and ids("draft", mine):
                w.session(aid).result("declaration.delete", {"id": rnd.choice(ids("draft", mine))})
            elif op == "base":
                base_report(w, rnd)
            elif op == "register":
                unit = rnd.choice(sorted(w.units))
                dept = rnd.choice(list(w.units[unit].values()))
                new = add_pending(acc, unit, dept, 1, name=f"新人{step}")[0]
                admin[unit].result("review.approve_registrations", {"account_ids": [new]})
                w.people[new] = acc.value(f"UPDATE accounts SET password_hash = "
                                          f"'{DEMO_HASH}' WHERE id = {new} RETURNING id_number")
            elif op == "department":
                unit = acc.value(f"SELECT unit_code FROM accounts WHERE id = {aid}")
                s = w.session(aid)
                version = s.result("profile.get")["version"]
                s.result("profile.update", {"version": version, "department_id":
                                            rnd.choice(list(w.units[unit].values()))})
            elif op == "transfer":
                unit = rnd.choice(sorted(w.units))
                dept = rnd.choice(list(w.units[unit].values()) + [None])
                w.drop_session(aid)
                acc.sql(f"UPDATE accounts SET unit_code = '{unit}', department_id = "
                        f"{dept or 'NULL'} WHERE id = {aid}")
            elif op == "disable" and len(w.people) > 3:
                w.drop_session(aid)
                del w.people[aid]
                acc.sql(f"UPDATE accounts SET state = 'disabled' WHERE id = {aid}")
            elif op == "cap":
                capped = dict(CAPPED, yearly_cap=rnd.choice([5, 12.5, 40]),
                              category=rnd.choice(["public", "professional"]))
                sdaemon.configure(capped=capped, requirements=entries, base_admins=w.config_block)
                sdaemon.reload()
            elif op == "requirement":
                entries = [{"year": NOW - 1, "total": rnd.choice([10, 30, 90]),
                            "professional": 5, "public": rnd.choice([0, 3])},
                           {"year": NOW, "total": rnd.choice([20, 40, 90]), "public": 5}]
                sdaemon.configure(capped=capped, requirements=entries, base_admins=w.config_block)
                sdaemon.reload()
            if step % 65 == 64:
                check(acc, terms(), entries, seed, f"step {step}")

        want = check(acc, terms(), entries, seed, "end")
        # The unit report counts the same people, met and hours.
        for unit in w.units:
            for year in YEARS:
                r = admin[unit].result("completion.report", {"year": year, "limit": 1})
                staff = sum(v[0] for k, v in want.items() if k[0] == unit and k[2] == 0)
                met = sum(v[2] for k, v in want.items() if k[0] == unit and k[2] == year)
                assert (r["summary"]["staff"], r["summary"]["met"]) == (staff, met), \
                    (seed, unit, year)
                row = acc.row(f"SELECT sum(staff), sum(met) FROM completion_stats_year("
                              f"{year}::smallint) WHERE unit_code = '{unit}'")
                assert (int(row[0] or 0), int(row[1] or 0)) == (staff, met), (seed, unit, year)

    # Folded: the same figures, nothing left over; two folds at once fold each delta once.
    # Two deltas to fold (the daemon's own fold, once a second, may take them before the
    # two below: what is asserted after holds either way -- nothing left, figures exact).
    assert acc.value("WITH d AS (INSERT INTO completion_stats_delta (year, unit_code, "
                     "department_id, staff) VALUES (0, 'STA', 0, 1), (0, 'STA', 0, -1) "
                     "RETURNING 1) SELECT count(*) FROM d") == "2"
    results = []
    folds = [threading.Thread(target=lambda: results.append(acc.value(
        "BEGIN; SELECT completion_stats_fold(); SELECT pg_sleep(0.3); COMMIT;")))
        for _ in range(2)]
    for t in folds:
        t.start()
    for t in folds:
        t.join()
    assert len(results) == 2
    acc.sql("SELECT completion_stats_fold()")
    assert deltas(acc) == 0
    check(acc, terms(), entries, seed, "folded")
    assert ops["submit"] > 0 and ops["approve"] > 0, ops


def test_rebuild_gives_the_same_figures(sdaemon, world):
    """completion_stats_rebuild recomputes everything to what the triggers kept."""
    acc = world.acc
    aid = sorted(world.people)[0]
    s = world.session(aid)
    s.result("declaration.submit", {"form": "s_pro", "year": NOW, "amount": "7.5",
                                    "fields": {"name": "重建"}})
    before = (stored_person_years(acc), stored_stats(acc))
    assert before[0] and before[1]
    acc.sql("SELECT completion_stats_rebuild()")
    assert deltas(acc) == 0
    assert (stored_person_years(acc), stored_stats(acc)) == before


def test_requirements_sync_is_idempotent(sdaemon, world):
    """The requirements a daemon synced, synced again (another daemon, a SIGHUP that changed
    nothing else): nothing changes, nothing is recomputed."""
    acc = world.acc
    same = ("SELECT completion_requirements_sync(array_agg(year ORDER BY year), "
            "array_agg(total ORDER BY year), array_agg(pro ORDER BY year), "
            "array_agg(pub ORDER BY year)) IS NULL FROM completion_requirements")
    assert acc.value(same) == "t"
    before = stored_person_years(acc), sdaemon.stderr_text().count("requirements: changed")
    sdaemon.reload()
    assert acc.value(same) == "t"
    assert (stored_person_years(acc),
            sdaemon.stderr_text().count("requirements: changed")) == before
