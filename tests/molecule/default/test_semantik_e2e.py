"""End to end on default-app, over HTTP as a user would: log in as the admin, create a collection
over the sample documents, index it to completion, search finds the right document.

Requests run on the app host itself (webui listens on loopback only) with its python3. The checks
live in tests/molecule/helpers.py: the compose scenario runs the same ones.
"""

import pytest

from tests.molecule.helpers import (
    check_login_index_and_search,
    check_search_without_login_is_refused,
    check_wrong_password_is_refused,
)


@pytest.fixture(autouse=True)
def _only_webui_hosts(host):
    if "webui" not in host.ansible.get_variables().get("group_names", []):
        pytest.skip("not a webui host")


def test_wrong_password_is_refused(host):
    check_wrong_password_is_refused(host)


def test_login_index_and_search(host):
    check_login_index_and_search(host)


def test_search_without_login_is_refused(host):
    check_search_without_login_is_refused(host)
