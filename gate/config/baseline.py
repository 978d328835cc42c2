"""`[baseline]`: how a run is judged against an earlier one (`--baseline DIR`, docs/baseline.md).

```toml
[baseline]
known_failures = "block"   # tests failing now and in the baseline: "block" | "warn"
missing_tests = "warn"     # tests in the baseline that did not run now: "warn" | "block"
alpha = 0.01               # significance level of the one-sided Mann-Whitney U and error tests
min_increase = 0.2         # a latency regression is at least +20 % on p50 or p95 ...
min_increase_ms = 5.0      # ... and at least +5 ms there (both must hold)
error_rate_increase = 0.005  # an error-rate regression is at least +0.5 percentage points
min_samples = 50           # fewer requests on either side: that endpoint is not compared
max_load_ratio = 2.0       # rate or duration further apart than this factor: not comparable
```

Why both floors: with thousands of samples the test flags a 1 % shift, so significance alone
would block on noise; +20 % scales with the endpoint, and +5 ms keeps sub-millisecond jitter of
a fast endpoint (0.8 -> 1.1 ms is +37 %) from counting. p50 catches a shifted bulk, p95 a
slower tail that most users will still feel.
"""

from typing import Literal

from pydantic import Field

from gate.config.base import Section


class BaselineConfig(Section):
    known_failures: Literal["block", "warn"] = "block"
    missing_tests: Literal["warn", "block"] = "warn"
    alpha: float = Field(default=0.01, gt=0, lt=0.5)
    min_increase: float = Field(default=0.2, ge=0)
    min_increase_ms: float = Field(default=5.0, ge=0)
    error_rate_increase: float = Field(default=0.005, ge=0, le=1)
    min_samples: int = Field(default=50, ge=1)
    max_load_ratio: float = Field(default=2.0, ge=1)
