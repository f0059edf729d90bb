"""Text normalization, query parsing and topic matching shared by search and delivery."""
