"""A private, loopback-only postfix instance for the MTA round trip (Debian's postfix;
`apt-get install postfix`). Its own config directory, queue and log under a temporary
folder, started with ``postfix -c DIR start`` and always stopped by the fixture, so it
never touches the system's postfix. ``transport_maps`` route each test domain to a
server on 127.0.0.1; retries are fast so a DSN comes back in seconds."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# One service a line: name, type, private, unpriv, chroot, wakeup, maxproc, command.
_SERVICES = """\
{listen} inet n - n - - smtpd
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
"""


def postfix_missing() -> str | None:
    """Why the round trip cannot run here, or None."""
    if shutil.which("postfix") is None and not Path("/usr/sbin/postfix").exists():
        return "postfix is not installed (apt-get install postfix)"
    return None


class Postfix:
    def __init__(self, root: Path, port: int, transports: dict[str, str]) -> None:
        """``transports``: domain → ``host:port`` of the server that takes its mail."""
        self.root = root
        self.port = port
        self.config = root / "etc"
        self.log = root / "maillog"
        root.chmod(0o755)  # postfix's daemons run as the postfix user: they must get in
        self.config.mkdir(parents=True)
        (root / "queue").mkdir()
        (root / "data").mkdir()
        shutil.chown(root / "data", "postfix")
        routes = "".join(
            f"{d} smtp:[{h.split(':')[0]}]:{h.split(':')[1]}\n" for d, h in transports.items()
        )
        (self.config / "transport").write_text(routes)
        (self.config / "master.cf").write_text(_SERVICES.format(listen=f"127.0.0.1:{port}"))
        (self.config / "main.cf").write_text(
            f"""\
compatibility_level = 3.6
queue_directory = {root / "queue"}
data_directory = {root / "data"}
maillog_file = {self.log}
maillog_file_prefixes = {root}
myhostname = mta.roundtrip.test
mydomain = roundtrip.test
myorigin = roundtrip.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains = {", ".join(transports)}
transport_maps = texthash:{self.config / "transport"}
smtpd_relay_restrictions = permit_mynetworks, reject
smtp_dns_support_level = disabled
smtp_tls_security_level = none
smtpd_tls_security_level = none
alias_maps =
alias_database =
local_recipient_maps =
biff = no
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
bounce_queue_lifetime = 1m
maximal_queue_lifetime = 1m
"""
        )

    def _postfix(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["postfix", "-c", str(self.config), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    def start(self) -> None:
        done = self._postfix("start")
        if done.returncode != 0:
            raise RuntimeError(
                f"postfix did not start: {done.stderr or done.stdout}\n{self.logs()}"
            )

    def logs(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else "(no log)"

    def stop(self) -> None:
        self._postfix("stop")


@pytest.fixture
def postfix_root() -> Iterator[Path]:
    """A folder postfix's own user can enter (pytest's tmp_path is private to root).
    Skips only when postfix is absent; starting it needs root (as CI runs): deselect
    with ``-m "not postfix"`` elsewhere."""
    reason = postfix_missing()
    if reason is not None:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="digest-bot-postfix-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)
