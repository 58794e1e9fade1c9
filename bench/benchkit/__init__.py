"""Shared pieces of the performance benchmarks (bench/*.py): a fresh stack, per-process CPU, a generation's
events and the services' delivery logs, the critical path through them, and the result rows `make bench`
prints as one table. Benchmarks measure; they never assert timings (tests do not either)."""
