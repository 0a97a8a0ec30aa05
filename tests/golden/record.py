"""Record the golden outputs: ``PYTHONPATH=src python tests/golden/record.py`` from the repository root.

Only after a change that is meant to alter results; say in the commit message which results changed and why.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from produce import FILES, KEEP_WHOLE, MANIFEST, PRODUCERS, digest  # noqa: E402

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def main() -> None:
    manifest: dict[str, dict[str, str]] = {}
    shutil.rmtree(FILES, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        for group, produce in PRODUCERS.items():
            outputs = produce(Path(tmp) / group, SHARED_DATA)
            manifest[group] = {name: digest(data) for name, data in sorted(outputs.items())}
            for name, data in outputs.items():
                if len(data) <= KEEP_WHOLE:
                    (FILES / name).parent.mkdir(parents=True, exist_ok=True)
                    (FILES / name).write_bytes(data)
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {MANIFEST} ({sum(map(len, manifest.values()))} files)")


if __name__ == "__main__":
    main()
