"""The shop database (PostgreSQL, or SQLite in a single-machine trial): tables, sync, shop reports."""

# Where a till finds the shop database's address when --shop-db is not given. Here, not in connect.py,
# so a command that only reads the address (`pos report`, pos/reading.py) imports nothing of the link.
SHOP_DB_ENV = "POS_SHOP_DB"
