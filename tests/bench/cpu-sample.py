#!/usr/bin/env python3
"""cpu-sample.py - what a window of a benchmark round cost jxjyd and PostgreSQL.

    cpu-sample.py JXJYD_PID POSTMASTER_PID DELAY WINDOW [CLIENT] -- PSQL...

Sleeps DELAY seconds, takes a snapshot, sleeps WINDOW seconds, takes another and
prints one line of "key=value" figures for the window:

    submits    declarations made (max(declarations.id) moved by this much)
    xacts      transactions PostgreSQL committed (pg_stat_database.xact_commit)
    jxjyd_us   jxjyd's CPU per submit, µs (utime + stime of the process, all threads)
    pg_us      PostgreSQL's backends' CPU per submit, µs: the clients' backends (of the
               database jxjy) that lived through the window; for pgbench, whose
               transaction is one submit, this is its CPU per transaction
    pg_all_us  all of PostgreSQL's CPU per submit, µs: the postmaster and its children
               alive at the window's end (WAL writer, checkpointer, and any autovacuum
               worker that ran then, which makes this jumpy)
    xact_per   transactions committed per submit
    cs_per     jxjyd's context switches per submit (voluntary + involuntary, summed
               over the threads alive at the window's end, /proc/PID/task/*/status)
    client_us  with CLIENT (a program's name): the CPU per submit of the processes of
               that name that lived through the window -- the load client's (an SSH
               client on the same cores) or pgbench's (a client of PostgreSQL alone)

PSQL is the command that runs one query and prints its value (psql -A -t ...).
Counts are exact; CPU has the kernel's tick as its grain (10 ms), which over a
window of seconds and thousands of submits is well under a microsecond each.
"""
import os
import subprocess
import sys
import time

from benchlib import children, proc_stat

TICK = os.sysconf("SC_CLK_TCK")


def ticks(pid):
    """utime + stime of pid (a process: all its threads) in ticks, None when gone."""
    st = proc_stat(pid)
    return None if st is None else round(st[0] * TICK)


def switches(pid):
    """{thread id: voluntary + involuntary context switches} of pid's threads."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        n = 0
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches",
                                        "nonvoluntary_ctxt_switches")):
                        n += int(line.split()[1])
        except OSError:
            continue
        out[tid] = n
    return out


def query(psql, sql):
    return int(subprocess.run(psql + ["-c", sql], check=True, capture_output=True,
                              text=True).stdout.strip() or 0)


def backend(pid):
    """Whether pid is a client's backend (its title "postgres: USER DATABASE ...")."""
    try:
        with open(f"/proc/{pid}/cmdline") as f:
            words = f.read().replace("\0", " ").split()
    except OSError:
        return False
    return len(words) >= 3 and words[0] == "postgres:" and words[2] == "jxjy"


def named(name):
    """The pids of the programs called name: the last part of their argv[0]. Not
    /proc/PID/comm, which keeps 15 bytes: "bench-declarati" is also the benchmark's own
    script (argv[0] "bash") and every subshell of it."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                argv0 = f.read().split(b"\0", 1)[0].decode(errors="replace")
        except OSError:
            continue
        if os.path.basename(argv0) == name:
            out.append(int(d))
    return out


def snapshot(jxjyd, postmaster, psql, client):
    kids = children(postmaster)
    pg = {pid: ticks(pid) for pid in [postmaster] + kids}
    return {
        "client": {pid: ticks(pid) for pid in named(client)} if client else {},
        "backends": {pid for pid in kids if backend(pid)},
        "jxjyd": ticks(jxjyd),
        "cs": switches(jxjyd),
        "pg": pg,
        "id": query(psql, "SELECT coalesce(max(id), 0) FROM declarations"),
        "xacts": query(psql, "SELECT xact_commit FROM pg_stat_database "
                             "WHERE datname = current_database()"),
    }


def main():
    if "--" not in sys.argv[5:7]:
        sys.exit(__doc__)
    dash = sys.argv.index("--", 5)
    jxjyd, postmaster = int(sys.argv[1]), int(sys.argv[2])
    delay, window = float(sys.argv[3]), float(sys.argv[4])
    client = sys.argv[5] if dash == 6 else None
    psql = sys.argv[dash + 1:]
    time.sleep(delay)
    a = snapshot(jxjyd, postmaster, psql, client)
    time.sleep(window)
    b = snapshot(jxjyd, postmaster, psql, client)
    submits = b["id"] - a["id"]
    # The two queries of each snapshot are transactions too.
    xacts = b["xacts"] - a["xacts"] - 2
    # A process or thread that started in the window counts from zero; one that ended
    # in it is lost (its share is small: a round's sessions and backends live through).
    pg = sum(b["pg"][p] - (a["pg"].get(p) or 0) for p in b["pg"] if b["pg"][p] is not None)
    # The backends alone, those that lived through the window: the clients' own work,
    # without an autovacuum worker that happened to start (or end) in it.
    be = sum(b["pg"][p] - a["pg"][p] for p in a["backends"] & b["backends"]
             if a["pg"].get(p) is not None and b["pg"].get(p) is not None)
    cs = sum(b["cs"][t] - a["cs"].get(t, 0) for t in b["cs"])
    cl = sum(b["client"][p] - a["client"][p] for p in a["client"].keys() & b["client"].keys()
             if a["client"][p] is not None and b["client"][p] is not None)
    us = 1e6 / TICK

    def per(x, n, scale=1.0):
        return f"{x * scale / n:.1f}" if n > 0 else "-"
    print(f"submits={submits} xacts={xacts}"
          f" jxjyd_us={per(b['jxjyd'] - a['jxjyd'], submits, us)}"
          f" pg_us={per(be, submits, us)} pg_all_us={per(pg, submits, us)}"
          f" xact_per={per(xacts, submits, 1.0)} cs_per={per(cs, submits)}"
          + (f" client_us={per(cl, submits, us)}" if client else ""))


if __name__ == "__main__":
    main()
