"""A streaming replica of the run's PostgreSQL (pg_basebackup -R) in a directory of its own,
on a private socket and port: what test_replica.py and the e2e tests of the replica's
freshness read from."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import Postgres, _pg_bindir, free_port


def as_owner(argv, **kw):
    """Run a PostgreSQL program as the postgres user when we are root (it refuses root)."""
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--"] + argv
    return subprocess.run(argv, cwd="/", capture_output=True, text=True, **kw)


class Replica(Postgres):
    """A streaming replica of the run's PostgreSQL in a directory of its own."""

    def __init__(self, primary):
        self.bindir = _pg_bindir()
        self.work = Path(tempfile.mkdtemp(prefix="jxjy-replica.", dir="/tmp"))
        if os.geteuid() == 0:
            shutil.chown(self.work, "postgres")
        self.work.chmod(0o700)
        self.data = self.work / "data"
        # Its socket is in its own directory: any port number nothing listens on will do.
        super().__init__(str(self.work), free_port(), primary.user)
        r = as_owner([str(self.bindir / "pg_basebackup"), "-h", primary.host, "-p",
                      primary.port, "-U", primary.user, "-D", str(self.data), "-R",
                      "-X", "stream", "-c", "fast"], timeout=300)
        assert r.returncode == 0, f"pg_basebackup failed:\n{r.stderr}"
        # After the primary's own settings (copied with its data): these win.
        with open(self.data / "postgresql.conf", "a") as f:
            f.write(f"\nport = {self.port}\nunix_socket_directories = '{self.work}'\n"
                    "listen_addresses = ''\nhot_standby = on\n")
        self.start()

    def start(self):
        r = as_owner([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l",
                      str(self.work / "postgres.log"), "-w", "-t", "60", "start"], timeout=90)
        assert r.returncode == 0, (f"the replica did not start:\n{r.stderr}\n"
                                   + (self.work / "postgres.log").read_text())

    def stop(self, mode="fast"):
        as_owner([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w",
                  "stop"], timeout=60)

    def remove(self):
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.work, ignore_errors=True)


@pytest.fixture(scope="module")
def replica(postgres):
    """A Replica for the module's tests, removed after them."""
    r = Replica(postgres)
    try:
        yield r
    finally:
        r.remove()
