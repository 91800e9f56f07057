"""Certificates of continuing education (学时证明), on the real daemon over SSH: issuing
(certificate.issue: the facts equal completion.year's figures, only approved records, the
ID number masked, who may issue whose), verifying (certificate.verify and `ssh host verify
CODE` without an account: a good code, a made-up one, one whose record was revoked after
issue, one signed by a key rotated away since), and the signing key itself (generated with
mode 0600; the signature checks with the public key alone, over the bytes the facts
serialise to)."""

import base64
import hashlib
import json
import os
import re
import stat
import subprocess
from decimal import Decimal

import pytest

from conftest import BUILD, Daemon
from helpers import (INVALID_INPUT, NOT_FOUND, NOT_PERMITTED, NOW, Accounts, expect_error,
                     libconfig, logged_in, ssh_argv)

D = Decimal

FORMS = [
    {"code": "k_train", "name": "培训班", "name_en": "Course", "category": "professional",
     "attachment": "none",
     "fields": [{"key": "name", "label": "培训名称", "label_en": "Name", "type": "text",
                 "required": True},
                {"key": "dates", "label": "培训时间", "label_en": "Dates", "type": "daterange",
                 "required": True}]},
    {"code": "k_pub", "name": "公需课程", "name_en": "Public course", "category": "public",
     "attachment": "none",
     "fields": [{"key": "name", "label": "课程名称", "label_en": "Name", "type": "text",
                 "required": True}]},
]
ISSUER = "河南省人力资源和社会保障厅"


class CertDaemon(Daemon):
    def configure(self, old_keys=()):
        body = ",\n".join(libconfig(f) for f in FORMS)
        self.extra_config = f"learning_forms = (\n{body}\n);\n"
        self.settings["certificates"] = {
            "signing_key": str(self.dir / "certificate_ed25519_key"),
            "issuer": ISSUER, "old_public_keys": list(old_keys)}
        self.write_config()


def cert_daemon(postgres, migrated_template, tmp_path_factory, name, config=None):
    """A configured, not yet started daemon on a fresh database."""
    db = postgres.new_database(template=migrated_template)
    d = CertDaemon(tmp_path_factory.mktemp(name), postgres, db, config)
    d.configure()
    return d


@pytest.fixture(scope="module")
def cd(postgres, migrated_template, tmp_path_factory):
    d = cert_daemon(postgres, migrated_template, tmp_path_factory, "jxjyd-cert",
                    {"declarations": {"years_back": 2}})
    d.start()
    yield d
    d.stop()


@pytest.fixture(scope="module")
def world(cd, postgres):
    acc = Accounts(postgres, cd.dbname, "CT")
    acc.add_unit("CTA", "证明甲单位")
    acc.add_unit("CTB", "证明乙单位")
    return {"acc": acc, "admin": acc.add_admin("CTA", "甲单位管理员"),
            "admin_b": acc.add_admin("CTB", "乙单位管理员")}


def submit(s, form, amount, year, name, dates=None):
    fields = {"name": name}
    if dates:
        fields["dates"] = {"from": dates[0], "to": dates[1]}
    r = s.result("declaration.submit", {"form": form, "year": year, "amount": str(amount),
                                        "fields": fields})
    return r["id"]


def approve(cd, world, ids):
    with logged_in(cd, world["admin"][1]) as adm:
        r = adm.result("review.approve_declarations", {"ids": ids})
        assert all(x["ok"] for x in r["results"]), r


@pytest.fixture(scope="module")
def person(cd, world):
    """A staff member of CTA with approved records last year (met) and this year (not
    met), a pending one and a rejected one this year."""
    aid, idn = world["acc"].add_staff("CTA", "孙明")
    last = NOW - 1
    with logged_in(cd, idn) as s:
        a = submit(s, "k_train", 66, last, "急诊医学新进展培训班",
                   (f"{last}-03-01", f"{last}-03-02"))
        b = submit(s, "k_pub", 30, last, "公需科目：法治讲座")
        c = submit(s, "k_train", "12.5", NOW, "本年度培训", (f"{NOW}-01-05", f"{NOW}-01-06"))
        pending = submit(s, "k_pub", 8, NOW, "待审核的课程")
        rejected = submit(s, "k_pub", 9, NOW, "被退回的课程")
    approve(cd, world, [a, b, c])
    with logged_in(cd, world["admin"][1]) as adm:
        adm.result("review.reject_declarations", {"ids": [rejected], "reason": "材料不全"})
    return {"id": aid, "idn": idn, "approved": {a, b, c}, "pending": pending,
            "rejected": rejected, "records": {"a": a, "b": b, "c": c}}


def num(text):
    """A figure as the facts state it: completion.c's decimal text."""
    return text


def payload(facts):
    """The bytes signed, as jansson's JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII
    writes them: Python's the same but for the \\u escapes, which jansson writes in
    upper case (and the floats, none of which here has a long expansion)."""
    text = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return re.sub(r"\\u[0-9a-f]{4}", lambda m: "\\u" + m.group()[2:].upper(), text).encode()


def b64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key(cd):
    """The signing key's public half, as the daemon logged it."""
    for line in cd.stderr_path.read_text(encoding="utf-8", errors="replace").splitlines():
        if "certificates: signing key" in line:
            kid, key = line.split("signing key ")[1].split(", public key ")
            last = (kid.strip(), key.strip())
    return last


def verify_ssh(cd, code, env=None):
    argv = ssh_argv(cd.port, None, None, f"verify {code}")
    if env:
        argv[1:1] = [a for k in env for a in ("-o", f"SetEnv={k}={env[k]}")]
    r = subprocess.run(argv, capture_output=True, timeout=30)
    return r.returncode, r.stdout.decode("utf-8")


# --- issuing ---------------------------------------------------------------------------

def test_facts_equal_completion_year(cd, world, person):
    with logged_in(cd, person["idn"]) as s:
        reply = s.call("certificate.issue", {"from_year": NOW - 1, "to_year": NOW})
        assert "error" not in reply, cd.stderr_text()[-3000:]
        cert = reply["result"]
        years = {y: s.result("completion.year", {"year": y}) for y in (NOW - 1, NOW)}
    facts = cert["facts"]
    assert facts["code"] == cert["code"] and len(cert["code"]) == 14
    assert facts["issuer"] == ISSUER
    idn = person["idn"]
    assert facts["person"]["name"] == "孙明"
    assert facts["person"]["id_number"] == idn[:4] + "*" * 10 + idn[-4:]
    assert facts["person"]["unit"] == "证明甲单位"
    assert [y["year"] for y in facts["years"]] == [NOW - 1, NOW]
    for y in facts["years"]:
        summary = years[y["year"]]["summary"]
        assert y["approved"] == {k: num(summary[k])
                                 for k in ("total", "professional", "public")}
        assert y["required"] == {k: num(v) for k, v in summary["requirement"].items()}
        assert y["met"] is summary["met"]
        assert {f["form"]: f["amount"] for f in y["by_form"]} == {
            f["name"]: num(f["counted"]) for f in years[y["year"]]["forms"]
            if D(f["counted"]) > 0}
    last, this = facts["years"]
    assert last["met"] is True and last["approved"]["total"] == "96"
    assert this["met"] is False and this["approved"]["total"] == "12.5"
    # Only the approved records: not the pending, not the rejected one.
    names = [r["name"] for r in facts["records"]]
    assert names == ["急诊医学新进展培训班", "公需科目：法治讲座", "本年度培训"]
    first = facts["records"][0]
    assert first == {"year": NOW - 1, "name": "急诊医学新进展培训班", "form": "培训班",
                     "dates": f"{NOW - 1}-03-01 至 {NOW - 1}-03-02", "amount": "66",
                     "category": "professional", "source": "本人申报"}
    assert facts["records"][1]["dates"] == ""
    # The records it states are stored beside it.
    stated = world["acc"].rows(
        "SELECT r.declaration_id FROM certificate_records r JOIN certificates c"
        f" ON c.id = r.certificate_id WHERE c.code = '{cert['code']}'")
    assert {int(r[0]) for r in stated} == person["approved"]


def test_asking_again_hands_back_the_same_certificate(cd, world):
    """The same facts asked for again (a script, a double click): the certificate already
    issued, no new row; a record approved since: a new one."""
    acc = world["acc"]
    _, idn = acc.add_staff("CTA", "复印人")
    with logged_in(cd, idn) as s:
        first = submit(s, "k_pub", 24, NOW - 1, "第一门课")
    approve(cd, world, [first])
    count = "SELECT count(*) FROM certificates c JOIN accounts a ON a.id = c.account_id" \
        f" WHERE a.id_number = '{idn}'"
    with logged_in(cd, idn) as s:
        codes = {s.result("certificate.issue", {"from_year": NOW - 1, "to_year": NOW - 1})[
            "code"] for _ in range(5)}
        assert len(codes) == 1 and acc.value(count) == "1"
        second = submit(s, "k_pub", 6, NOW - 1, "第二门课")
    approve(cd, world, [second])
    with logged_in(cd, idn) as s:
        again = s.result("certificate.issue", {"from_year": NOW - 1, "to_year": NOW - 1})
    assert again["code"] not in codes and acc.value(count) == "2"
    assert [r["name"] for r in again["facts"]["records"]] == ["第一门课", "第二门课"]


def test_signature_checks_with_the_public_key(cd, person):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    with logged_in(cd, person["idn"]) as s:
        cert = s.result("certificate.issue", {"from_year": NOW - 1, "to_year": NOW - 1})
    kid, key = public_key(cd)
    assert cert["key_id"] == kid == hashlib.sha256(b64(key)).hexdigest()[:8]
    Ed25519PublicKey.from_public_bytes(b64(key)).verify(b64(cert["signature"]),
                                                        payload(cert["facts"]))


def test_who_may_issue(cd, world, person):
    other, other_idn = world["acc"].add_staff("CTA", "另一人")
    with logged_in(cd, other_idn) as s:
        expect_error(s.call("certificate.issue", {"from_year": NOW - 1, "to_year": NOW,
                                                  "account_id": person["id"]}),
                     NOT_PERMITTED, "certificate_own_only")
        # Years: at most 5, in order, within the recorded ones.
        expect_error(s.call("certificate.issue", {"from_year": NOW, "to_year": NOW - 1}),
                     INVALID_INPUT, "certificate_years")
        expect_error(s.call("certificate.issue", {"from_year": NOW - 5, "to_year": NOW}),
                     INVALID_INPUT, "certificate_years")
        expect_error(s.call("certificate.issue", {"from_year": NOW - 1, "to_year": NOW}),
                     INVALID_INPUT, "certificate_years_not_recorded")
        assert s.result("certificate.issue", {"from_year": NOW, "to_year": NOW})[
            "facts"]["years"][0]["met"] is False
    # The unit's administrator issues for the unit's staff; another unit's may not.
    with logged_in(cd, world["admin"][1]) as adm:
        r = adm.result("certificate.issue", {"from_year": NOW - 1, "to_year": NOW - 1,
                                             "account_id": person["id"]})
        assert r["facts"]["person"]["name"] == "孙明"
        expect_error(adm.call("certificate.issue", {"from_year": NOW, "to_year": NOW}),
                     INVALID_INPUT, "required")
    with logged_in(cd, world["admin_b"][1]) as adm:
        expect_error(adm.call("certificate.issue", {"from_year": NOW - 1, "to_year": NOW - 1,
                                                    "account_id": person["id"]}),
                     NOT_FOUND, "not_found")
    with cd.rpc() as guest:
        expect_error(guest.call("certificate.issue", {"from_year": NOW, "to_year": NOW}),
                     NOT_PERMITTED, "login_required")


# --- verifying -------------------------------------------------------------------------

def test_verify_good_made_up_and_revoked(cd, world, person):
    acc = world["acc"]
    aid, idn = acc.add_staff("CTA", "周静")
    with logged_in(cd, idn) as s:
        r1 = submit(s, "k_pub", 24, NOW - 1, "撤销测试课程")
        r2 = submit(s, "k_train", 10, NOW - 1, "另一培训", (f"{NOW-1}-05-01", f"{NOW-1}-05-01"))
    approve(cd, world, [r1, r2])
    with logged_in(cd, idn) as s:
        code = s.result("certificate.issue", {"from_year": NOW - 1,
                                              "to_year": NOW - 1})["code"]
    with cd.rpc() as guest:
        r = guest.result("certificate.verify", {"code": code.lower().replace("-", " ")})
        assert r["state"] == "valid" and r["valid"] is True and r["signature_ok"] is True
        assert r["facts"]["person"]["name"] == "周静"
        made_up = "2345-6789-ABCD"
        assert guest.result("certificate.verify", {"code": made_up}) == {
            "code": made_up, "state": "unknown", "valid": False}
        assert guest.result("certificate.verify", {"code": "not a code"})["state"] == "unknown"
    rc, out = verify_ssh(cd, code)
    assert rc == 0, out
    assert f"验证码：{code}" in out and "有效（VALID）" in out
    assert "姓名：周静" in out and f"身份证号：{idn[:4]}{'*' * 10}{idn[-4:]}" in out
    assert idn not in out
    assert f"{NOW - 1} 年度：要求 合计 90 学时" in out and "已审核 合计 34 学时" in out
    assert "未达标" in out and "    公需课程  24 学时" in out
    assert f"  {NOW - 1}  撤销测试课程  公需课程  24 学时  本人申报" in out
    assert f"  {NOW - 1}  另一培训  培训班  {NOW - 1}-05-01 至 {NOW - 1}-05-01  10 学时  本人申报" in out
    assert "职称：（无）" in out
    rc, out = verify_ssh(cd, "2345-6789-ABCD")
    assert rc == 1 and "UNKNOWN CODE" in out
    rc, out = verify_ssh(cd, code, env={"JXJY_LANG": "en"})
    assert rc == 0 and "VALID" in out

    # A record it states revoked after issue (no path in jxjy revokes an approved
    # record: a correction in the database stands for one).
    acc.sql(f"UPDATE declarations SET state = 'rejected', reject_reason = '撤销',"
            f" version = version + 1 WHERE id = {r1}")
    with cd.rpc() as guest:
        r = guest.result("certificate.verify", {"code": code})
        assert r["state"] == "no_longer_valid" and r["valid"] is False
        assert r["signature_ok"] is True and r["records_unchanged"] is False
    rc, out = verify_ssh(cd, code)
    assert rc == 2 and "已失效（NO LONGER VALID）" in out

    # Stored facts altered: the signature no longer checks.
    acc.sql("UPDATE certificates SET facts = jsonb_set(facts, '{years,0,approved,total}',"
            f" '340') WHERE code = '{code}'")
    with cd.rpc() as guest:
        assert guest.result("certificate.verify", {"code": code})["state"] == "bad_signature"


def test_guessing_codes_is_throttled(postgres, migrated_template, tmp_path_factory):
    d = cert_daemon(postgres, migrated_template, tmp_path_factory, "jxjyd-cert-throttle",
                    {"security": {"source_failures_per_minute": 3}})
    d.start()
    try:
        with d.rpc() as guest:
            for i in range(3):
                assert guest.result("certificate.verify",
                                    {"code": f"2345-6789-ABC{i + 2}"})["state"] == "unknown"
            expect_error(guest.call("certificate.verify", {"code": "2345-6789-ABCD"}),
                         -32008, "rate_limited")
        rc, out = verify_ssh(d, "2345-6789-ABCD")
        assert rc == 1 and "尝试次数过多" in out
    finally:
        d.stop()


def test_signing_key_file_and_rotation(postgres, migrated_template, tmp_path_factory, world):
    d = cert_daemon(postgres, migrated_template, tmp_path_factory, "jxjyd-cert-rotate")
    key_file = d.dir / "certificate_ed25519_key"
    assert not key_file.exists()
    d.start()
    try:
        assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
        acc = Accounts(postgres, d.dbname, "CR")
        acc.add_unit("CRA", "轮换单位")
        aid, idn = acc.add_staff("CRA", "轮换测试")
        with logged_in(d, idn) as s:
            old = s.result("certificate.issue", {"from_year": NOW, "to_year": NOW})
        old_kid, old_key = public_key(d)
        assert old["key_id"] == old_kid
        # `jxjyd certificate-key` prints the same, for publishing it.
        r = d.run("certificate-key")
        assert r.returncode == 0 and r.stdout.split() == [old_kid, old_key], r.stderr
        d.stop()

        # Rotated: the old key moved away, its public key listed.
        key_file.rename(d.dir / "certificate_ed25519_key.old")
        d.configure(old_keys=[old_key])
        d.start()
        new_kid, _ = public_key(d)
        assert new_kid != old_kid and key_file.exists()
        with d.rpc() as guest:
            r = guest.result("certificate.verify", {"code": old["code"]})
            assert r["state"] == "valid" and r["key_id"] == old_kid
        with logged_in(d, idn) as s:
            assert s.result("certificate.issue", {"from_year": NOW,
                                                  "to_year": NOW})["key_id"] == new_kid
        d.stop()

        # Without the old key listed, the old certificate no longer checks.
        d.configure()
        d.start()
        with d.rpc() as guest:
            assert guest.result("certificate.verify",
                                {"code": old["code"]})["state"] == "bad_signature"
    finally:
        d.stop()


def test_check_config_knows_the_keys(cd):
    path = cd.dir / "bad.conf"
    path.write_text('certificates: { old_public_keys = [ "not a key" ]; issuer = ""; };\n',
                    encoding="utf-8")
    r = cd.run("-f", str(path), "check-config")
    assert r.returncode == 1
    assert "certificates.old_public_keys: element 1: must be an Ed25519 public key" in r.stdout + r.stderr
    assert "certificates.issuer: must not be empty" in r.stdout + r.stderr


# --- the PDF over ssh ------------------------------------------------------------------

def test_ssh_certificate_prints_the_persons_pdf(cd, world, person, tmp_path):
    """`ssh ID@host certificate YEAR > YEAR.pdf` with the person's own key: the PDF states
    the year's figures, and carries the signed facts, key id and signature read back from
    it, which check with the public key alone."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from helpers import DEMO_PASSWORD, make_key
    key, pub = make_key(tmp_path, "cert")
    with logged_in(cd, person["idn"]) as s:
        s.result("keys.add", {"key": pub, "password": DEMO_PASSWORD})
    r = subprocess.run(ssh_argv(cd.port, person["idn"], key, f"certificate {NOW - 1}"),
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(b"%PDF-"), r.stdout[:200]
    pdf = tmp_path / "cert.pdf"
    pdf.write_bytes(r.stdout)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout
    assert "孙明" in text and "4101" in text and "急诊医学新进展培训班" in text, text
    assert person["idn"] not in text          # masked
    render = BUILD / "tests" / "unit" / "render-certificate"
    out = subprocess.run([str(render), "--payload", str(pdf)], capture_output=True,
                         text=True, check=True, timeout=60).stdout.strip()
    facts_text, kid, sig = out.rsplit(".", 2)
    facts = json.loads(facts_text)
    assert facts["years"][0]["year"] == NOW - 1 and facts["person"]["name"] == "孙明"
    assert facts["code"] in text
    pkid, key_b64 = public_key(cd)
    assert kid == pkid
    Ed25519PublicKey.from_public_bytes(b64(key_b64)).verify(b64(sig), facts_text.encode())
    # Offline: `jxjyd verify FILE.pdf` checks the signature with the daemon's keys alone.
    r = cd.run("verify", str(pdf))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "签名有效" in r.stdout and facts["code"] in r.stdout and "姓名：孙明" in r.stdout
    assert f"{NOW - 1} 年度：要求 90 学时，已审核 96 学时" in r.stdout, r.stdout
    # One digit of the hours changed, the PDF made again with that: refused.
    forged = json.loads(facts_text)
    forged["years"][0]["approved"]["total"] = "97"
    body = json.dumps(forged, ensure_ascii=False)
    (tmp_path / "forged.json").write_text(body, encoding="utf-8")
    forged_payload = payload(forged).decode() + f".{kid}.{sig}"
    subprocess.run([str(render), str(tmp_path / "forged.json"), str(tmp_path / "forged.pdf"),
                    forged_payload], check=True, capture_output=True, timeout=60)
    r = cd.run("verify", str(tmp_path / "forged.pdf"))
    assert r.returncode == 5 and "签名无效" in r.stdout, r.stdout + r.stderr
    # A PDF that is no certificate of ours.
    r = cd.run("verify", str(tmp_path / "forged.json"))
    assert r.returncode == 5 and "不是本系统签发的学时证明" in r.stdout, r.stdout + r.stderr
    # Not another person's: the command is for the key's own account only; a guest has none.
    r = subprocess.run(ssh_argv(cd.port, None, None, f"certificate {NOW - 1}"),
                       capture_output=True, timeout=60)
    assert r.returncode != 0 and not r.stdout.startswith(b"%PDF-")
