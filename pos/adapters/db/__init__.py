"""The till's SQLite database: schema, catalog, settings and the payment journal."""
