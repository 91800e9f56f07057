"""The certificate handed to its person as a file (issue 18, "where people get it"):
certificate.pdf puts the PDF in the session's outbox (daemon/app/outbox.c); the local
client reads it with download.get in slices; at a plain terminal it is fetched with stock
OpenSSH scp/sftp through the session's inbox token.  Only the session's own files, names
that are no paths, a wrong token gets nothing."""

import base64
import re
import subprocess

import pytest

from conftest import SSH_OPTIONS
from helpers import (INVALID_PARAMS, NOT_FOUND, NOT_PERMITTED, NO_AGENT, NOW, Accounts,
                     expect_error, logged_in)
from test_certificates import cd, submit  # noqa: F401 (cd: the daemon, a fixture)

NAME = f"学时证明-{NOW - 1}.pdf"


@pytest.fixture(scope="module")
def world(cd, postgres):
    acc = Accounts(postgres, cd.dbname, "CD")
    acc.add_unit("CDA", "下载甲单位")
    acc.add_unit("CDB", "下载乙单位")
    admin = acc.add_admin("CDA", "甲单位管理员")
    aid, idn = acc.add_staff("CDA", "钱下载")
    with logged_in(cd, idn) as s:
        a = submit(s, "k_train", 66, NOW - 1, "急诊医学新进展培训班",
                   (f"{NOW - 1}-03-01", f"{NOW - 1}-03-02"))
        b = submit(s, "k_pub", "30.5", NOW - 1, "公需科目：法治讲座")
    with logged_in(cd, admin[1]) as adm:
        r = adm.result("review.approve_declarations", {"ids": [a, b]})
        assert all(x["ok"] for x in r["results"]), r
    return {"acc": acc, "admin": admin, "admin_b": acc.add_admin("CDB", "乙单位管理员"),
            "person": (aid, idn), "other": acc.add_staff("CDA", "孙旁人")}


def download(s, name, length=None):
    """The file name of s's outbox, read with download.get in slices of length."""
    data, offset = b"", 0
    while True:
        params = {"name": name, "offset": offset}
        if length:
            params["length"] = length
        r = s.result("download.get", params)
        chunk = base64.b64decode(r["data"])
        assert r["length"] == len(chunk) and r["offset"] == offset
        data += chunk
        offset += len(chunk)
        if r["eof"]:
            assert offset == r["size"]
            return data
        assert chunk, r


def pdf_text(tmp_path, data, name="cert.pdf"):
    path = tmp_path / name
    path.write_bytes(data)
    r = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return re.sub(r"[ \t]+", " ", r.stdout.decode("utf-8"))


def check_certificate(text, code):
    assert "继续教育学时证明" in text and "钱下载" in text and code in text
    assert "急诊医学新进展培训班" in text and "公需科目：法治讲座" in text
    assert "96.5" in text and "30.5" in text and "66" in text


def test_download_get_in_slices(cd, world, tmp_path):
    _, idn = world["person"]
    with logged_in(cd, idn) as s:
        assert s.result("download.list")["files"] == []
        r = s.result("certificate.pdf", {"from_year": NOW - 1, "to_year": NOW - 1})
        assert r["name"] == NAME and r["size"] > 1000 and len(r["code"]) == 14
        assert s.result("download.list")["files"] == [{"name": NAME, "size": r["size"]}]
        # Slices of 4 KiB and the default slice reassemble to the same PDF.
        small = download(s, NAME, 4096)
        assert small[:5] == b"%PDF-" and len(small) == r["size"]
        assert download(s, NAME) == small
        check_certificate(pdf_text(tmp_path, small), r["code"])
        # The same again: replaced, not doubled.
        again = s.result("certificate.pdf", {"from_year": NOW - 1, "to_year": NOW - 1})
        assert again["code"] == r["code"]
        assert [f["name"] for f in s.result("download.list")["files"]] == [NAME]
        # Two years: a file of their own.
        both = s.result("certificate.pdf", {"from_year": NOW - 1, "to_year": NOW})
        assert both["name"] == f"学时证明-{NOW - 1}-{NOW}.pdf"
        assert [f["name"] for f in s.result("download.list")["files"]] == [NAME, both["name"]]


def test_bad_names_and_bounds(cd, world):
    _, idn = world["person"]
    with logged_in(cd, idn) as s:
        s.result("certificate.pdf", {"from_year": NOW - 1, "to_year": NOW - 1})
        for name in ("../" + NAME, "/etc/passwd", "..", ".", "a\\b", "a\nb", ""):
            e = expect_error(s.call("download.get", {"name": name}), INVALID_PARAMS,
                             "outbox_bad_name")
            assert e["message"].startswith("文件名: "), e
        e = expect_error(s.call("download.get", {"name": "nothing.pdf"}), NOT_FOUND,
                         "download_not_found")
        assert e["message"].startswith("文件名: "), e
        expect_error(s.call("download.get", {"name": NAME, "length": 262145}),
                     INVALID_PARAMS, "length_invalid")
        for offset in (10 ** 9, 10 ** 7, -1):       # beyond any file, beyond this one
            expect_error(s.call("download.get", {"name": NAME, "offset": offset}),
                         INVALID_PARAMS, "offset_invalid")


def test_only_the_sessions_own_files(cd, world):
    aid, idn = world["person"]
    _, other_idn = world["other"]
    with logged_in(cd, idn) as s:
        s.result("certificate.pdf", {"from_year": NOW - 1, "to_year": NOW - 1})
        # Another person, and the same person in another session: nothing to get.
        for who in (other_idn, idn):
            with logged_in(cd, who) as t:
                assert t.result("download.list")["files"] == []
                expect_error(t.call("download.get", {"name": NAME}), NOT_FOUND,
                             "download_not_found")
        # Another person may not have it made either.
        with logged_in(cd, other_idn) as t:
            expect_error(t.call("certificate.pdf", {"from_year": NOW - 1, "to_year": NOW - 1,
                                                    "account_id": aid}),
                         NOT_PERMITTED, "certificate_own_only")
    # Gone with the session that was handed it.
    with logged_in(cd, idn) as s:
        assert s.result("download.list")["files"] == []
    with cd.rpc() as guest:
        expect_error(guest.call("download.get", {"name": NAME}), NOT_PERMITTED,
                     "login_required")


def test_unit_admin_gets_their_staffs(cd, world, tmp_path):
    aid, _ = world["person"]
    with logged_in(cd, world["admin"][1]) as adm:
        r = adm.result("certificate.pdf", {"from_year": NOW - 1, "to_year": NOW - 1,
                                           "account_id": aid})
        check_certificate(pdf_text(tmp_path, download(adm, r["name"])), r["code"])
    with logged_in(cd, world["admin_b"][1]) as adm:
        expect_error(adm.call("certificate.pdf", {"from_year": NOW - 1, "to_year": NOW - 1,
                                                  "account_id": aid}),
                     NOT_FOUND, "not_found")
        assert adm.result("download.list")["files"] == []


def fetch(cd, token, source, dest, tool="scp"):
    if tool == "scp":
        argv = ["scp", *SSH_OPTIONS, *NO_AGENT, "-P", str(cd.port), f"{token}@localhost:{source}",
                str(dest)]
        return subprocess.run(argv, capture_output=True, text=True, timeout=60)
    argv = ["sftp", *SSH_OPTIONS, *NO_AGENT, "-P", str(cd.port), "-b", "-",
            f"{token}@localhost"]
    return subprocess.run(argv, input=f"ls -l\nget {source} {dest}\n", capture_output=True,
                          text=True, timeout=60)


def test_scp_and_sftp_fetch_it_with_the_token(cd, world, tmp_path):
    _, idn = world["person"]
    with logged_in(cd, idn) as s:
        token = s.result("inbox.open")["token"]
        r = s.result("certificate.pdf", {"from_year": NOW - 1, "to_year": NOW - 1})
        want = download(s, NAME)

        got = tmp_path / "by-scp.pdf"
        res = fetch(cd, token, NAME, got)
        assert res.returncode == 0, res.stderr
        assert got.read_bytes() == want
        check_certificate(pdf_text(tmp_path, got.read_bytes(), "scp.pdf"), r["code"])

        got = tmp_path / "by-sftp.pdf"
        res = fetch(cd, token, NAME, got, "sftp")
        assert res.returncode == 0, res.stderr
        assert NAME in res.stdout            # listed
        assert got.read_bytes() == want

        # Paths are not names: nothing outside the outbox is reached.
        for path in ("../" + NAME, "/etc/passwd", "sub/" + NAME, "nothing.pdf"):
            dest = tmp_path / "x.pdf"
            assert fetch(cd, token, path, dest).returncode != 0, path
            assert not dest.exists()

        # Another person's token reaches their own session's files only.
        with logged_in(cd, world["other"][1]) as t:
            other_token = t.result("inbox.open")["token"]
            dest = tmp_path / "other.pdf"
            assert fetch(cd, other_token, NAME, dest).returncode != 0
            assert not dest.exists()

    # A wrong token, and the token of a session that has ended, get nothing.
    for bad in ("inbox-AAAAAAAAAA", token):
        dest = tmp_path / "bad.pdf"
        assert fetch(cd, bad, NAME, dest).returncode != 0
        assert not dest.exists()


def test_unit_admin_fetches_a_unit_pdf_with_scp(cd, world, tmp_path):
    """An administrator at a plain terminal (the served TUI) gets the unit's certificates
    the way staff get theirs: certificate.unit into the outbox, scp with the inbox token."""
    with logged_in(cd, world["admin"][1]) as adm:
        token = adm.result("inbox.open")["token"]
        r = adm.result("certificate.unit", {"from_year": NOW - 1, "to_year": NOW - 1})
        want = download(adm, r["name"])
        got = tmp_path / "unit.pdf"
        res = fetch(cd, token, r["name"], got)
        assert res.returncode == 0, res.stderr
        assert got.read_bytes() == want
        assert "钱下载" in pdf_text(tmp_path, want, "unit.pdf")
        # The attachment side stays the staff's: an administrator declares nothing.
        expect_error(adm.call("inbox.attach", {"name": r["name"]}), NOT_PERMITTED,
                     "not_permitted")
