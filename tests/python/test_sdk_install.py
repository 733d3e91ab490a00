"""`pip install ./sdk/python` works offline and gives a working SDK (sdk/python/setup.py).

Creates a virtual environment with --system-site-packages (Debian's
python3-grpcio and python3-protobuf come from the system), installs
sdk/python into it with no package index (PIP_NO_INDEX=1), and runs the
installed SDK from that environment's python: a function served by
stepflow_worker and called through the generated stepflow.v1 stubs. Every
subprocess is bounded by TIMEOUT; the environment lives in a temporary
directory removed afterwards.

Run alone as
    /usr/bin/python3 -m unittest tests/python/test_sdk_install.py -v
(no PYTHONPATH needed; one run takes about 10-20 s).
"""

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(os.environ.get("STEPFLOW_SOURCE_DIR", Path(__file__).resolve().parents[2]))
SDK = ROOT / "sdk" / "python"
TIMEOUT = 180.0  # seconds per subprocess: venv creation and pip are slow on a busy machine

# Run by the installed package: serves a function that raises, calls it and
# prints where the modules came from and what the call answered.
CHECK = r"""
import json, grpc, stepflow_worker
from stepflow.v1 import function_pb2, function_pb2_grpc

class QuotaExceeded(Exception):
    pass

def charge(value):
    raise QuotaExceeded("42 of 40 used")

worker = stepflow_worker.Worker(max_workers=2)
worker.register("charge", charge)
port = worker.serve("127.0.0.1:0")
try:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        response = function_pb2_grpc.FunctionServiceStub(channel).Invoke(
            function_pb2.InvokeRequest(function="charge", input_json="{}"), timeout=30)
finally:
    worker.stop(0)
print(json.dumps({"sdk": stepflow_worker.__file__, "stubs": function_pb2.__file__,
                  "error": [response.error.error, response.error.cause]}))
"""


def clean_environment(**extra: str) -> dict:
    """os.environ without what would let the build tree or a user site answer imports."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_FIND_LINKS")}
    env.update(PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


@unittest.skipUnless(importlib.util.find_spec("ensurepip"),
                     "python3 -m venv needs Debian's python3-venv")
class PipInstallTest(unittest.TestCase):

    def run_checked(self, command, **kwargs) -> str:
        result = subprocess.run([str(c) for c in command], capture_output=True, text=True,
                                timeout=TIMEOUT, **kwargs)
        self.assertEqual(result.returncode, 0,
                         f"{' '.join(map(str, command))} failed:\n{result.stdout}\n"
                         f"{result.stderr}")
        return result.stdout

    def test_offline_install_into_a_venv(self):
        before = sorted(p.name for p in SDK.iterdir())
        with tempfile.TemporaryDirectory(prefix="stepflow-sdk-install-") as tmp:
            venv = Path(tmp, "venv")
            python = venv / "bin" / "python"
            self.run_checked([sys.executable, "-m", "venv", "--system-site-packages", venv],
                             env=clean_environment())
            self.run_checked([python, "-m", "pip", "install", "--no-cache-dir", SDK],
                             env=clean_environment(PIP_NO_INDEX="1"), cwd=tmp)
            # cwd=tmp: not the checkout, whose sdk/python must not be what is imported.
            output = self.run_checked([python, "-c", CHECK], env=clean_environment(), cwd=tmp)
            found = json.loads(output.strip().splitlines()[-1])
            site = venv.resolve()
            self.assertTrue(Path(found["sdk"]).resolve().is_relative_to(site), found["sdk"])
            self.assertTrue(Path(found["stubs"]).resolve().is_relative_to(site), found["stubs"])
            self.assertEqual(found["error"], ["QuotaExceeded", "42 of 40 used"])
        # The build leaves nothing in the source tree (no build/, no *.egg-info).
        self.assertEqual(sorted(p.name for p in SDK.iterdir()), before)


if __name__ == "__main__":
    unittest.main()
