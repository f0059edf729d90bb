"""The e-mail channel's core: addresses, tokens, messages, DKIM, SMTP, bounces.

Sits between ``bot.delivery`` and ``bot.render`` in the layers: it renders with
``bot.render`` and never imports the store, the sender or Telegram (the outbox
channel, the subscriber rows and the web pages use it from above).
"""
