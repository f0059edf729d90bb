"""BOT_MAIL_DOMAIN_RATES: mails to a limited recipient domain are spaced at its rate
while other domains' mails are not held back (observed at a real SMTP server on
127.0.0.1 by the times it accepted each message); a malformed value is one sentence."""

from __future__ import annotations

from itertools import pairwise

import pytest

from bot.config import SettingsError, load_settings
from bot.delivery.email_sender import EmailOptions
from bot.mail.mailer import Mailer
from tests.support.smtp import Sink
from tests.support.smtp_outbox import MailRig, mail_settings
from tests.support.store import make_entry, make_issue

ISSUE = make_issue("2026-12-01", make_entry("ncnn 推理加速三倍", url="https://example.org/ncnn"))
SLOW_RATE = 5.0  # messages per second to slow.example


def arrivals(sink: Sink, domain: str) -> list[float]:
    return sorted(r.at for r in sink.handler.received if r.rcpt_tos[0].endswith("@" + domain))


async def test_a_limited_domain_is_spaced_at_its_rate_and_others_are_not(
    mail_rig: MailRig, smtp_sink: Sink
) -> None:
    settings = mail_settings(smtp_sink, mail_domain_rates=f"Slow.Example={SLOW_RATE:g}")
    mailer = Mailer.from_settings(settings, pool_size=2)
    mail_rig.mailer = mailer
    for i in range(4):
        await mail_rig.subscriber(f"s{i}@slow.example")
        await mail_rig.subscriber(f"f{i}@fast.example")
    await mail_rig.publish(ISSUE)
    try:
        while await mail_rig.sender(EmailOptions(workers=4)).send_due():
            pass
    finally:
        await mailer.close()
    slow, fast = arrivals(smtp_sink, "slow.example"), arrivals(smtp_sink, "fast.example")
    assert len(slow) == 4 and len(fast) == 4
    interval = 1 / SLOW_RATE
    slow_gaps = [b - a for a, b in pairwise(slow)]
    # never faster than the domain's rate (lower bounds only, generous: a message's own
    # transit, the first one's connection included, may shorten the gap it closes)
    assert slow[-1] - slow[0] >= 0.7 * 3 * interval, slow_gaps
    assert min(slow_gaps) >= 0.5 * interval, slow_gaps
    # the other domain's mails did not queue behind the slow one: all of them were in
    # before the slow domain's last one, which its rate holds back by 3 intervals
    assert fast[-1] < slow[-1], (fast, slow)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("gmail.com", "domain=rate pairs"),
        ("gmail.com=fast", "domain=rate pairs"),
        ("gmail.com=0", "domain=rate pairs"),
        ("not a domain=5", "domain=rate pairs"),
        ("gmail.com=5,GMAIL.com=2", "names gmail.com twice"),
    ],
)
def test_a_malformed_domain_rates_setting_is_one_sentence(value: str, said: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(mail_domain_rates=value, _env_file=None)
    message = str(caught.value)
    assert message.startswith("invalid setting BOT_MAIL_DOMAIN_RATES:") and said in message
    assert "\n" not in message


def test_domain_rates_are_read_per_domain() -> None:
    settings = load_settings(mail_domain_rates=" gmail.com=5, qq.com=2.5 ,", _env_file=None)
    assert settings.mail_domain_rate_map() == {"gmail.com": 5.0, "qq.com": 2.5}
    assert load_settings(_env_file=None).mail_domain_rate_map() == {}
