"""The shop's own concepts: money, catalog, cart, receipts. Plain Python: no Qt, no I/O."""
