"""Start-up time of the ``commonground`` command: ``--help`` and ``--version`` against Python itself.

Each command runs as a fresh process (what a user waits for). Peers in the same run: ``python -c pass`` (the
floor: the interpreter starting) and ``python -m pip --version`` (a familiar command-line tool). Also timed:
``python -c "import commonground.allocate"`` (what ``--help`` cost before the commands' imports were made lazy:
every command's stack, NumPy, pandas, Numba and the mechanisms, was imported at start). Best of N wall-clock
runs each; the target is ≤ 0.3 s for ``--help`` and ``--version``.

Run: ``.venv/bin/python benchmarks/bench_cli.py [--repeat 7]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def best_of(args: list[str], repeat: int) -> float:
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    py = sys.executable
    cases = {
        "python -c pass": [py, "-c", "pass"],
        "python -m pip --version": [py, "-m", "pip", "--version"],
        "commonground --version": [py, "-m", "commonground", "--version"],
        "commonground --help": [py, "-m", "commonground", "--help"],
        "import commonground.allocate (old start-up)": [py, "-c", "import commonground.allocate, "
                                                                  "commonground.measure"],
    }
    results = {name: best_of(cmd, args.repeat) for name, cmd in cases.items()}
    floor = results["python -c pass"]
    pip = results["python -m pip --version"]
    print(f"| command | best of {args.repeat} | × python -c pass | × pip --version |")
    print("|---|---:|---:|---:|")
    for name, t in results.items():
        print(f"| `{name}` | {t:.3f} s | {t / floor:.1f} | {t / pip:.2f} |")
    print(f"\nload average {os.getloadavg()[0]:.1f}; {'OK' if results['commonground --help'] <= 0.3 else 'SLOW'}: "
          f"--help {results['commonground --help']:.3f} s (target ≤ 0.3 s)")


if __name__ == "__main__":
    main()
