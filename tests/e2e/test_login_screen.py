"""The real jxjy TUI in a real terminal (tmux), connected to the real daemon over SSH:
the login screen in Chinese and English, its alignment, resizing, and quitting with F10."""

import re
import pytest

from conftest import JXJY, module_daemon, require_binary
from tmux import Tmux

ZH_LABELS = ["身份证号", "密码", "验证码"]
ZH_ACTIONS = ["登录", "注册"]
FIELD_LABELS_EN = [r"ID (card )?(number|No\.?)", r"Password", r"(Captcha|Verification code)"]
TOO_SMALL = re.compile(r"太小|too small", re.I)


@pytest.fixture(scope="module")
def login_daemon(postgres, migrated_template, tmp_path_factory):
    # The captcha on, as in production, so that the login form shows every field.
    yield from module_daemon(postgres, migrated_template, tmp_path_factory, "jxjyd-e2e",
                             {"security": {"captcha": "always"}})


@pytest.fixture
def term(tmp_path):
    t = Tmux(tmp_path, 100, 30)
    yield t
    t.kill()


def start_tui(term, daemon, tmp_path, *extra):
    require_binary(JXJY)
    known_hosts = tmp_path / "known_hosts"
    term.send_line(f"{JXJY} {' '.join(extra)} --accept-new -k {known_hosts} "
                   f"-p {daemon.port} localhost; echo EXITED=$?")


def exit_status(text):
    m = re.search(r"^EXITED=(\d+)$", text, re.M)
    return int(m.group(1)) if m else None


def label_row(screen, label):
    """The line where label stands as a field label: first on its line, after any frame."""
    for i, line in enumerate(screen):
        stripped = line.lstrip(" │┃║|*")
        if stripped.startswith(label):
            return i
    raise AssertionError(f"no line starts with {label!r}:\n" + "\n".join(screen))


def input_column(cells, label):
    """Display column where the input field after label begins, on a line of cells.

    The field starts at the first cell after the label (and its colon) that is drawn
    differently from the plain surface: a visible character such as '[' or '_', or a
    blank with attributes (underline, reverse, a background) that neither the label,
    the cells before it, nor the terminal's default have."""
    text = "".join(c.ch for c in cells)
    start = text.index(label)
    plain = {frozenset(), cells[start].attrs} | {c.attrs for c in cells[:start]}
    for cell in cells[start + len(label):]:
        if cell.attrs in plain and cell.ch in " :：":
            continue
        return cell.col
    raise AssertionError(f"no input field after {label!r} on: {text!r}")


def check_alignment(term, labels):
    """The input fields of the lines labelled labels all begin in the same column."""
    screen = term.screen()
    cells = term.cells()
    columns = {label: input_column(cells[label_row(screen, label)], label)
               for label in labels}
    assert len(set(columns.values())) == 1, \
        f"input fields do not line up: {columns}\n" + "\n".join(screen)


def quit_with_f10(term):
    term.send_keys("F10")
    text = term.wait_for(lambda s: exit_status(s) is not None, what="the TUI to exit")
    assert exit_status(text) == 0, text
    # The shell is back: its prompt follows the status line, and the form is gone.
    assert re.search(r"^EXITED=0\n\$", text, re.M), text
    for label in ZH_LABELS:
        assert label not in text, text


def test_login_screen_in_chinese(term, login_daemon, tmp_path):
    start_tui(term, login_daemon, tmp_path)
    text = term.wait_for(lambda s: all(w in s for w in ZH_LABELS + ZH_ACTIONS),
                         what="the Chinese login screen")
    assert exit_status(text) is None
    check_alignment(term, ZH_LABELS)
    quit_with_f10(term)


def test_resize_shows_too_small_then_login_again(term, login_daemon, tmp_path):
    start_tui(term, login_daemon, tmp_path)
    term.wait_for(lambda s: all(w in s for w in ZH_LABELS), what="the login screen")
    term.resize(70, 20)
    assert term.size() == (70, 20)
    term.wait_for(lambda s: TOO_SMALL.search(s), what="the 'too small' message")
    term.resize(100, 30)
    text = term.wait_for(lambda s: all(w in s for w in ZH_LABELS + ZH_ACTIONS)
                         and not TOO_SMALL.search(s), what="the login screen after resize")
    assert exit_status(text) is None
    check_alignment(term, ZH_LABELS)
    quit_with_f10(term)


def test_login_screen_in_english(term, login_daemon, tmp_path):
    start_tui(term, login_daemon, tmp_path, "-l", "en")

    def english(s):
        return all(re.search(p, s, re.I) for p in FIELD_LABELS_EN) and \
            re.search(r"log ?in", s, re.I) and re.search(r"register|sign up", s, re.I)
    text = term.wait_for(english, what="the English login screen")
    for label in ZH_LABELS + ZH_ACTIONS:
        assert label not in text, f"{label} on the English screen:\n{text}"
    # The same alignment rule holds for the English labels.
    screen = term.screen()
    labels = []
    for pattern in FIELD_LABELS_EN:
        for line in screen:
            m = re.match(r"[ │┃║|*]*(" + pattern + ")", line, re.I)
            if m:
                labels.append(m.group(1))
                break
    assert len(labels) == 3, "\n".join(screen)
    check_alignment(term, labels)
    quit_with_f10(term)


def test_jxjy_lang_environment(term, login_daemon, tmp_path):
    term.send_line("export JXJY_LANG=en")
    start_tui(term, login_daemon, tmp_path)
    term.wait_for(lambda s: re.search(r"Password", s, re.I), what="English from JXJY_LANG")
    quit_with_f10(term)


def test_unreachable_daemon_exits_2(term, tmp_path):
    require_binary(JXJY)
    from conftest import free_port
    term.send_line(f"{JXJY} --accept-new -k {tmp_path}/kh -p {free_port()} localhost; "
                   "echo EXITED=$?")
    text = term.wait_for(lambda s: exit_status(s) is not None, what="jxjy to give up")
    assert exit_status(text) == 2, text
