"""The IMAP bounce poller against a real IMAP4rev1 server on 127.0.0.1 (tests/support/imap):
a report is deleted only after it was recorded, a failed record leaves it for the next
poll, other mail is left for a person, and the password never shows."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bot.mail.bounces import Bounce
from bot.mail.imap import ImapError, ImapPoller, ImapUrl
from bot.mail.tokens import Tokens
from tests.support.bounces import dsn
from tests.support.imap import ImapServer

TOKENS = Tokens(SecretStr("a-test-secret-of-enough-length"))


class Recorder:
    def __init__(self) -> None:
        self.got: list[Bounce] = []
        self.fail = False

    async def __call__(self, bounce: Bounce) -> None:
        if self.fail:
            raise OSError("database is locked")
        self.got.append(bounce)


async def test_report_is_deleted_only_after_it_was_recorded(imap_server: ImapServer) -> None:
    _, report = dsn(TOKENS, 7, "gone@example.com")
    uid = imap_server.box.add(report)
    other = imap_server.box.add(b"Subject: hello\r\n\r\nnot a bounce\r\n")
    huge = imap_server.box.add(b"Subject: huge\r\n\r\n" + b"x" * (5 * 1024 * 1024))
    recorder = Recorder()
    poller = ImapPoller(ImapUrl.parse(imap_server.url()), TOKENS, recorder)

    recorder.fail = True
    failed = await poller.poll_once()
    assert (failed.recorded, failed.failed, failed.ignored) == (0, 1, 1)
    flags, _ = imap_server.box.messages[uid]
    assert flags == set()  # still unseen, not deleted: read again next time

    recorder.fail = False
    done = await poller.poll_once()
    assert (done.recorded, done.failed, done.ignored) == (1, 0, 0)
    assert [(b.kind, b.subscriber_id, b.status) for b in recorder.got] == [("hard", 7, "5.1.1")]
    assert list(imap_server.box.messages) == [other, huge]  # expunged; the others kept
    assert imap_server.box.messages[other][0] == {"\\Seen"}
    assert imap_server.box.messages[huge][0] == set()  # over 5 MB: never even fetched
    assert "UID FETCH 3 (BODY.PEEK[])" not in imap_server.box.commands
    assert "UID FETCH 1 (BODY.PEEK[])" in imap_server.box.commands


async def test_refused_login_and_missing_mailbox_say_so_without_the_password(
    imap_server: ImapServer,
) -> None:
    wrong = ImapUrl.parse(imap_server.url(password="wrong-pw-secret-3"))
    with pytest.raises(ImapError) as refused:
        await ImapPoller(wrong, TOKENS, Recorder()).poll_once()
    assert "refused the login of bounces" in str(refused.value)
    assert "wrong-pw-secret-3" not in str(refused.value)
    assert "LOGIN ***" in imap_server.box.commands

    elsewhere = ImapUrl.parse(imap_server.url().replace("/INBOX", "/Bounces"))
    with pytest.raises(ImapError, match="no mailbox 'Bounces'"):
        await ImapPoller(elsewhere, TOKENS, Recorder()).poll_once()


def test_url_parsing_and_secrecy() -> None:
    url = ImapUrl.parse("imaps://bounce%40example.org:p%40ss-secret@imap.example.org")
    assert (url.host, url.port, url.tls, url.user, url.mailbox) == (
        "imap.example.org",
        993,
        True,
        "bounce@example.org",
        "INBOX",
    )
    assert url.password.get_secret_value() == "p@ss-secret"
    assert "p@ss-secret" not in repr(url) and "p@ss-secret" not in url.shown
    assert ImapUrl.parse("imap://u:p@localhost/Bounces").port == 143
    for bad in ("http://u:p@host/INBOX", "imaps://host/INBOX", "imaps://u:p@host:99999/"):
        with pytest.raises(ImapError):
            ImapUrl.parse(bad)
