"""The proxy compresses the frontend's static assets and nothing else (BREACH: no gzip where a
token and reflected input could share a body), rendered from the real role."""

import re

import pytest

from tests.roles.local_ansible import PLAYBOOK, REPO
from tests.roles.test_frontdoor_render import render

pytestmark = pytest.mark.skipif(PLAYBOOK is None, reason="ansible-playbook not installed")


def test_only_static_assets_are_gzipped(tmp_path):
    result, conf = render(tmp_path, "proxy", "semantik.conf.j2", "edge1")
    assert result.returncode == 0, result.stdout + result.stderr
    assets = re.search(r"location /assets/ \{(.*?)\n    \}", conf, re.S)
    assert assets, conf
    block = assets.group(1)
    assert "gzip on;" in block and "gzip_vary on;" in block
    types = re.search(r"gzip_types ([^;]+);", block).group(1).split()
    assert {"text/css", "application/javascript", "image/svg+xml", "application/json"} <= set(
        types
    )
    # Every other location inherits nginx.conf's "gzip off".
    assert conf.count("gzip on;") == 1, conf
    main = (REPO / "roles" / "proxy" / "templates" / "nginx.conf.j2").read_text()
    assert re.search(r"^\s*gzip off;", main, re.M) and "gzip on;" not in main
