"""Pure text helpers shared by the store, search and topics: normalization and index tokens."""
