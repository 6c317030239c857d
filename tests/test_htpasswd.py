"""hosting/htpasswd.py and `reportgen auth`: bcrypt-only htpasswd, mode 0600 (0640 for a web server group)."""

from __future__ import annotations

import grp
import stat

import bcrypt
import pytest
from click.testing import CliRunner

from reportgen import cli
from reportgen.hosting import htpasswd


def test_add_writes_a_2y_bcrypt_hash_readable_by_the_owner_only(tmp_path):
    path = tmp_path / "htpasswd"
    assert htpasswd.add_user(path, "ann", "correct horse") is False
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    user, hashed = path.read_text().strip().split(":", 1)
    assert user == "ann" and hashed.startswith(f"$2y${htpasswd.DEFAULT_COST:02d}$")
    assert htpasswd.check_password(hashed, "correct horse") and not htpasswd.check_password(hashed, "wrong")
    assert htpasswd.add_user(path, "ann", "new password", cost=8) is True
    assert htpasswd.check_password(htpasswd.read_htpasswd(path)["ann"], "new password")


def test_nothing_weaker_than_bcrypt_is_accepted():
    assert not htpasswd.check_password("$apr1$abc$def", "x")
    assert not htpasswd.check_password("{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=", "test")
    assert not htpasswd.check_password("plain", "plain")
    assert htpasswd.check_password(bcrypt.hashpw(b"pw", bcrypt.gensalt(4)).decode(), "pw")  # $2b$ read too


@pytest.mark.parametrize("user, password, message", [
    ("bad:user", "pw", "user name"), ("", "pw", "user name"), ("ok", "", "empty password"),
    ("ok", "x" * 73, "72 bytes"),
])
def test_bad_users_and_passwords(tmp_path, user, password, message):
    with pytest.raises(htpasswd.AuthError, match=message):
        htpasswd.add_user(tmp_path / "h", user, password)


def test_cli_add_reads_the_password_from_stdin_or_a_prompt_never_an_argument(tmp_path):
    runner = CliRunner()
    path = tmp_path / "h"
    result = runner.invoke(cli.main, ["auth", "add", "ann", "--htpasswd", str(path), "--password-stdin"],
                           input="s3cret pass\n")
    assert result.exit_code == 0, result.stderr
    assert htpasswd.check_password(htpasswd.read_htpasswd(path)["ann"], "s3cret pass")
    result = runner.invoke(cli.main, ["auth", "add", "bob", "--htpasswd", str(path)], input="pw1\npw1\n")
    assert result.exit_code == 0 and "s3cret" not in result.output
    assert set(htpasswd.read_htpasswd(path)) == {"ann", "bob"}
    assert not any(o.name == "password" for o in cli.auth_add.params)
    result = runner.invoke(cli.main, ["auth", "remove", "ann", "--htpasswd", str(path)])
    assert result.exit_code == 0 and set(htpasswd.read_htpasswd(path)) == {"bob"}
    result = runner.invoke(cli.main, ["auth", "remove", "ann", "--htpasswd", str(path)])
    assert result.exit_code == cli.EXIT_USAGE and "no user 'ann'" in result.stderr


def test_group_makes_the_file_readable_by_the_web_server_and_is_kept(tmp_path):
    path = tmp_path / "h"
    result = CliRunner().invoke(cli.main, ["auth", "add", "ann", "--htpasswd", str(path), "--password-stdin",
                                           "--group", "www-data", "--cost", "8"], input="pw\n")
    assert result.exit_code == 0, result.stderr
    www_data = grp.getgrnam("www-data").gr_gid
    assert (stat.S_IMODE(path.stat().st_mode), path.stat().st_gid) == (0o640, www_data)
    htpasswd.add_user(path, "bob", "pw", cost=8)  # a later change keeps both
    assert (stat.S_IMODE(path.stat().st_mode), path.stat().st_gid) == (0o640, www_data)
    with pytest.raises(htpasswd.AuthError, match="no group"):
        htpasswd.add_user(path, "bob", "pw", cost=8, group="no-such-group-here")


def test_an_unwritable_place_is_one_line(tmp_path):
    (tmp_path / "file").write_text("")
    result = CliRunner().invoke(cli.main, ["auth", "add", "ann", "--htpasswd", str(tmp_path / "file" / "h"),
                                           "--password-stdin"], input="pw\n")
    assert result.exit_code == cli.EXIT_USAGE and result.stderr.startswith("reportgen: cannot write")
