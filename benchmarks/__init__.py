"""Benchmarks (run as scripts); a package so that tests import `benchmarks.workload` and `benchmarks.run_all`."""
