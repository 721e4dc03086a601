"""Import cost of tl_helpers, measured with ``python -X importtime`` (5 fresh interpreters).

    python bench/import_time.py

Prints the median cumulative import time of ``tl_helpers`` and whether TensorFlow or Keras was
imported (it must not be, until a function needs it); writes bench/results/import_time.json.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure() -> dict:
    runs, heavy = [], set()
    for _ in range(5):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c",
             "import tl_helpers, tl_helpers.grading.kernel"],
            capture_output=True, text=True, cwd=ROOT, check=True)
        lines = [ln.split("|") for ln in proc.stderr.splitlines() if ln.startswith("import time:")]
        for parts in lines:
            name = parts[-1].strip()
            if name.split(".")[0] in ("tensorflow", "keras"):
                heavy.add(name.split(".")[0])
        cumulative = {parts[-1].strip(): int(parts[1]) for parts in lines[1:] if len(parts) == 3}
        runs.append(cumulative.get("tl_helpers", 0) / 1000)
    return {"tl_helpers_import_ms_median": round(statistics.median(runs), 1),
            "imports_tensorflow_or_keras": sorted(heavy)}


def main() -> int:
    result = measure()
    print(f"import tl_helpers: {result['tl_helpers_import_ms_median']} ms (median of 5); "
          f"TensorFlow/Keras imported: {result['imports_tensorflow_or_keras'] or 'no'}")
    out = ROOT / "bench" / "results" / "import_time.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
