"""Load benchmark of ``polyvox serve``: requests per second and p50 / p99 latency at 1, 4 and 16 clients.

Starts ``polyvox serve`` on loopback in a subprocess, warms the voice up, then for each concurrency
runs that many httpx clients, each sending requests one after another until the level's request
count is reached (clients x --requests-per-client, at least 12), or its time budget runs out:
nothing new is sent after it. Every non-200
answer or transport error counts as a failure. Prints a table with ratios against one client and
writes JSON to benchmarks/results/server_load.json.

    python benchmarks/server_load.py                  # default voice, 1 / 4 / 16 clients
    python benchmarks/server_load.py --quick          # fewer requests, for a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import numpy as np

from polyvox.cli_support import DEFAULT_VOICE
from polyvox.files import atomic_path

RESULTS = Path(__file__).parent / "results" / "server_load.json"
SERVER_LOG = RESULTS.with_suffix(".log")
TEXT = "The quick brown fox jumps over the lazy dog."
START_TIMEOUT_S = 120.0
# Fewest requests timed at a level, so that one client's percentiles rest on more than a few samples.
MIN_REQUESTS = 12


@dataclass(frozen=True)
class LevelResult:
    clients: int
    requests: int
    failures: int
    wall_s: float
    requests_per_s: float
    p50_latency_s: float
    p99_latency_s: float
    audio_s_per_wall_s: float


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, voice: Path, max_concurrent: int, max_queued: int, timeout_s: float, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "polyvox.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
        "--default-voice", str(voice), "--max-concurrent", str(max_concurrent), "--max-queued", str(max_queued),
        "--timeout", str(timeout_s),
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as log_file:
        return subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)


def wait_until_ready(server: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited:\n{log.read_text(encoding='utf-8', errors='replace')}")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise SystemExit(f"the server did not answer /health within {START_TIMEOUT_S:g} s")


async def run_level(
    base_url: str, clients: int, total: int, budget_s: float, body: dict[str, object], sample_rate: int,
) -> LevelResult:
    latencies: list[float] = []
    failures = 0
    audio_bytes = 0
    remaining = total
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal remaining, failures, audio_bytes
        while remaining > 0 and loop.time() - start < budget_s:
            remaining -= 1
            sent = loop.time()
            try:
                response = await client.post("/v1/audio/speech", json=body)
                ok = response.status_code == 200
                audio_bytes += len(response.content) if ok else 0
            except httpx.HTTPError:
                ok = False
            latencies.append(loop.time() - sent)
            failures += 0 if ok else 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=budget_s, limits=limits) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
    wall = loop.time() - start
    done = len(latencies)
    return LevelResult(
        clients=clients, requests=done, failures=failures, wall_s=round(wall, 3),
        requests_per_s=round(done / wall, 3),
        p50_latency_s=round(float(np.percentile(latencies, 50)), 3),
        p99_latency_s=round(float(np.percentile(latencies, 99)), 3),
        audio_s_per_wall_s=round(audio_bytes / 2 / sample_rate / wall, 3),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voice", type=Path, default=DEFAULT_VOICE)
    parser.add_argument("--text", default=TEXT, help="What every request speaks.")
    parser.add_argument("--clients", default="1,4,16", help="Comma-separated concurrency levels.")
    parser.add_argument("--requests-per-client", type=int, default=3)
    parser.add_argument("--budget-s", type=float, default=180.0, help="Time budget per level; no request is sent after it.")
    parser.add_argument("--max-concurrent", type=int, default=2, help="The server's --max-concurrent.")
    parser.add_argument("--quick", action="store_true", help="One request per client.")
    args = parser.parse_args()
    levels = [int(level) for level in args.clients.split(",")]
    per_client = 1 if args.quick else args.requests_per_client
    # pcm at the voice's own rate: the body is the audio, so audio seconds follow from its size.
    sample_rate = 22050
    body = {"model": "tts-1", "input": args.text, "voice": "default", "response_format": "pcm", "sample_rate": sample_rate, "seed": 1}

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = start_server(port, args.voice, args.max_concurrent, max(levels) * 2, args.budget_s, SERVER_LOG)
    try:
        wait_until_ready(server, base_url, SERVER_LOG)
        warm = httpx.post(f"{base_url}/v1/audio/speech", json=body, timeout=args.budget_s)  # loads the voice
        if warm.status_code != 200:
            raise SystemExit(f"warm-up request failed: {warm.status_code} {warm.text}")
        # Concurrent warm-up: every voice replica (one per --max-concurrent) is built before timing.
        asyncio.run(run_level(base_url, args.max_concurrent, 2 * args.max_concurrent, args.budget_s, body, sample_rate))
        results = [
            asyncio.run(run_level(base_url, level, max(level * per_client, MIN_REQUESTS), args.budget_s, body, sample_rate))
            for level in levels
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)

    base = results[0]
    print(f"server load on loopback, voice {args.voice.name}, server --max-concurrent {args.max_concurrent}, {os.cpu_count()} CPUs")
    print(
        f"{'clients':>7} {'requests':>8} {'failed':>6} {'req/s':>7} {'p50 s':>7} {'p99 s':>7} {'audio s/s':>9} "
        f"{'req/s vs 1':>10} {'p50 vs 1':>8}"
    )
    for result in results:
        print(
            f"{result.clients:>7} {result.requests:>8} {result.failures:>6} {result.requests_per_s:>7.2f} "
            f"{result.p50_latency_s:>7.2f} {result.p99_latency_s:>7.2f} {result.audio_s_per_wall_s:>9.2f} "
            f"{result.requests_per_s / base.requests_per_s:>10.2f} {result.p50_latency_s / base.p50_latency_s:>8.2f}"
        )
    report = {
        "benchmark": "server_load",
        "voice": str(args.voice),
        "text": args.text,
        "server_max_concurrent": args.max_concurrent,
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "levels": [asdict(result) for result in results],
    }
    with atomic_path(RESULTS) as temporary:
        temporary.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
