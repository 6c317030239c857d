"""A real PostgreSQL server for tests: Debian's binaries, a temporary data directory, a loopback
port, password authentication; stopped (and its files removed) afterwards."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PASSWORD = "pg-test-Secr3t"


def binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@dataclass
class Server:
    port: int
    folder: Path
    bin: Path
    run_as: list[str]

    def url(self, database: str = "reports", password: str | None = PASSWORD, user: str = "reports") -> str:
        secret = f":{password}" if password else ""
        return f"postgresql://{user}{secret}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "reports") -> str:
        done = subprocess.run([str(self.bin / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                               "-p", str(self.port), "-U", "reports", "-d", database, "-c", sql],
                              capture_output=True, text=True, env={**os.environ, "PGPASSWORD": PASSWORD})
        assert done.returncode == 0, done.stderr
        return done.stdout


def start() -> Server:
    bin_dir = binaries()
    assert bin_dir, "PostgreSQL is not installed"
    folder = Path(tempfile.mkdtemp(prefix="reportgen-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: use the postgres system user
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    (folder / "pw").write_text(PASSWORD)
    if run_as:
        os.chown(folder / "pw", pwd.getpwnam("postgres").pw_uid, -1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = folder / "data"
    subprocess.run([*run_as, str(bin_dir / "initdb"), "-D", str(data), "-U", "reports", "--auth=scram-sha-256",
                    f"--pwfile={folder / 'pw'}", "-E", "UTF8", "--locale=C"], check=True, capture_output=True)
    subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-o",
                    f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                   check=True, capture_output=True)
    server = Server(port, folder, bin_dir, run_as)
    server.psql("CREATE DATABASE reports", database="postgres")
    return server


def stop(server: Server) -> None:
    subprocess.run([*server.run_as, str(server.bin / "pg_ctl"), "-D", str(server.folder / "data"), "-m", "immediate",
                    "-w", "stop"], capture_output=True)
    shutil.rmtree(server.folder, ignore_errors=True)
