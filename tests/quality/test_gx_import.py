"""great-expectations is imported without scipy.stats, which only expectations the suites do not
use need: the module is loaded when first used, whole."""

from __future__ import annotations

import subprocess
import sys

# In a fresh interpreter: import GX the way the runner does, check scipy.stats is deferred, then
# use it as GX's distribution expectations do.
SCRIPT = """
import sys
from orchestration.quality.gx_runner import import_great_expectations

gx = import_great_expectations()
assert gx.ExpectationSuite is not None
stats = sys.modules["scipy.stats"]
print(type(stats).__name__)
from great_expectations.expectations.core import expect_column_kl_divergence_to_be_less_than as kl
print(kl.stats.norm.cdf(0.0))
print(type(sys.modules["scipy.stats"]).__name__)
"""


def test_scipy_stats_is_loaded_only_when_an_expectation_uses_it() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    # Python 3.11's LazyLoader: the module is a `_LazyModule` until first read, then a module.
    assert done.stdout.split() == ["_LazyModule", "0.5", "module"]


def test_it_changes_nothing_once_great_expectations_is_imported() -> None:
    script = (
        "import great_expectations, sys\n"
        "from orchestration.quality.gx_runner import import_great_expectations\n"
        "import_great_expectations()\n"
        "print(type(sys.modules['scipy.stats']).__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "module"
