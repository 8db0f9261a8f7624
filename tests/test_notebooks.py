"""The notebooks run top to bottom on the bundled data, with no network access.

Each notebook runs in a real Jupyter kernel (ipykernel, driven by nbclient) started from this
interpreter with this checkout first on its path. The kernel's launcher refuses every socket
connection to an address that is not the machine itself, so a notebook that reached for the
internet fails here instead of passing by luck.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

if os.environ.get("CI") == "true":  # the test extra installs them: a missing one is a failure
    import ipykernel  # noqa: F401
    import nbclient
    import nbformat
else:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

#: run before ipykernel starts: connections only to loopback addresses (the kernel's own ZMQ)
GUARD = """
import ipaddress, runpy, socket, sys

_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _check(address):
    if isinstance(address, tuple):
        host = address[0]
        try:
            local = ipaddress.ip_address(host).is_loopback
        except ValueError:
            local = host == "localhost"
        if not local:
            raise OSError(f"network access blocked in the notebook test: {address!r}")


def connect(self, address):
    _check(address)
    return _connect(self, address)


def connect_ex(self, address):
    _check(address)
    return _connect_ex(self, address)


socket.socket.connect = connect
socket.socket.connect_ex = connect_ex
_getaddrinfo = socket.getaddrinfo


def getaddrinfo(host, *args, **kwargs):
    if host not in (None, "localhost", "127.0.0.1", "::1"):
        raise OSError(f"network access blocked in the notebook test: {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = getaddrinfo
sys.argv = ["ipykernel_launcher", *sys.argv[1:]]
runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)
"""


@pytest.fixture(scope="module")
def offline_kernel(tmp_path_factory):
    """A kernel spec named ``python3``: this interpreter, this checkout, no network."""
    home = tmp_path_factory.mktemp("jupyter")
    spec = home / "kernels" / "python3"
    spec.mkdir(parents=True)
    launcher = home / "offline_kernel.py"
    launcher.write_text(GUARD, encoding="utf-8")
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, str(launcher), "-f", "{connection_file}"],
                "display_name": "Python 3 (offline test)",
                "language": "python",
                "env": {"PYTHONPATH": str(ROOT)},  # the inline backend draws with Agg
            }
        ),
        encoding="utf-8",
    )
    mp = pytest.MonkeyPatch()
    mp.setenv("JUPYTER_PATH", str(home))  # searched before the user's and the system's specs
    mp.setenv("CIRCLE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


def run_notebook(name: str) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=300,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    return nb


def texts(nb) -> str:
    """Everything the notebook printed or showed as text or HTML."""
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            out.append(o.get("text", ""))
            data = o.get("data", {})
            out.append(data.get("text/plain", ""))
            out.append(data.get("text/html", ""))
    return "\n".join(out)


@pytest.mark.parametrize("name", ["01_coverage.ipynb", "02_siting.ipynb"])
def test_notebooks_are_stored_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(not c.outputs and c.execution_count is None for c in code)


def test_guard_blocks_the_network(offline_kernel, tmp_path):
    # the guard itself: a notebook that connects outwards fails
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import socket\nsocket.create_connection(('93.184.216.34', 80), timeout=5)"
            )
        ]
    )
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=60)
    with pytest.raises(nbclient.exceptions.CellExecutionError, match="network access blocked"):
        client.execute()


def test_coverage_notebook_runs_offline(offline_kernel):
    nb = run_notebook("01_coverage.ipynb")
    shown = texts(nb)
    assert "monotone in walking speed and in threshold" in shown
    # the kernel used this checkout's circle and showed the summary and a figure
    assert "15-minute employment circle: coverage" in shown
    pngs = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(pngs) >= 2  # the coverage plot and the sensitivity plot
    assert "folium" in shown or "leaflet" in shown.lower()


def test_siting_notebook_runs_offline(offline_kernel):
    nb = run_notebook("02_siting.ipynb")
    shown = texts(nb)
    assert "new centre sites" in shown
    assert "proposals.csv" in shown
