"""The DuckDB state file: where it lives, how it is opened, and its schema migrations."""
