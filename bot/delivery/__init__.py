"""The outbox and the sender: enqueue rendered digests, deliver them within Telegram's limits.

Only ``bot.delivery.sender``, ``bot.delivery.errors`` and ``bot.delivery.client`` import
aiogram; enqueueing (``bot publish`` without ``--send``) does not.
"""
