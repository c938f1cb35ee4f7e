"""Prefect orchestration of the supplier audit: thin flows over the library."""
