"""The release profiles-server every interop test module talks to: one per
module, on a free port and a database in a temporary folder, stopped with
SIGTERM at the end (which must exit 0)."""
import os
import tempfile

import pytest

from test_interop import ServerProcess


@pytest.fixture(scope="module")
def server():
    binary = os.environ.get("PROFILES_SERVER")
    assert binary and os.access(binary, os.X_OK), "set PROFILES_SERVER to a built profiles-server (interop/run.sh does)"
    with tempfile.TemporaryDirectory() as data_dir:
        process = ServerProcess(binary, data_dir)
        yield process
        status = process.stop()
        assert status == 0, "profiles-server exited %s after SIGTERM:\n%s" % (status, "".join(process.log))
