"""The certificate's PDF (daemon/app/certificate-pdf.c), rendered from facts written here by
tests/unit/render-certificate (no database, no signing key) and read back with the tools a
committee or an offline check would use: pdftotext for the text, pdftoppm + zbarimg for the
QR code, the payload from the document's Keywords.

The facts follow the contract of issue 18 (docs/protocol.md once certificates exist): two
years, one met and one not, a record with a very long name and a base as its source; then a
hundred and twenty records, which take several pages with nothing cut.
"""

import json
import re
import shutil
import subprocess
import zlib

import pytest

from conftest import BUILD

RENDER = BUILD / "tests" / "unit" / "render-certificate"
CODE = "K7QX-3MPA-9TRD"
LONG_NAME = ("中华医学会第二十七次全国急诊医学学术年会暨急危重症救治能力提升与多学科协作诊疗"
             "规范化建设高级研修班（郑州分会场）线下参会")
BASE = "河南省继续医学教育基地（郑州大学第一附属医院）"
# The records' table: the name column's left and right edge in points (certificate-pdf.c's
# margin 50, year column 36, name column 165).
NAME_LEFT, NAME_RIGHT = 50 + 36, 50 + 36 + 165


def sample_facts(records=None):
    return {
        "code": CODE, "issued_at": "2026-12-06", "issuer": "河南省人力资源和社会保障厅",
        "person": {"name": "孙明", "id_number": "4101**********1573",
                   "unit": "郑州大学第一附属医院", "title": "卫生(医) · 主治医师"},
        "years": [
            {"year": 2025, "required": {"total": 90, "professional": 60, "public": 24},
             "approved": {"total": 96, "professional": 66, "public": 30},
             "by_form": [{"form": "培训班", "amount": 48}, {"form": "学术会议", "amount": 48}],
             "met": True, "counts": "hours"},
            {"year": 2024, "required": {"total": 90, "professional": 60, "public": 24},
             "approved": {"total": "40.5", "professional": "28.5", "public": "12"},
             "by_form": [{"form": "网络课程", "amount": "40.5"}],
             "met": False, "counts": "hours"},
        ],
        "records": records if records is not None else [
            {"year": 2025, "name": "急诊医学新进展培训班", "form": "培训班",
             "dates": "2025-03-01 至 2025-03-02", "amount": 16, "category": "professional",
             "source": "本人申报"},
            {"year": 2025, "name": LONG_NAME, "form": "学术会议",
             "dates": "2025-05-10 至 2025-05-12", "amount": 48, "category": "professional",
             "source": BASE},
            {"year": 2024, "name": "公需科目网络课程", "form": "网络课程", "dates": "2024-06-01",
             "amount": "40.5", "category": "public", "source": "本人申报"},
        ],
    }


def signed_payload(facts):
    """A payload shaped as the real one: the facts as json_dumps(JSON_COMPACT |
    JSON_SORT_KEYS | JSON_ENSURE_ASCII) writes them (backslashes: cairo stores it as hex),
    ".", an unpadded URL-safe base64 signature (made up: this module does not check it)."""
    body = json.dumps(facts, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return body + ".q3Zt-Jx_0aB9" + "A" * 74


def run(*argv, check=True):
    r = subprocess.run([str(a) for a in argv], capture_output=True, timeout=120)
    if check:
        assert r.returncode == 0, (argv, r.stderr.decode("utf-8", "replace"))
    return r


def render(tmp_path, facts, payload=None, name="cert"):
    facts_path, pdf = tmp_path / f"{name}.json", tmp_path / f"{name}.pdf"
    facts_path.write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
    run(RENDER, facts_path, pdf, *([payload] if payload is not None else []))
    return pdf


def text(pdf, *mode):
    return run("pdftotext", *mode, pdf, "-").stdout.decode("utf-8")


def pages_of(pdf):
    info = run("pdfinfo", pdf).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def qr_of_page(pdf, page, tmp_path):
    prefix = tmp_path / f"page{page}"
    run("pdftoppm", "-png", "-r", "150", "-f", page, "-l", page, "-singlefile", pdf, prefix)
    return run("zbarimg", "--raw", "-q", f"{prefix}.png").stdout.decode().strip()


def squeeze(s):
    return re.sub(r"\s+", "", s)


@pytest.fixture(scope="module", autouse=True)
def tools():
    for tool in ("pdftotext", "pdftoppm", "pdfinfo", "zbarimg"):
        assert shutil.which(tool), f"{tool} missing: scripts/test installs JXJY_PACKAGES"
    assert RENDER.exists(), f"{RENDER} not built"


def test_page_states_the_facts(tmp_path):
    pdf = render(tmp_path, sample_facts(), signed_payload(sample_facts()))
    assert pages_of(pdf) == 1
    lines = [re.sub(r"\s+", " ", line).strip() for line in text(pdf, "-layout").splitlines()]
    assert "继续教育学时证明" in lines
    for expected in ("姓名 孙明", "身份证号 4101**********1573", "工作单位 郑州大学第一附属医院",
                     "职称 卫生(医) · 主治医师",
                     "2025 年度：已达到年度要求",
                     "合计 90 96 已达到", "专业科目 60 66 已达到", "公需科目 24 30 已达到",
                     "按学习形式：培训班 48 学时；学术会议 48 学时",
                     "2024 年度：未达到年度要求",
                     "合计 90 40.5 未达到", "专业科目 60 28.5 未达到", "公需科目 24 12 未达到",
                     "按学习形式：网络课程 40.5 学时",
                     "本年度未达到继续教育学时要求：合计尚差 49.5 学时，专业科目尚差 31.5 学时，"
                     "公需科目尚差 12 学时。",
                     "签发日期：2026-12-06", "签发机构：河南省人力资源和社会保障厅",
                     f"验证码：{CODE}", f"ssh -p 2222 jxjy.example.cn verify {CODE}"):
        assert expected in lines, expected
    # The short records on one line each; the long cells wrap, so their text is whole in
    # drawing order (-raw) though split over lines.
    assert any(re.match(r"2025 急诊医学新进展培训班 培训班 2025-03-01 至 16 本人申报$", line)
               for line in lines), lines
    assert "2024 公需科目网络课程 网络课程 2024-06-01 40.5 本人申报" in lines
    raw = squeeze(text(pdf, "-raw"))
    for whole in (LONG_NAME, BASE, "2025-05-10至2025-05-12"):
        assert whole in raw, whole


def test_long_name_wraps_inside_its_cell(tmp_path):
    pdf = render(tmp_path, sample_facts())
    bbox = text(pdf, "-bbox")
    words = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" '
                       r'yMax="[\d.]+">([^<]+)</word>', bbox)
    pieces = [(float(x0), float(x1), w) for x0, x1, w in words
              if len(w) >= 4 and w in LONG_NAME]
    assert len(pieces) >= 3, pieces	# wrapped over several lines
    assert "".join(w for _, _, w in pieces) == LONG_NAME
    for x0, x1, w in pieces:
        assert NAME_LEFT <= x0 and x1 <= NAME_RIGHT, (x0, x1, w)


def test_qr_code_decodes_to_the_code(tmp_path):
    pdf = render(tmp_path, sample_facts())
    assert qr_of_page(pdf, 1, tmp_path) == CODE


def test_payload_reads_back_exactly(tmp_path):
    payload = signed_payload(sample_facts())
    assert "\\u" in payload		# the hex (UTF-16) form in the PDF
    pdf = render(tmp_path, sample_facts(), payload)
    assert run(RENDER, "--payload", pdf).stdout.decode() == payload + "\n"
    # One cairo writes as a literal string: no backslash, no parenthesis.
    plain = "eyJjb2RlIjoiSzdRWC0zTVBBLTlUUkQifQ.abc-DEF_123"
    pdf = render(tmp_path, sample_facts(), plain, name="plain")
    assert run(RENDER, "--payload", pdf).stdout.decode() == plain + "\n"
    # A PDF without a payload has none.
    pdf = render(tmp_path, sample_facts(), name="none")
    assert run(RENDER, "--payload", pdf, check=False).returncode != 0


def test_payload_from_a_compressed_object_stream(tmp_path):
    """cairo 1.17.6 and later put the document information into a Flate object stream
    (Debian 12's 1.16 does not): the payload is found there too, the last one counting."""
    payload = signed_payload(sample_facts())
    hexed = "FEFF" + "".join(f"{ord(c):04X}" for c in payload)
    older = zlib.compress(b"<< /Keywords (old.payload) >>")
    info = zlib.compress(f"<< /Title (x) /Keywords <{hexed}> >>".encode())
    pdf = tmp_path / "objstm.pdf"
    pdf.write_bytes(b"%PDF-1.7\n"
                    + b"1 0 obj\n<< /Type /ObjStm /Filter /FlateDecode /Length %d >>\nstream\n"
                    % len(older) + older + b"\nendstream\nendobj\n"
                    + b"2 0 obj\n<< /Type /ObjStm /Filter /FlateDecode /Length %d >>\nstream\n"
                    % len(info) + info + b"\nendstream\nendobj\n%%EOF\n")
    assert run(RENDER, "--payload", pdf).stdout.decode() == payload + "\n"


def test_many_records_take_pages_and_nothing_is_cut(tmp_path):
    records = [{"year": 2025 - i % 2, "name": f"第{i:03d}期" + "临床技能提升培训" * (1 + i % 4),
                "form": "培训班", "dates": "2025-03-01 至 2025-03-02", "amount": 2,
                "category": "professional", "source": BASE if i % 3 else "本人申报"}
               for i in range(120)]
    pdf = render(tmp_path, sample_facts(records), signed_payload(sample_facts(records)))
    n = pages_of(pdf)
    assert n >= 3
    per_page = [run("pdftotext", "-raw", "-f", p, "-l", p, pdf, "-").stdout.decode()
                for p in range(1, n + 1)]
    whole = squeeze("".join(per_page))
    for rec in records:
        assert squeeze(rec["name"]) in whole, rec["name"]
    # Each record once and whole on one page: a row is never split over two.
    for i in range(120):
        assert sum(squeeze(records[i]["name"]) in squeeze(t) for t in per_page) == 1, i
        assert len(re.findall(f"第{i:03d}期", whole)) == 1, i
    for p, page_text in enumerate(per_page, start=1):
        assert f"第 {p} 页" in page_text or f"第{p}页" in squeeze(page_text)
        assert CODE in page_text
    # The table's header on every page it reaches after the first.
    for page_text in per_page[1:-1]:
        assert "学习形式" in page_text
    assert qr_of_page(pdf, n, tmp_path) == CODE


def test_facts_without_code_are_refused(tmp_path):
    facts = sample_facts()
    del facts["code"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(facts), encoding="utf-8")
    r = run(RENDER, path, tmp_path / "bad.pdf", check=False)
    assert r.returncode != 0
    assert not (tmp_path / "bad.pdf").exists()
