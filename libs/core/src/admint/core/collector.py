"""Keep CPython's cyclic collector's full passes off the hot path of a long-lived process (a worker, the gateway).

Measured in the workers (overhead bench, gc callbacks): a full collection took 200–320 ms on this machine kind and
a middle one up to 15 ms, because each scanned everything the process loaded at start-up — the modules, the
pydantic models and their validators, FastStream's and PyMongo's machinery. Every event taken off the bus during
such a pause waited it out; in the gateway, every SSE watcher's next event did. Those objects live as long as the
process: frozen after start-up, no collection scans them again, and a full pass runs after 100 middle ones
instead of 10. Young objects are collected as usual, and anything freed by reference counting still is.
"""

import gc

GC_THRESHOLDS = (700, 10, 100)
"""CPython's defaults but the third: a full collection after 100 middle ones, not 10."""


def quiet_collector() -> None:
    """Collect once, freeze what survives (the start-up heap), and space out the full passes. Call it once per
    process when start-up is done, never in a test process that starts and stops services over and over (a
    frozen object's cycles are never collected)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
