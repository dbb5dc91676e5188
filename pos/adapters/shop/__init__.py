"""The shop database (PostgreSQL, or SQLite in a single-machine trial): tables, sync, shop reports."""
