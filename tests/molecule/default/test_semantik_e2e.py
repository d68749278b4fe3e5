"""End to end on the web host, over HTTP as a user would: log in as the admin, create a collection
over the sample documents, index it to completion, search finds the right document.

Requests run on the web host itself (webui listens on loopback only) with its python3. The checks
live in tests/molecule/helpers.py: the compose scenario runs the same ones.
"""

from tests.molecule.helpers import (
    check_login_index_and_search,
    check_search_without_login_is_refused,
    check_wrong_password_is_refused,
)

testinfra_hosts = ["webui"]


def test_wrong_password_is_refused(host):
    check_wrong_password_is_refused(host)


def test_login_index_and_search(host):
    check_login_index_and_search(host)


def test_search_without_login_is_refused(host):
    check_search_without_login_is_refused(host)
