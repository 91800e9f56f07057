"""Certificates of a unit's staff at once (issue 18): the public host on every page
(certificates.verify_host, and its fallback), `ssh ADMIN@host certificates YEAR[-YEAR]` and
certificate.unit: one PDF with each person's certificate from a page of its own, each with
its own code, QR code and payload, the figures equal to completion.year's; only the
administrator's unit; `jxjyd verify` checking every person of it."""

import json
import re
import socket
import subprocess

import pytest

from conftest import BUILD
from helpers import (DEMO_PASSWORD, NOW, Accounts, logged_in, make_key, ssh_exec)
from test_certificates import ISSUER, approve, cert_daemon, submit

RENDER = BUILD / "tests" / "unit" / "render-certificate"


@pytest.fixture(scope="module")
def ud(postgres, migrated_template, tmp_path_factory):
    d = cert_daemon(postgres, migrated_template, tmp_path_factory, "jxjyd-cert-unit",
                    {"declarations": {"years_back": 2}})
    d.settings["certificates"]["verify_host"] = "jxjy.example.cn:22"
    d.write_config()
    d.start()
    yield d
    d.stop()


@pytest.fixture(scope="module")
def world(ud, postgres, tmp_path_factory):
    acc = Accounts(postgres, ud.dbname, "CU")
    dept = acc.add_unit("CUA", "批量甲单位", departments=("内科", "外科"))
    acc.add_unit("CUB", "批量乙单位")
    w = {"acc": acc, "dept": dept, "admin": acc.add_admin("CUA", "甲单位管理员"),
         "admin_b": acc.add_admin("CUB", "乙单位管理员")}
    keys = tmp_path_factory.mktemp("unit-keys")
    for who in ("admin", "admin_b"):
        key, pub = make_key(keys, who)
        with logged_in(ud, w[who][1]) as s:
            s.result("keys.add", {"key": pub, "password": DEMO_PASSWORD})
        w[who + "_key"] = key
    return w


def text_of(pdf, page=None):
    argv = ["pdftotext", "-layout"]
    if page is not None:
        argv += ["-f", str(page), "-l", str(page)]
    return subprocess.run(argv + [str(pdf), "-"], capture_output=True, text=True, check=True,
                          timeout=60).stdout


def person_pdf(ud, idn, tmp_path, year):
    """The person's own certificate of year by `ssh ID@host certificate YEAR`."""
    key = tmp_path / f"p{idn}"
    if not key.exists():
        key, pub = make_key(tmp_path, f"p{idn}")
        with logged_in(ud, idn) as s:
            s.result("keys.add", {"key": pub, "password": DEMO_PASSWORD})
    rc, out, err = ssh_exec(ud, idn, key, f"certificate {year}", timeout=60)
    assert rc == 0, (out[:300], err)
    pdf = tmp_path / f"{idn}.pdf"
    pdf.write_bytes(out)
    return pdf


# --- the host on the page --------------------------------------------------------------

def test_verify_host_on_the_page_and_its_fallback(ud, world, postgres, migrated_template,
                                                  tmp_path_factory, tmp_path):
    """verify_host "jxjy.example.cn:22": "ssh jxjy.example.cn verify CODE" (port 22 needs
    no -p); unset: this machine's name and the daemon's port."""
    _, idn = world["acc"].add_staff("CUA", "主机测试")
    with logged_in(ud, idn) as s:
        rec = submit(s, "k_pub", 24, NOW - 1, "主机测试课程")
    approve(ud, world, [rec])
    text = text_of(person_pdf(ud, idn, tmp_path, NOW - 1))
    code = next(w for line in text.splitlines() if "验证码：" in line
                for w in line.split("验证码：")[1].split())
    assert f"ssh jxjy.example.cn verify {code}" in text, text
    assert "<host>" not in text
    d = cert_daemon(postgres, migrated_template, tmp_path_factory, "jxjyd-cert-nohost")
    d.start()
    try:
        acc = Accounts(postgres, d.dbname, "CN")
        acc.add_unit("CNA", "主机单位")
        admin = acc.add_admin("CNA", "主机管理员")
        _, idn = acc.add_staff("CNA", "无主机")
        with logged_in(d, idn) as s:
            rec = submit(s, "k_pub", 24, NOW - 1, "课程")
        approve(d, {"admin": admin}, [rec])
        text = text_of(person_pdf(d, idn, tmp_path, NOW - 1))
        assert f"ssh -p {d.port} {socket.gethostname()} verify " in text, text
    finally:
        d.stop()


def test_verify_host_checked(ud):
    for value in ("jxjy example", "host:0", "host:", "-oProxy=x", "[::1"):
        ud.settings["certificates"]["verify_host"] = value
        ud.write_config()
        r = ud.run("check-config")
        assert r.returncode == 1, value
        assert "certificates.verify_host: must be a host name" in r.stdout + r.stderr, value
    for value in ("jxjy.example.cn", "10.0.0.5:2222", "[2001:db8::1]:22"):
        ud.settings["certificates"]["verify_host"] = value
        ud.write_config()
        assert ud.run("check-config").returncode == 0, value
    ud.settings["certificates"]["verify_host"] = "jxjy.example.cn:22"
    ud.write_config()


# --- a unit's certificates at once -----------------------------------------------------

from test_certificate_pdf import pages_of, qr_of_page  # noqa: E402

STAFF = [("内科", "甲一", 66, 30), ("内科", "乙二", 20, 10), ("外科", "丙三", 70, 24)]


@pytest.fixture(scope="module")
def staff(ud, world):
    """Three staff of CUA with approved records last year (two departments), one of CUB."""
    acc = world["acc"]
    people = []
    for dept, name, pro, pub in STAFF:
        aid, idn = acc.add_staff("CUA", name, dept=world["dept"][dept])
        with logged_in(ud, idn) as s:
            ids = [submit(s, "k_train", pro, NOW - 1, f"{name}的培训",
                          (f"{NOW - 1}-04-01", f"{NOW - 1}-04-02")),
                   submit(s, "k_pub", pub, NOW - 1, f"{name}的公需课")]
        approve(ud, world, ids)
        people.append({"id": aid, "idn": idn, "name": name, "dept": dept})
    other = acc.add_staff("CUB", "外单位人")
    return {"cua": people, "cub": {"id": other[0], "idn": other[1]}}


def unit_pdf(ud, world, command, tmp_path, who="admin"):
    rc, out, err = ssh_exec(ud, world[who][1], world[who + "_key"], command, timeout=120)
    return rc, out, err


def payloads(pdf):
    out = subprocess.run([str(RENDER), "--payload", str(pdf)], capture_output=True,
                         text=True, check=True, timeout=60).stdout
    return [line for line in out.splitlines() if line]


def forge_second(data, second):
    """The PDF data with the second payload's first figure of approved hours changed, one
    digit, in the document's Keywords (several people's: "jxjy-payloads-z:" and base64 of
    the deflated payloads, one a line)."""
    import base64
    import zlib
    m = re.search(rb"/Keywords \(jxjy-payloads-z:([A-Za-z0-9+/=]+)\)", data)
    assert m, "no deflated Keywords"
    lines = zlib.decompress(base64.b64decode(m.group(1))).decode().split("\n")
    total = second["years"][0]["approved"]["total"]
    old = f'"total":"{total}"'
    assert old in lines[1]
    lines[1] = lines[1].replace(old, f'"total":"{total[:-1]}{(int(total[-1]) + 1) % 10}"', 1)
    forged = base64.b64encode(zlib.compress("\n".join(lines).encode(), 9))
    return data[:m.start(1)] + forged + data[m.end(1):]


def test_ssh_certificates_one_pdf_a_person_a_page(ud, world, staff, tmp_path):
    """`ssh ADMIN@host certificates YEAR > unit.pdf`: each person of the unit from a page of
    their own, whose text holds their name and completion.year's figures, whose QR code is
    their code, whose payload is in the Keywords in page order; `jxjyd verify` checks
    every person's."""
    rc, out, err = unit_pdf(ud, world, f"certificates {NOW - 1}", tmp_path)
    assert rc == 0 and out.startswith(b"%PDF-"), (out[:300], err)
    pdf = tmp_path / "unit.pdf"
    pdf.write_bytes(out)
    lines = payloads(pdf)
    # Everyone of the unit with an active account and records that year, none of CUB.
    facts = [json.loads(p.rsplit(".", 2)[0]) for p in lines]
    names = [f["person"]["name"] for f in facts]
    assert {p["name"] for p in staff["cua"]} <= set(names), names
    assert "外单位人" not in names
    assert pages_of(pdf) == len(facts)      # one page each: few records
    for page, f in enumerate(facts, start=1):
        text = text_of(pdf, page)
        assert "继续教育学时证明" in text and f["person"]["name"] in text, text
        assert f"验证码 {f['code']}　·　第 1 页" in text or f["code"] in text
        assert qr_of_page(pdf, page, tmp_path) == f["code"]
        assert f"ssh jxjy.example.cn verify {f['code']}" in text
        person = next((p for p in staff["cua"] if p["name"] == f["person"]["name"]), None)
        if person is None:
            continue
        with logged_in(ud, person["idn"]) as s:
            summary = s.result("completion.year", {"year": NOW - 1})["summary"]
        year = f["years"][0]
        assert year["approved"] == {k: summary[k] for k in ("total", "professional", "public")}
        assert year["met"] is summary["met"]
        for figure in (summary["total"], summary["professional"], summary["public"]):
            assert figure in text
    r = ud.run("verify", str(pdf))
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"共 {len(facts)} 人，签名有效 {len(facts)} 人 (ALL VALID)" in r.stdout
    for f in facts:
        assert f"姓名：{f['person']['name']}" in r.stdout
    # One figure of the second person changed in the file (same length, so the PDF still
    # reads): that person fails, the others still pass, and the file does not.
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(forge_second(pdf.read_bytes(), facts[1]))
    assert json.loads(payloads(tampered)[1].rsplit(".", 2)[0]) != facts[1]
    r = ud.run("verify", str(tampered))
    assert r.returncode == 5, r.stdout + r.stderr
    assert f"共 {len(facts)} 人，签名有效 {len(facts) - 1} 人 (NOT ALL VALID)" in r.stdout
    # Each person's code checks online too.
    with ud.rpc() as guest:
        for f in facts:
            assert guest.result("certificate.verify", {"code": f["code"]})["valid"] is True


def test_ssh_certificates_of_a_department_and_of_named_people(ud, world, staff, tmp_path):
    rc, out, err = unit_pdf(ud, world, f"certificates {NOW - 1} --department 外科", tmp_path)
    assert rc == 0, (out[:300], err)
    (tmp_path / "dept.pdf").write_bytes(out)
    names = [json.loads(p.rsplit(".", 2)[0])["person"]["name"]
             for p in payloads(tmp_path / "dept.pdf")]
    assert names == ["丙三"]
    a, b = staff["cua"][1], staff["cua"][0]
    rc, out, err = unit_pdf(ud, world, f"certificates {NOW - 1} {a['idn']} {b['idn']}",
                            tmp_path)
    assert rc == 0, (out[:300], err)
    (tmp_path / "named.pdf").write_bytes(out)
    names = [json.loads(p.rsplit(".", 2)[0])["person"]["name"]
             for p in payloads(tmp_path / "named.pdf")]
    assert names == [a["name"], b["name"]]      # in the order named
    rc, out, err = unit_pdf(ud, world, f"certificates {NOW - 1} --department 无此科", tmp_path)
    assert rc == 1 and "本单位没有这个科室" in out.decode()


def test_ssh_certificates_only_the_units_people(ud, world, staff, tmp_path):
    """Another unit's person and an ID number nobody has are refused alike, by the number
    given, and nothing is issued; staff may not run it."""
    stranger, nobody = staff["cub"]["idn"], "410105199001011234"
    mine = staff["cua"][0]["idn"]
    before = world["acc"].value("SELECT count(*) FROM certificates")
    rc, out, err = unit_pdf(ud, world, f"certificates {NOW - 1} {mine} {stranger} {nobody}",
                            tmp_path)
    text = out.decode()
    assert rc == 1 and not out.startswith(b"%PDF"), text
    assert f"以下人员不是本单位人员，不能为其开具学时证明：{stranger}, {nobody}" in text
    assert mine not in text
    assert world["acc"].value("SELECT count(*) FROM certificates") == before
    # Bad years.
    for years in ("20x5", f"{NOW - 1}-{NOW - 2}", f"{NOW - 6}-{NOW}"):
        rc, out, _ = unit_pdf(ud, world, f"certificates {years}", tmp_path)
        assert rc == 1 and "年度范围" in out.decode(), out
    # Another unit's administrator gets only their own unit.
    rc, out, err = unit_pdf(ud, world, f"certificates {NOW - 1} {mine}", tmp_path,
                            who="admin_b")
    assert rc == 1 and f"不能为其开具学时证明：{mine}" in out.decode()
    # A staff member logged in by key runs only their own `certificate`.
    key, pub = make_key(tmp_path, "staffkey")
    with logged_in(ud, mine) as s:
        s.result("keys.add", {"key": pub, "password": DEMO_PASSWORD})
    rc, out, err = ssh_exec(ud, mine, key, f"certificates {NOW - 1}")
    assert rc == 1 and not out.startswith(b"%PDF")


# --- certificate.unit (the TUI's way) --------------------------------------------------

def test_rpc_certificate_unit_into_the_outbox(ud, world, staff, tmp_path):
    """certificate.unit: the PDF of the unit (or of the people chosen) in the session's
    outbox, fetched with download.get: a page a person, each QR code its person's code."""
    from test_certificate_download import download
    a, b = staff["cua"][0], staff["cua"][2]
    with logged_in(ud, world["admin"][1]) as adm:
        r = adm.result("certificate.unit", {"from_year": NOW - 1, "to_year": NOW - 1,
                                            "account_ids": [b["id"], a["id"]]})
        assert r["people"] == 2 and r["skipped"] == 0
        assert r["name"] == f"学时证明-CUA-{NOW - 1}.pdf"
        data = download(adm, r["name"])
        assert len(data) == r["size"] and data.startswith(b"%PDF-")
        pdf = tmp_path / "chosen.pdf"
        pdf.write_bytes(data)
        facts = [json.loads(p.rsplit(".", 2)[0]) for p in payloads(pdf)]
        assert [f["person"]["name"] for f in facts] == [b["name"], a["name"]]
        for page, f in enumerate(facts, start=1):
            assert qr_of_page(pdf, page, tmp_path) == f["code"]
            assert f["person"]["name"] in text_of(pdf, page)
        # A department, by id.
        r = adm.result("certificate.unit", {"from_year": NOW - 1, "to_year": NOW - 1,
                                            "department_id": world["dept"]["内科"]})
        assert r["people"] == 2
        r = adm.result("certificate.unit", {"from_year": NOW - 1, "to_year": NOW})
        assert r["name"] == f"学时证明-CUA-{NOW - 1}-{NOW}.pdf" and r["people"] >= 3


def test_rpc_certificate_unit_refuses(ud, world, staff):
    from helpers import INVALID_INPUT, INVALID_PARAMS, NOT_FOUND, NOT_PERMITTED, expect_error
    mine, theirs = staff["cua"][0]["id"], staff["cub"]["id"]
    with logged_in(ud, world["admin"][1]) as adm:
        # Another unit's person and an id nobody has: refused alike, by the id given.
        e = expect_error(adm.call("certificate.unit", {
            "from_year": NOW - 1, "to_year": NOW - 1, "account_ids": [mine, theirs, 987654]}),
            NOT_FOUND, "certificate_not_of_unit", "account_ids")
        assert e["message"].endswith(f"开具学时证明：{theirs}, 987654"), e["message"]
        expect_error(adm.call("certificate.unit", {"from_year": NOW - 1, "to_year": NOW - 1,
                                                   "department_id": 987654}),
                     NOT_FOUND, "not_found", "department_id")
        # Bounded: more than 200 at once is refused with the way round it.
        e = expect_error(adm.call("certificate.unit", {
            "from_year": NOW - 1, "to_year": NOW - 1, "account_ids": list(range(1, 202))}),
            INVALID_PARAMS, "certificate_unit_too_many", "account_ids")
        assert "certificates" in e["message"] and "200" in e["message"]
        expect_error(adm.call("certificate.unit", {"from_year": NOW, "to_year": NOW - 1}),
                     INVALID_INPUT, "certificate_years", "to_year")
    with logged_in(ud, world["admin_b"][1]) as adm:
        expect_error(adm.call("certificate.unit", {"from_year": NOW - 1, "to_year": NOW - 1,
                                                   "account_ids": [mine]}),
                     NOT_FOUND, "certificate_not_of_unit", "account_ids")
    with logged_in(ud, staff["cua"][0]["idn"]) as s:
        expect_error(s.call("certificate.unit", {"from_year": NOW - 1, "to_year": NOW - 1}),
                     NOT_PERMITTED, "not_permitted")


def test_ssh_certificates_takes_30_id_numbers_at_most(ud, world, staff, tmp_path):
    mine = staff["cua"][0]["idn"]
    rc, out, _ = unit_pdf(ud, world, f"certificates {NOW - 1} " + " ".join([mine] * 30),
                          tmp_path)
    assert rc == 0 and out.startswith(b"%PDF-")     # named twice or more: once
    (tmp_path / "30.pdf").write_bytes(out)
    assert len(payloads(tmp_path / "30.pdf")) == 1
    rc, out, _ = unit_pdf(ud, world, f"certificates {NOW - 1} " + " ".join([mine] * 31),
                          tmp_path)
    assert rc == 1 and not out.startswith(b"%PDF-") and "certificates" in out.decode()


def test_rpc_certificate_unit_of_a_unit_over_200(ud, world):
    """A unit of 201 active staff: certificate.unit for all of them is refused with the way
    round it (a department at a time, or the ssh command); nothing is issued."""
    acc = world["acc"]
    acc.add_unit("CUC", "批量丙单位")
    admin = acc.add_admin("CUC", "丙单位管理员")
    acc.sql("INSERT INTO accounts (id_number, state, name, unit_code)"
            " SELECT '419999' || lpad(g::text, 12, '0'), 'active', '丙' || g, 'CUC'"
            " FROM generate_series(1, 201) g")
    before = acc.value("SELECT count(*) FROM certificates")
    from helpers import INVALID_INPUT, expect_error
    with logged_in(ud, admin[1]) as adm:
        e = expect_error(adm.call("certificate.unit", {"from_year": NOW - 1,
                                                       "to_year": NOW - 1}),
                         INVALID_INPUT, "certificate_unit_too_many")
        assert "200" in e["message"] and "certificates" in e["message"]
    assert acc.value("SELECT count(*) FROM certificates") == before
