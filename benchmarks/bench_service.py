"""An admin's latency while 64 clients send wrong secrets for a real token key (issue 15, finding 1).

Two servers run in the same session, each ``commonground.service.create_app`` under uvicorn on a SQLite file:

* **before** (the peer): tokens hashed with salted scrypt (n=2^14, r=8, as every token was before migration
  0002; such rows still verify) and no failed-authentication limit — the design the review measured;
* **after**: SHA-256 token hashes and the default limits (20 failures a minute per client address, 10 per
  key, a blocked client's further attempts answered 429 after a 1 s wait on the event loop).

For each: the median and 95th percentile of an admin's ``GET /api/runs`` from 127.0.0.1, first idle, then while
64 threads on 127.0.0.2 keep one wrong-secret request each in flight (the admin's own key, a wrong secret).
The figure is loaded / idle median latency (target: ≤ 2×).

    python benchmarks/bench_service.py [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from commonground.service.db import ApiToken, Database  # noqa: E402
from commonground.service.migrate import upgrade  # noqa: E402

ATTACKERS = 64
SERVER = """
import sys, uvicorn
from commonground.service import Settings, create_app
off = {"failed_auth_per_client": "1000000/second", "failed_auth_per_key": "1000000/second"}
kw = {} if sys.argv[3] == "after" else off
app = create_app(Settings(db_url=sys.argv[1], **kw))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def admin_token(db_url: str, scheme: str) -> str:
    """An admin token stored the way ``scheme`` stores it (scrypt rows as revision 0001 wrote them)."""
    db = Database(db_url)
    upgrade(db.engine)
    key, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    if scheme == "scrypt":
        salt = secrets.token_bytes(16)
        row = ApiToken(key=key, scheme="scrypt", salt=salt.hex(), role="admin", label="bench",
                       secret_hash=hashlib.scrypt(secret.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32).hex())
    else:
        row = ApiToken(key=key, scheme="sha256", salt=None, role="admin", label="bench",
                       secret_hash=hashlib.sha256(secret.encode()).hexdigest())
    with db.write() as s:
        s.add(row)
    db.dispose()
    return f"cg_{key}_{secret}"


def latencies(url: str, token: str, n: int) -> list[float]:
    out = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as c:
        for _ in range(n):
            t = time.perf_counter()
            r = c.get("/api/runs")
            out.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text
            time.sleep(0.05)
    return out


def attack(url: str, key: str, stop: threading.Event, counts: dict[int, int]) -> None:
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=url, transport=transport, timeout=120) as c:
        while not stop.is_set():
            try:
                r = c.get("/api/runs", headers={"Authorization": f"Bearer cg_{key}_{secrets.token_urlsafe(32)}"})
                counts[r.status_code] = counts.get(r.status_code, 0) + 1
            except httpx.HTTPError:
                counts[0] = counts.get(0, 0) + 1


def case(name: str, n: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="cg-bench-"))
    db_url = f"sqlite:///{tmp / 'bench.sqlite'}"
    token = admin_token(db_url, "scrypt" if name == "before" else "sha256")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-c", SERVER, db_url, str(port), name],
                            env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        latencies(url, token, 3)  # warm up (and, after, make 127.0.0.1 a known-good client of the key)
        idle = latencies(url, token, n)
        stop, counts = threading.Event(), {}
        threads = [threading.Thread(target=attack, args=(url, token[3:15], stop, counts)) for _ in range(ATTACKERS)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(3.0)  # let the flood build up (and, after, the limit engage)
        loaded = latencies(url, token, n)
        stop.set()
        for t in threads:
            t.join(timeout=180)
        seconds = time.monotonic() - t0
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    def p95(xs):
        return sorted(xs)[max(0, int(round(0.95 * len(xs))) - 1)]

    return {"case": name, "idle_median_ms": 1000 * statistics.median(idle), "idle_p95_ms": 1000 * p95(idle),
            "loaded_median_ms": 1000 * statistics.median(loaded), "loaded_p95_ms": 1000 * p95(loaded),
            "ratio": statistics.median(loaded) / statistics.median(idle),
            "bad_requests_per_s": sum(counts.values()) / seconds, "bad_status": counts}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10 admin requests per phase instead of 30")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    n = 10 if args.quick else 30
    rows = [case("before", n), case("after", n)]
    print(f"{'case':8} {'idle median':>12} {'idle p95':>9} {'loaded median':>14} {'loaded p95':>11} {'ratio':>7} "
          f"{'bad req/s':>10}  statuses")
    for r in rows:
        print(f"{r['case']:8} {r['idle_median_ms']:10.1f}ms {r['idle_p95_ms']:7.1f}ms {r['loaded_median_ms']:12.1f}ms "
              f"{r['loaded_p95_ms']:9.1f}ms {r['ratio']:6.1f}× {r['bad_requests_per_s']:10.1f}  {r['bad_status']}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
