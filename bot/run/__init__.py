"""`bot run`: the daemon — lease, scheduler, sender, updates, health endpoint."""
