"""Pickled size of each cached value of the Variants page at the largest shape its controls allow: the bounds
behind the page's st.cache_data max_entries. `python scripts/measure_variants.py`.

Its latency and section switches are measured with the other pages' by scripts/benchmark.py (--pages --tabs).
"""

from __future__ import annotations

import pathlib
import pickle
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from charts import variants as charts  # noqa: E402
from lessons import affine, renorm, variants  # noqa: E402


def cache_entry_sizes() -> None:
    """Pickled size of each cached function's value on the Variants page at the largest shape the controls allow."""
    largest = (8, 12, 16)
    lesson = variants.same_data(largest, 12)
    spreads = variants.batch_size_sensitivity(12, 16, 12, trials=32)
    summary, result, running = renorm.renorm_summary(3.0, 5.0), renorm.ghost_experiment(), renorm.ghost_running(2)
    entries = {
        "sharing_view": (charts.sharing_spec(largest, 12, (0, 0, 0), variants.sharing_titles(largest, 12)),
                         variants.facts_table(largest, 12)),
        "same_data_view": (lesson, *charts.same_data_specs(lesson.x, lesson.outputs)),
        "beyond_view": affine.beyond_the_statistics(largest),
        "sensitivity_view": (charts.sensitivity_spec(variants.BATCH_SIZES, spreads),
                             variants.sensitivity_table(spreads)),
        "renorm_view": (charts.renorm_spec(summary.curves), summary),
        "ghost_result": result,
        "ghost_view": (*charts.ghost_specs(result, running, 2), result, running),
    }
    for name, value in entries.items():
        print(f"{name}: {len(pickle.dumps(value)) / 1024:.1f} KB an entry")


if __name__ == "__main__":
    cache_entry_sizes()
