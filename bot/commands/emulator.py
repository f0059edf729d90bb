"""`bot emulator`: run the local Telegram Bot API emulator until interrupted."""

from __future__ import annotations

import asyncio
import contextlib
import signal

import click

from bot.commands.common import UnusableInput, run_async


@click.command(name="emulator")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (keep it on loopback).",
)
@click.option(
    "--port",
    default=8081,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="TCP port to listen on (0 picks a free one).",
)
@click.option(
    "--seed",
    default=0,
    show_default=True,
    type=int,
    help="Seed of the fault injection, so faulty runs can be replayed.",
)
@click.option(
    "--no-limits",
    is_flag=True,
    help="Lift the flood limits (30/s, 1/s per chat, 20/min per group).",
)
def emulator(host: str, port: int, seed: int, no_limits: bool) -> None:
    """Run the local Telegram Bot API emulator.

    Point a bot at it with BOT_API_BASE=http://HOST:PORT and any token of Telegram's
    shape (digits:text). Script chats and users through the control API under /_emu/.
    """
    run_async(_serve(host, port, seed, no_limits))


async def _serve(host: str, port: int, seed: int, no_limits: bool) -> None:
    from bot.emulator.config import EmulatorConfig
    from bot.emulator.server import Emulator

    config = EmulatorConfig.unlimited() if no_limits else EmulatorConfig()
    config.host, config.port, config.seed = host, port, seed
    emu = Emulator(config)
    try:
        await emu.start()
    except OSError as exc:
        raise UnusableInput(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    click.echo(f"Telegram Bot API emulator listening on {emu.base_url}", err=True)
    click.echo(f"  bot:     BOT_API_BASE={emu.base_url} BOT_TOKEN=123456:TEST-token", err=True)
    click.echo(
        f"  control: {emu.base_url}/_emu/ (chats, updates, messages, stats, config)", err=True
    )
    try:
        await stop.wait()
    finally:
        await emu.stop()
        click.echo("emulator stopped", err=True)
