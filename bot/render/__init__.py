"""Telegram rendering: digests, entries and search pages as Telegram HTML parts."""
