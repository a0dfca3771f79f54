"""Tests of benchmarks/: the peers compare like with like; BENCHMARKS.md is rendered from saved figures."""
