"""How both services run under uvicorn: its event loop and HTTP parser named by the settings
(not uvicorn's "auto", whatever happens to be installed), and a shutdown that answers the
requests it already accepted.

``semantik serve`` runs :class:`Server` (one process) or gunicorn with :class:`Worker`
(``SEMANTIK_WORKERS`` > 1: ``gunicorn --worker-class semantik.shared.server.Worker``).
"""

from __future__ import annotations

import asyncio
import socket
import sys
import warnings
from typing import Any

import uvicorn
from gunicorn.arbiter import Arbiter

from semantik.shared.settings import Settings

with warnings.catch_warnings():
    # uvicorn points at the separate uvicorn-worker package; its own worker class still works.
    warnings.simplefilter("ignore", DeprecationWarning)
    from uvicorn.workers import UvicornWorker

# Long enough for the event loop to read what accepted connections already hold.
_DRAIN_SECONDS = 0.05


def protocol_options(settings: Settings) -> dict[str, str]:
    return {"loop": settings.server_loop, "http": settings.server_http}


class Server(uvicorn.Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn closes at once every connection whose request it has not parsed yet: one it
        # accepted a moment ago still holds its request unread, and closing it resets the client
        # (a failed request during a restart, test_serve_socket.py). Stop accepting first (later
        # connections wait in the socket's backlog for the next process), let the loop read what
        # has arrived, so those requests are answered before the process exits.
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        await asyncio.sleep(_DRAIN_SECONDS)
        await super().shutdown()


class Worker(UvicornWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.CONFIG_KWARGS = protocol_options(Settings())
        super().__init__(*args, **kwargs)

    async def _serve(self) -> None:  # UvicornWorker._serve, with this module's Server
        self.config.app = self.wsgi
        server = Server(config=self.config)
        self._install_sigquit_handler()
        await server.serve(sockets=self.sockets)
        if not server.started:
            sys.exit(Arbiter.WORKER_BOOT_ERROR)
