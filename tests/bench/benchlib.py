"""benchlib.py - what the Python halves of tests/bench (flood.py, served-tui.py,
cpu-sample.py) share:
a jxjyd of their own on the PostgreSQL named by PGHOST/PGPORT/PGUSER (database jxjy),
OpenSSH's options, /proc figures and percentiles.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time

SSH_OPTS = ["-F", "/dev/null", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
            "-o", "IdentityAgent=none", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"]


def arguments(*paths, **numbers):
    """The command line of a bench script: --jxjyd, --schema, --workdir and each of paths,
    all required; --NAME (NAME's _ written -) for each of numbers, its value the default and
    its type the option's; --out FILE."""
    ap = argparse.ArgumentParser()
    for name in ("jxjyd", "schema", "workdir", *paths):
        ap.add_argument(f"--{name}", required=True)
    for name, default in numbers.items():
        ap.add_argument("--" + name.replace("_", "-"), type=type(default), default=default)
    ap.add_argument("--out")
    return ap.parse_args()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def conninfo():
    """The libpq conninfo of the database jxjy on the PostgreSQL of the environment."""
    return (f"host={os.environ['PGHOST']} port={os.environ['PGPORT']} "
            f"user={os.environ['PGUSER']} dbname=jxjy")


def proc_kib(pid, key, path="status"):
    """The KiB figure of key (VmRSS, Pss, ...) in /proc/PID/path; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/{path}") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_stat(pid):
    """(utime + stime in seconds, ppid) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), int(fields[1])


def children(pid):
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_stat(int(name))
            if st is not None and st[1] == pid:
                out.append(int(name))
    return out


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def write_config(workdir, schema, settings):
    """workdir/jxjyd.conf: 127.0.0.1 on a free port, a pool of 8, log level info, then
    settings (libconfig text).  Returns (its path, the port)."""
    port = free_port()
    conf = os.path.join(workdir, "jxjyd.conf")
    with open(conf, "w") as f:
        f.write(f'''listen_address = "127.0.0.1";
port = {port};
host_key = "{workdir}/host_key";
schema_dir = "{schema}";
database: {{ conninfo = "{conninfo()}"; pool_size = 8; }};
log: {{ level = "info"; }};
{settings}''')
    return conf, port


def jxjyd_run(jxjyd, conf, *commands):
    """Run `jxjyd -f conf COMMAND` for each command (migrate, import); exit on a failure."""
    for cmd in commands:
        r = subprocess.run([jxjyd, "-f", conf, cmd], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"jxjyd {cmd} failed: {r.stdout}{r.stderr}")


def jxjyd_serve(jxjyd, conf, workdir):
    """Start `jxjyd serve`, its output in workdir/jxjyd.stderr, and wait until it listens.
    Returns (the process, the path of its output)."""
    path = os.path.join(workdir, "jxjyd.stderr")
    err = open(path, "w")
    daemon = subprocess.Popen([jxjyd, "-f", conf, "serve"], stdout=err, stderr=err)
    deadline = time.monotonic() + 30
    while "listening on" not in open(path).read():
        if daemon.poll() is not None or time.monotonic() > deadline:
            daemon.kill()
            sys.exit(f"jxjyd did not start:\n{open(path).read()}")
        time.sleep(0.05)
    return daemon, path


class Rpc:
    """A JSON-RPC client on the ssh command argv (`ssh ... -s jxjy-rpc`), one request at a
    time; a request that fails ends the bench."""

    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.n = 0

    def call(self, method, params=None):
        self.n += 1
        req = {"jsonrpc": "2.0", "id": self.n, "method": method}
        if params is not None:
            req["params"] = params
        self.p.stdin.write((json.dumps(req) + "\n").encode())
        self.p.stdin.flush()
        reply = json.loads(self.p.stdout.readline())
        if "error" in reply:
            sys.exit(f"{method}: {reply}")
        return reply["result"]

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


def finish(report, out, ok):
    """Print the report (a list of Markdown lines), write it to out when given, and exit 0
    when the goals were met (ok), else 1."""
    text = "\n".join(report) + "\n"
    print(text)
    if out:
        with open(out, "w") as f:
            f.write(text)
    sys.exit(0 if ok else 1)
