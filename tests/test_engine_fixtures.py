"""The engines the tests start stay on this machine: they listen on loopback only."""
from __future__ import annotations

import pytest

from tests.engines import listening_addresses

#: starts Oxigraph server and Virtuoso (seconds)
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("engine", ["virtuoso_process", "oxigraph_server_process"])
def test_an_engine_listens_on_loopback_only(request, engine):
    process, endpoint = request.getfixturevalue(engine)
    addresses = listening_addresses(process.pid)
    assert addresses, f"{engine} listens nowhere?"
    assert all(address.startswith("127.0.0.1:") for address in addresses), addresses
    assert endpoint.startswith("http://127.0.0.1:")
