"""Adapters to the outside world: SQLite, Stripe, the OS keyring."""
