"""webui and the CLI must stay light: the model lives in vecpipe only."""

from __future__ import annotations

import subprocess
import sys


def test_webui_and_cli_do_not_import_torch():
    code = (
        "import sys, semantik.webui.app, semantik.cli, semantik.webui.indexer\n"
        "heavy = sorted(m for m in ('torch', 'sentence_transformers', 'transformers', "
        "'qdrant_edge', 'qdrant_client') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
