"""Packaging for stepflow_worker: `pip install ./sdk/python` (see README.md).

The package carries the SDK (stepflow_worker) and the gRPC stubs it imports
(stepflow.v1.*_pb2, *_pb2_grpc), generated while the package is built from
proto/stepflow/v1/*.proto of this checkout, so nothing generated is kept in
the source tree. Stubs come from `protoc` and `grpc_python_plugin` on PATH,
as the CMake build makes them (Debian's protobuf-compiler and
protobuf-compiler-grpc; $PROTOC and $GRPC_PYTHON_PLUGIN override them), else
from grpc_tools.protoc (PyPI's grpcio-tools). Not from Debian 12's
python3-grpc-tools: its protoc (3.5) predates proto3 `optional`.

Deliberately setup.py only, without a pyproject.toml: pip then builds with
the setuptools already installed (python3-setuptools, or the one in a venv)
instead of downloading one into an isolated build environment, so the
install works offline. pip >= 21.3 builds a local directory in place, which
is how the proto directory two levels up is found; $STEPFLOW_PROTO_DIR points
at it when the tree was copied elsewhere.
"""

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent  # resolved now, before anything changes directory
# The checkout's proto/ directory (the --proto_path): sdk/python/../../proto.
PROTO_DIR = Path(os.environ.get("STEPFLOW_PROTO_DIR", HERE.parents[1] / "proto")).resolve()
PROTO_PACKAGE = Path("stepflow", "v1")  # the proto package's directory = the Python package


def proto_root() -> Path:
    """PROTO_DIR, or exit with a message when it holds no stepflow/v1/*.proto."""
    root = PROTO_DIR
    if not list((root / PROTO_PACKAGE).glob("*.proto")):
        sys.exit(f"stepflow_worker: no {PROTO_PACKAGE}/*.proto under {root}; install from a "
                 "stepflow checkout (pip install ./sdk/python) or set STEPFLOW_PROTO_DIR to "
                 "its proto/ directory")
    return root


def protoc_command() -> list:
    """protoc with the Python and gRPC Python generators, from PATH or grpc_tools."""
    protoc = os.environ.get("PROTOC") or shutil.which("protoc")
    plugin = os.environ.get("GRPC_PYTHON_PLUGIN") or shutil.which("grpc_python_plugin")
    if protoc and plugin:
        return [protoc, f"--plugin=protoc-gen-grpc_python={plugin}"]
    try:
        import grpc_tools
        from grpc_tools import protoc as _  # noqa: F401 (only its presence matters)
    except ImportError:
        sys.exit("stepflow_worker: generating the gRPC stubs needs protoc and "
                 "grpc_python_plugin on PATH (Debian: protobuf-compiler "
                 "protobuf-compiler-grpc) or the grpc_tools module (PyPI: grpcio-tools)")
    bundled = Path(grpc_tools.__file__).parent / "_proto"  # google/protobuf/*.proto
    return [sys.executable, "-m", "grpc_tools.protoc", f"--proto_path={bundled}"]


class BuildWithStubs(build_py):
    """build_py, then the stubs generated into the build directory."""

    def run(self):
        super().run()
        root = proto_root()
        out = Path(self.build_lib).resolve()
        (out / PROTO_PACKAGE).mkdir(parents=True, exist_ok=True)
        sources = sorted(str(p.relative_to(root)) for p in (root / PROTO_PACKAGE).glob("*.proto"))
        command = protoc_command() + [f"--proto_path={root}", f"--python_out={out}",
                                      f"--grpc_python_out={out}"] + sources
        self.announce("generating the stubs: " + " ".join(command), level=2)
        subprocess.run(command, check=True, cwd=root)
        for package in (PROTO_PACKAGE.parent, PROTO_PACKAGE):
            (out / package / "__init__.py").touch()


def scratch_directory() -> str:
    """A directory for build/ and *.egg-info, removed when setup.py exits.

    pip builds in place, so setuptools' defaults would leave both in
    sdk/python; --build-base and --egg-base on the command line still win.
    """
    path = tempfile.mkdtemp(prefix="stepflow-worker-build-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def project_version() -> str:
    """The version in the checkout's project(stepflow VERSION x.y.z)."""
    try:
        text = (PROTO_DIR.parent / "CMakeLists.txt").read_text()
    except OSError:
        return "0.0.0"
    match = re.search(r"project\(\s*stepflow\s+VERSION\s+([0-9.]+)", text)
    return match.group(1) if match else "0.0.0"


SCRATCH = scratch_directory()

setup(
    name="stepflow-worker",
    version=project_version(),
    description="Write stepflow workers (functions and activities) in Python",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.9",
    # Debian 12's python3-grpcio (1.51) and python3-protobuf (3.21) satisfy
    # these; stubs from protoc >= 3.20 need the protobuf runtime >= 3.20.
    install_requires=["grpcio", "protobuf>=3.20"],
    packages=["stepflow_worker"],
    cmdclass={"build_py": BuildWithStubs},
    options={"build": {"build_base": str(Path(SCRATCH, "build"))},
             "egg_info": {"egg_base": SCRATCH}},
    zip_safe=False,
)
