"""A throwaway Dovecot IMAP server for the IMAP poller's tests (a real server over TCP).

Debian's `dovecot-imapd` is installed when missing (CI machines are fresh and run as root),
then one instance runs in the foreground from a config under a temporary folder, on a free
127.0.0.1 port, with one plaintext user: nothing of the system's own Dovecot is used.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.debian import ensure_package
from tools.embedded import free_port, wait_for_port

DOVECOT = "/usr/sbin/dovecot"
MAIL_USER = "nobody"  # owns the maildirs; Dovecot refuses to deliver as root


@dataclass(frozen=True)
class ImapServer:
    host: str
    port: int
    user: str
    password: str

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{self.password}@{self.host}:{self.port}/INBOX"


def ensure_dovecot_installed() -> None:
    ensure_package(
        "dovecot-imapd",
        lambda: Path(DOVECOT).exists() and Path("/usr/lib/dovecot/imap").exists(),
        timeout_s=600,
    )


def _config(root: Path, port: int, uid: int, gid: int) -> str:
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = {uid}
first_valid_gid = {gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
"""


@contextmanager
def dovecot_server() -> Iterator[ImapServer]:
    ensure_dovecot_installed()
    root = Path(tempfile.mkdtemp(prefix="hotro-dovecot-"))
    root.chmod(0o755)
    entry = pwd.getpwnam(MAIL_USER) if os.geteuid() == 0 else pwd.getpwuid(os.getuid())
    (root / "mail").mkdir()
    os.chown(root / "mail", entry.pw_uid, entry.pw_gid)
    server = ImapServer("127.0.0.1", free_port(), "hotrocntt", "mat-khau-thu")
    (root / "users").write_text(f"{server.user}:{{PLAIN}}{server.password}\n")
    conf = root / "dovecot.conf"
    conf.write_text(_config(root, server.port, entry.pw_uid, entry.pw_gid))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)],
        stdout=(root / "stdout.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(server.port, timeout_s=30)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)
