"""One module per group of CLI commands, imported lazily by bot.cli."""
