"""digest-bot: delivers the 嵌入式AI简报 (Embedded AI digest) to Telegram readers."""

__version__ = "0.1.0"
