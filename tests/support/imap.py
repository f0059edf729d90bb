"""A tiny IMAP4rev1 server on 127.0.0.1 for the bounce-mailbox tests: the real protocol
over a socket, speaking the handful of commands `bot run`'s poller uses (CAPABILITY,
LOGIN, SELECT, UID SEARCH, UID FETCH BODY.PEEK[], UID STORE +FLAGS, EXPUNGE, NOOP,
LOGOUT) against an in-memory mailbox. ``commands`` records what clients sent (with
LOGIN's password blanked), ``messages`` maps UID → (flags, bytes)."""

from __future__ import annotations

import re
import shlex
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest


@dataclass
class Mailbox:
    user: str = "bounces"
    password: str = "imap-pw-secret-9"
    name: str = "INBOX"
    messages: dict[int, tuple[set[str], bytes]] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)
    next_uid: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, data: bytes, flags: tuple[str, ...] = ()) -> int:
        with self.lock:
            uid = self.next_uid
            self.next_uid += 1
            self.messages[uid] = (set(flags), data)
            return uid


class _Handler(socketserver.StreamRequestHandler):
    box: Mailbox

    def send(self, line: str | bytes) -> None:
        self.wfile.write(line if isinstance(line, bytes) else line.encode() + b"\r\n")

    def handle(self) -> None:
        self.send("* OK [CAPABILITY IMAP4rev1] test IMAP server ready")
        selected = False
        while True:
            raw = self.rfile.readline(65536)
            if not raw:
                return
            tag, _, rest = raw.decode().rstrip("\r\n").partition(" ")
            verb, _, args = rest.partition(" ")
            verb = verb.upper()
            box = self.box
            shown = f"{verb} {args}" if verb != "LOGIN" else "LOGIN ***"
            box.commands.append(shown.strip())
            if verb == "CAPABILITY":
                self.send("* CAPABILITY IMAP4rev1")
                self.send(f"{tag} OK CAPABILITY completed")
            elif verb == "NOOP":
                self.send(f"{tag} OK NOOP completed")
            elif verb == "LOGIN":
                user, password = shlex.split(args)
                if (user, password) == (box.user, box.password):
                    self.send(f"{tag} OK LOGIN completed")
                else:
                    self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")
            elif verb == "SELECT":
                if shlex.split(args)[0] != box.name:
                    self.send(f"{tag} NO no such mailbox")
                    continue
                selected = True
                self.send(f"* {len(box.messages)} EXISTS")
                self.send("* FLAGS (\\Seen \\Deleted)")
                self.send(f"{tag} OK [READ-WRITE] SELECT completed")
            elif verb == "UID" and selected:
                self._uid(tag, args)
            elif verb == "EXPUNGE" and selected:
                with box.lock:
                    gone = [u for u, (f, _) in box.messages.items() if "\\Deleted" in f]
                    for uid in gone:
                        del box.messages[uid]
                for _ in gone:
                    self.send("* 1 EXPUNGE")
                self.send(f"{tag} OK EXPUNGE completed")
            elif verb == "LOGOUT":
                self.send("* BYE logging out")
                self.send(f"{tag} OK LOGOUT completed")
                return
            else:
                self.send(f"{tag} BAD unknown command")

    def _uid(self, tag: str, args: str) -> None:
        box = self.box
        sub, _, rest = args.partition(" ")
        sub = sub.upper()
        if sub == "SEARCH":
            wanted = rest.upper().split()
            smaller = int(wanted[wanted.index("SMALLER") + 1]) if "SMALLER" in wanted else None
            with box.lock:
                found = [
                    str(uid)
                    for uid, (flags, data) in sorted(box.messages.items())
                    if not ("UNSEEN" in wanted and "\\Seen" in flags)
                    and not ("UNDELETED" in wanted and "\\Deleted" in flags)
                    and (smaller is None or len(data) < smaller)
                ]
            self.send("* SEARCH " + " ".join(found) if found else "* SEARCH")
            self.send(f"{tag} OK SEARCH completed")
        elif sub == "FETCH":
            uid = int(rest.split()[0])
            with box.lock:
                found = box.messages.get(uid)
            if found is not None:
                data = found[1]
                self.send(f"* 1 FETCH (UID {uid} BODY[] {{{len(data)}}}".encode() + b"\r\n")
                self.send(data + b")\r\n")
            self.send(f"{tag} OK FETCH completed")
        elif sub == "STORE":
            match = re.match(r"(\d+) \+FLAGS \((.*)\)", rest)
            assert match, rest
            uid = int(match.group(1))
            with box.lock:
                if uid in box.messages:
                    box.messages[uid][0].update(match.group(2).split())
                    flags = " ".join(sorted(box.messages[uid][0]))
                    self.send(f"* 1 FETCH (UID {uid} FLAGS ({flags}))")
            self.send(f"{tag} OK STORE completed")
        else:
            self.send(f"{tag} BAD unknown UID command")


class ImapServer:
    def __init__(self, box: Mailbox) -> None:
        handler = type("Handler", (_Handler,), {"box": box})
        self.box = box
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, password: str | None = None) -> str:
        pw = self.box.password if password is None else password
        return f"imap://{self.box.user}:{pw}@127.0.0.1:{self.port}/{self.box.name}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def imap_server() -> Iterator[ImapServer]:
    server = ImapServer(Mailbox())
    yield server
    server.close()
