"""`bot demo`: the whole bot end to end on an in-process emulator — no token, no network."""
