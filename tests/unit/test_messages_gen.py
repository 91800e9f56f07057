"""scripts/messages-gen.py, which makes the daemon's message tables from
daemon/core/messages.txt at build time: a bad catalogue must stop the build with the
file and line of the mistake, not become a table with a hole in it."""

import subprocess
import sys

import pytest

from conftest import REPO

GEN = REPO / "scripts" / "messages-gen.py"


def generate(tmp_path, text):
    catalogue = tmp_path / "messages.txt"
    catalogue.write_text(text, encoding="utf-8")
    out = tmp_path / "out.h"
    r = subprocess.run([sys.executable, str(GEN), str(catalogue), "-o", str(out)],
                       capture_output=True, text=True, timeout=30)
    return r, out, str(catalogue)


def test_the_daemons_catalogue_builds(tmp_path):
    out = tmp_path / "out.h"
    r = subprocess.run([sys.executable, str(GEN), str(REPO / "daemon" / "core" / "messages.txt"),
                        "-o", str(out)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    text = out.read_text(encoding="utf-8")
    assert "static const struct message catalogue_messages[]" in text
    assert "static const struct message catalogue_fields[]" in text


def test_escapes_become_c(tmp_path):
    r, out, _ = generate(tmp_path, '[messages]\nk\t"a" \\\\ b?\tx;\\s\n')
    assert r.returncode == 0, r.stderr
    assert '{ "k", { "\\"a\\" \\\\ b\\?", "x; " } },' in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("text,line,what", [
    ("[messages]\nk\tzh\n", 2, "lacks the English text"),
    ("[messages]\nk\n", 2, "lacks the Chinese and English text"),
    ("[messages]\nk\t\ten\n", 2, "the Chinese text is empty"),
    ("[messages]\nk\tzh\ten\tmore\n", 2, "has 4 fields"),
    ("[fields]\na\tx\ty\n# note\na\tx\ty\n", 4, '"a" is in [fields] already'),
    ("[messages]\nk\tzh\ten \n", 2, "English text has white space at an end"),
    ("[messages]\nk\tz\\qh\ten\n", 2, 'unknown escape "\\q"'),
    ("[messages]\nbad key\tzh\ten\n", 2, 'bad key "bad key"'),
    ("[message]\n", 1, "unknown section"),
    ("k\tzh\ten\n", 1, "an entry before the first"),
])
def test_a_bad_catalogue_is_refused_with_file_and_line(tmp_path, text, line, what):
    r, out, path = generate(tmp_path, text)
    assert r.returncode != 0
    assert r.stderr.startswith("%s:%d: " % (path, line)), r.stderr
    assert what in r.stderr
    assert not out.exists()


def test_a_key_may_be_both_a_message_and_a_field(tmp_path):
    r, _, _ = generate(tmp_path, "[messages]\npassword\tx\ty\n[fields]\npassword\tx\ty\n")
    assert r.returncode == 0, r.stderr
