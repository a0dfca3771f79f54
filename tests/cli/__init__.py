"""Tests of the `greencert` command line (greencert_cli, engine/cli.py) and what a new user runs first."""
