"""Ingest: find, read, type and check the merchant's input tables; quarantine bad rows."""
