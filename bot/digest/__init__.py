"""The digest model, parser and lint: pure functions, no I/O."""
