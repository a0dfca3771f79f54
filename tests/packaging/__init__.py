"""Tests of setup.py and of a non-editable install."""
