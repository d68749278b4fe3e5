"""End to end against the compose runtime: the default scenario's tests, unchanged (login, create a
collection over the sample documents, index, search finds the expected document; refusals).
They talk HTTP to webui on 127.0.0.1:8080, which the compose project publishes on loopback."""

from tests.molecule.default.test_semantik_e2e import (  # noqa: F401 (collected by pytest)
    test_login_index_and_search,
    test_search_without_login_is_refused,
    test_wrong_password_is_refused,
)
