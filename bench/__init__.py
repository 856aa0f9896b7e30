"""Benchmarks: each module's `run()` returns figure lines; none passes or fails on time."""
