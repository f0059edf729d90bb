"""Bounce reports for tests: an RFC 3464 DSN (postfix's layout) or an ARF complaint
about one of our mails to a subscriber, addressed to its VERP envelope sender."""

from __future__ import annotations

from bot.mail.tokens import Tokens


def dsn(
    tokens: Tokens,
    subscriber_id: int,
    recipient: str,
    *,
    status: str = "5.1.1",
    action: str = "failed",
    message_id: str = "<digest.2021-01-05.1@example.org>",
    domain: str = "example.org",
) -> tuple[str, bytes]:
    """(the VERP address, the report's bytes)."""
    verp = tokens.verp_address(subscriber_id, domain)
    code = "550" if status.startswith("5") else "451"
    text = (
        "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\n"
        f"To: {verp}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Date: Tue, 5 Jan 2021 08:00:03 +0000\r\n"
        f"Message-Id: <dsn.{subscriber_id}.{status}@mx.example.net>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n"
        "--B\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n"
        "\r\n"
        "--B\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n"
        f"X-Postfix-Sender: rfc822; {verp}\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        f"Diagnostic-Code: smtp; {code} {status} <{recipient}>: Recipient address rejected\r\n"
        "\r\n"
        "--B\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        "From: digest@example.org\r\n"
        f"To: {recipient}\r\n"
        f"Message-ID: {message_id}\r\n"
        "Subject: digest\r\n"
        "\r\n"
        "--B--\r\n"
    )
    return verp, text.encode("ascii")


def complaint(tokens: Tokens, subscriber_id: int, recipient: str) -> tuple[str, bytes]:
    """An ARF (RFC 5965) abuse report about our mail to ``recipient``."""
    verp = tokens.verp_address(subscriber_id, "example.org")
    text = (
        "From: fbl@isp.example.net\r\n"
        f"To: {verp}\r\n"
        "Subject: complaint\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="A"\r\n'
        "\r\n"
        "--A\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "This is an abuse report.\r\n"
        "--A\r\n"
        "Content-Type: message/feedback-report\r\n"
        "\r\n"
        "Feedback-Type: abuse\r\n"
        "Version: 1\r\n"
        f"Original-Rcpt-To: {recipient}\r\n"
        "\r\n"
        "--A\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        "From: digest@example.org\r\n"
        f"To: {recipient}\r\n"
        f"Return-Path: <{verp}>\r\n"
        "Message-ID: <digest.2021-01-05.9@example.org>\r\n"
        "\r\n"
        "--A--\r\n"
    )
    return verp, text.encode("ascii")
