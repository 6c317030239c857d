"""Start the real servers the hosting tests run against, each on a loopback port with the config
`reportgen auth config` writes: nginx, Apache and Caddy from Debian's packages, and `reportgen
serve`. nginx and Apache run their workers as Debian's default user, www-data."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hosting import published_out

from reportgen.hosting.htpasswd import read_htpasswd, write_htpasswd
from reportgen.hosting.serve import make_server
from reportgen.hosting.servers import server_config

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
CADDY = shutil.which("caddy") or "/usr/bin/caddy"
APACHE_MODULES = Path("/usr/lib/apache2/modules")
WORKER_USER = "www-data"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, log: Path | None = None) -> None:
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process is not None and process.poll() is not None:
                raise AssertionError(f"server exited: {log.read_text() if log and log.exists() else ''}") from None
            assert time.monotonic() < deadline, f"nothing listens on {port}"
            time.sleep(0.05)


def readable_by_workers(root: Path, htpasswd: Path) -> None:
    """What README's hosting section tells operators: OUT readable by the web server's user
    (reportgen writes it 0644/0755), and the htpasswd by its group only (`auth add --group`)."""
    for folder in [root, *root.parents]:
        os.chmod(folder, os.stat(folder).st_mode | 0o005)
    entries = read_htpasswd(htpasswd)
    write_htpasswd(htpasswd, entries, group=WORKER_USER)


@contextmanager
def published_for_workers(name: str) -> Iterator[tuple[Path, Path, Path, str]]:
    """(folder, OUT, htpasswd, snapshot id) of a small published demo, outside pytest's private
    temp folder so that the servers' www-data workers can read it; removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix=f"reportgen-{name}-"))
    try:
        out, htpasswd, snapshot_id = published_out(tmp)
        readable_by_workers(tmp, htpasswd)
        yield tmp, out, htpasswd, snapshot_id
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _require(binary: str, package: str) -> None:
    if not Path(binary).exists():
        pytest.skip(f"{binary} is not installed (apt-get install {package})")


@contextmanager
def run_process(command: list[str], port: int, log: Path) -> Iterator[int]:
    with open(log, "ab") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=sink)
    try:
        wait_for_port(port, process, log)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def nginx(tmp: Path, out: Path, htpasswd: Path) -> Iterator[int]:
    _require(NGINX, "nginx-light")
    port = free_port()
    (tmp / "nginx-site.conf").write_text(server_config("nginx", out, htpasswd, listen=f"127.0.0.1:{port}",
                                                       server_name="localhost"))
    (tmp / "nginx-temp").mkdir(exist_ok=True)
    (tmp / "nginx.conf").write_text(f"""
user {WORKER_USER};
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {tmp}/nginx-temp/body;
    proxy_temp_path {tmp}/nginx-temp/proxy;
    fastcgi_temp_path {tmp}/nginx-temp/fastcgi;
    uwsgi_temp_path {tmp}/nginx-temp/uwsgi;
    scgi_temp_path {tmp}/nginx-temp/scgi;
    include {tmp}/nginx-site.conf;
}}
""")
    command = [NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf")]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    with run_process([*command, "-g", "daemon off;"], port, tmp / "nginx-error.log") as p:
        yield p


APACHE_MODULE_NAMES = ["mpm_event", "authz_core", "authn_core", "authn_file", "auth_basic", "authz_user",
                       "headers", "rewrite", "alias", "mime", "dir", "autoindex"]


@contextmanager
def apache(tmp: Path, out: Path, htpasswd: Path) -> Iterator[int]:
    _require(APACHE, "apache2")
    port = free_port()
    (tmp / "apache-site.conf").write_text(server_config("apache", out, htpasswd, listen=f"127.0.0.1:{port}",
                                                        server_name="localhost"))
    (tmp / "apache-run").mkdir(exist_ok=True)
    modules = "\n".join(f"LoadModule {name}_module {APACHE_MODULES}/mod_{name}.so" for name in APACHE_MODULE_NAMES)
    (tmp / "apache.conf").write_text(f"""
{modules}
ServerName localhost
DefaultRuntimeDir {tmp}/apache-run
PidFile {tmp}/apache-run/apache.pid
ErrorLog {tmp}/apache-error.log
LogLevel warn
Listen 127.0.0.1:{port}
User {WORKER_USER}
Group {WORKER_USER}
TypesConfig /etc/mime.types
Include {tmp}/apache-site.conf
""")
    command = [APACHE, "-f", str(tmp / "apache.conf")]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr + check.stdout
    with run_process([*command, "-DFOREGROUND"], port, tmp / "apache-error.log") as p:
        yield p


@contextmanager
def caddy(tmp: Path, out: Path, htpasswd: Path) -> Iterator[int]:
    _require(CADDY, "caddy")
    port = free_port()
    site = server_config("caddy", out, htpasswd, server_name=f"http://127.0.0.1:{port}")
    (tmp / "Caddyfile").write_text(f"{{\n\tadmin off\n\tauto_https off\n\tstorage file_system {tmp}/caddy-data\n}}\n"
                                   + site)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp), "XDG_DATA_HOME": str(tmp),
           "XDG_CONFIG_HOME": str(tmp)}
    command = [CADDY, "run", "--config", str(tmp / "Caddyfile"), "--adapter", "caddyfile"]
    log = tmp / "caddy.log"
    with open(log, "ab") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=sink, env=env)
    try:
        wait_for_port(port, process, log)
        yield port
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def serve(tmp: Path, out: Path, htpasswd: Path) -> Iterator[int]:
    httpd = make_server(out, "127.0.0.1", 0, htpasswd)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


SERVERS: dict[str, Callable] = {"serve": serve, "nginx": nginx, "apache": apache, "caddy": caddy}
