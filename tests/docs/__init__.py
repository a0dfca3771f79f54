"""Tests that the README and the shipped examples say what the code does."""
