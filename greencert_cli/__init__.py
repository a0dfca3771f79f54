"""The `greencert` command: composes the engine's, the service's and the BDD kit's commands.

It sits above `engine`, `api` and `engine.bdd` (the import-linter contracts in pyproject.toml keep it there) and
imports a command's implementation only when that command runs, so that `greencert --help` starts in about the
time of the bare interpreter and `greencert check` never imports the web service."""

from .main import COMMANDS, build_parser, main

__all__ = ["COMMANDS", "build_parser", "main"]
