"""Tests of the HTTP service (api/), against SQLite and PostgreSQL."""
