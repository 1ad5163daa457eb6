"""Running the API: one uvicorn process, or several sharing the port (SO_REUSEPORT).

Several processes each bind their own listening socket with ``SO_REUSEPORT`` and the kernel
spreads connections between them. The socket is created with ``IPPROTO_TCP`` on purpose:
asyncio turns on ``TCP_NODELAY`` only for sockets whose protocol says TCP, and without it
every small response waits ~40 ms on delayed ACKs (uvicorn's own ``--workers`` hits this).

Forwarded headers (``X-Forwarded-For``, ``X-Forwarded-Proto``) are believed only from the
proxies named in ``DATAFAB_TRUSTED_PROXIES``; with none named they are ignored, so nobody can
pick the address login throttling counts them under.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import socket

import uvicorn

FACTORY = "datafab.api.app:app_from_environment"


def _config(host: str, port: int, trusted_proxies: str = "") -> uvicorn.Config:
    return uvicorn.Config(
        FACTORY, factory=True, host=host, port=port, log_level="warning", access_log=False,
        proxy_headers=bool(trusted_proxies), forwarded_allow_ips=trusted_proxies or "",
    )


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _worker(host: str, port: int, trusted_proxies: str) -> None:
    uvicorn.Server(_config(host, port, trusted_proxies)).run(sockets=[_listen(host, port)])


def serve(host: str, port: int, workers: int = 1, trusted_proxies: str = "") -> None:
    if workers <= 1:
        uvicorn.Server(_config(host, port, trusted_proxies)).run()
        return
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(host, port, trusted_proxies), daemon=False)
             for _ in range(workers)]
    for proc in procs:
        proc.start()

    def stop(*_: object) -> None:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for proc in procs:
        proc.join()
