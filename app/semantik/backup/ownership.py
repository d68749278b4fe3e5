"""Files root touches in the services' data must stay the services' own.

Backups and restores run as root; SQLite (even read-only, on a WAL database) and qdrant-edge may
create files (webui.db-wal/-shm, WAL segments) that the semantik user could then not write.
"""

from __future__ import annotations

import os
from pathlib import Path


def match_owner(paths: list[Path], reference: Path) -> None:
    """Give every existing path (directories recursively) reference's owner and group."""
    if os.geteuid() != 0 or not reference.exists():
        return
    ref = reference.stat()
    for path in paths:
        if not path.exists():
            continue
        todo = [path, *path.rglob("*")] if path.is_dir() else [path]
        for item in todo:
            st = item.lstat()
            if (st.st_uid, st.st_gid) != (ref.st_uid, ref.st_gid):
                os.chown(item, ref.st_uid, ref.st_gid, follow_symlinks=False)
