"""Certificates of a unit's staff at once (issue 18): the public host on every page
(certificates.verify_host, and its fallback), `ssh ADMIN@host certificates YEAR[-YEAR]` and
certificate.unit: one PDF with each person's certificate from a page of its own, each with
its own code, QR code and payload, the figures equal to completion.year's; only the
administrator's unit; `jxjyd verify` checking every person of it."""

import json
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
    acc.add_unit("CUA", "批量甲单位", departments=("内科", "外科"))
    acc.add_unit("CUB", "批量乙单位")
    w = {"acc": acc, "admin": acc.add_admin("CUA", "甲单位管理员"),
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

def test_verify_host_on_the_page_and_its_fallback(ud, world, tmp_path):
    """verify_host "jxjy.example.cn:22": "ssh jxjy.example.cn verify CODE" (port 22 needs
    no -p); unset (a reload): this machine's name and the daemon's port."""
    _, idn = world["acc"].add_staff("CUA", "主机测试")
    with logged_in(ud, idn) as s:
        rec = submit(s, "k_pub", 24, NOW - 1, "主机测试课程")
    approve(ud, {"admin": world["admin"]}, [rec])
    text = text_of(person_pdf(ud, idn, tmp_path, NOW - 1))
    code = next(w for line in text.splitlines() if "验证码：" in line
                for w in line.split("验证码：")[1].split())
    assert f"ssh jxjy.example.cn verify {code}" in text, text
    assert "<host>" not in text
    try:
        ud.settings["certificates"]["verify_host"] = ""
        ud.write_config()
        ud.reload()
        text = text_of(person_pdf(ud, idn, tmp_path, NOW - 1))
        assert f"ssh -p {ud.port} {socket.gethostname()} verify {code}" in text, text
    finally:
        ud.settings["certificates"]["verify_host"] = "jxjy.example.cn:22"
        ud.write_config()
        ud.reload()


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
