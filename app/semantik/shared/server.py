"""gunicorn's worker for both services (SEMANTIK_WORKERS > 1): uvicorn's, with the event loop
and HTTP parser the settings name instead of uvicorn's "auto" (whatever happens to be installed).

    gunicorn --worker-class semantik.shared.server.Worker ...
"""

from __future__ import annotations

import warnings
from typing import Any

from semantik.shared.settings import Settings

with warnings.catch_warnings():
    # uvicorn points at the separate uvicorn-worker package; its own worker class still works.
    warnings.simplefilter("ignore", DeprecationWarning)
    from uvicorn.workers import UvicornWorker


class Worker(UvicornWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        settings = Settings()
        self.CONFIG_KWARGS = {"loop": settings.server_loop, "http": settings.server_http}
        super().__init__(*args, **kwargs)
