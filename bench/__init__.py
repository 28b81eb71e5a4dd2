"""Benchmarks: run by hand or with `make bench`; they print figures and ratios, they do not assert."""
