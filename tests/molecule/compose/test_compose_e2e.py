"""End to end against the compose runtime: the default scenario's checks (login, create a
collection over the sample documents, index, search finds the expected document; refusals).
They talk HTTP to webui on 127.0.0.1:8080, which the compose project publishes on loopback."""

from tests.molecule.helpers import (
    check_login_index_and_search,
    check_search_without_login_is_refused,
    check_wrong_password_is_refused,
)

# The compose host (the registry host has its own module, test_compose_registry.py).
testinfra_hosts = ["webui"]


def test_wrong_password_is_refused(host):
    check_wrong_password_is_refused(host)


def test_login_index_and_search(host):
    check_login_index_and_search(host)


def test_search_without_login_is_refused(host):
    check_search_without_login_is_refused(host)
