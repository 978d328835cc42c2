"""The cyclic garbage collector, paused while a gate reads, judges and reports.

Reading a million testcases allocates millions of short-lived containers (elements, events,
identities) that reference counting frees at once, and folding keeps up to 100,000 long-lived
objects (the folded tests, their records) that form no reference cycle. The collector cannot
know that: on the heavy bench file (bench/README.md) it ran about 480 times, three of them full
passes over every folded test, 0.35-0.45 s in all (measured with `gc.callbacks`). Paused,
nothing is left to it: nothing in the reader, the policy or the reports makes a cycle, so peak
memory stays the same (within 1-2 MiB, the same bench), and cycles made anyway are collected
once it runs again.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block; the collector's earlier state after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
