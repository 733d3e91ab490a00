"""A real `stepflow server` for the AWS API tests (tests/aws/): started on 127.0.0.1 with
OS-chosen ports in a temporary directory, its two listening lines read with a bounded wait,
SIGTERMed (then SIGKILLed) and its directory removed at the end, also when a test fails.

    with StepflowServer(binary) as server:
        server.endpoint      # "http://127.0.0.1:Q", the Step Functions endpoint
        server.grpc          # "127.0.0.1:P", for `stepflow ... --server`
        server.db            # the SQLite file (open it read-only only)
        server.log_tail()    # the last lines the server wrote to stderr

Also the names the tests share: ARN prefixes, small definitions, `wait_until`, and
`current_model(dir)`, the current Step Functions API model as botocore's data path.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

REGION = "us-east-1"
ACCOUNT = "123456789012"
ARN = f"arn:aws:states:{REGION}:{ACCOUNT}"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/stepflow-test"

START_TIMEOUT_S = 30

PASS_DEFINITION = json.dumps(
    {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": True}, "ResultPath": "$.r",
                                      "End": True}}})
# Stays RUNNING for an hour: for stop, idempotent starts, ExecutionAlreadyExists.
WAIT_DEFINITION = json.dumps(
    {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}})
FAIL_DEFINITION = json.dumps(
    {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Oops", "Cause": "it broke"}}})


def activity_definition(activity_arn):
    return json.dumps({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": activity_arn, "End": True}}})


def chain_definition(n):
    """n Pass states in a row: 2 + 2n history events."""
    states = {}
    for i in range(n):
        s = {"Type": "Pass", "Result": i, "ResultPath": f"$.p{i}"}
        if i + 1 < n:
            s["Next"] = f"P{i + 1}"
        else:
            s["End"] = True
        states[f"P{i}"] = s
    return json.dumps({"StartAt": "P0", "States": states})


def wait_until(predicate, what, timeout=20.0, interval=0.05):
    """Calls predicate() until it returns a truthy value, which it returns; raises
    AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")
        time.sleep(interval)


def binary_from_argv(argv):
    """The stepflow binary: --stepflow PATH, else $STEPFLOW_BIN, else build/engine/stepflow."""
    for i, a in enumerate(argv):
        if a == "--stepflow" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--stepflow="):
            return a.split("=", 1)[1]
    env = os.environ.get("STEPFLOW_BIN")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "build", "engine", "stepflow")


# --- the current Step Functions API model -------------------------------------------------------
#
# botocore 1.29 and the AWS CLI 2.9.19 (Debian's) predate RedriveExecution, versions and
# ValidateStateMachineDefinition. The current model comes from npm, pinned by
# tools/aws-sdk/package-lock.json and installed by tools/aws_sdk_js.sh outside the sources: the
# AWS SDK for JavaScript v2 (aws-sdk) ships it as apis/states-2016-11-23.min.json, botocore's
# JSON format (metadata, operations, shapes) minified. What the minifying dropped is put back in
# the copy from the same installed packages:
#   - shapes that are inline (an operation's input and output, most members) or have no "type"
#     (a string) become named shapes, named as the v2 package's clients/stepfunctions.d.ts names
#     their types (the names of botocore's model); operations get their "name" and "http";
#   - enum values: from the union types of that .d.ts;
#   - error shapes ("exception": true, which botocore makes client.exceptions.<Name> of) and each
#     operation's errors: from the v3 client's dist-types (models/errors.d.ts, and the
#     "@throws {@link Name}" of commands/<Name>Command.d.ts).
# Lengths, ranges and patterns are in neither package: the copy has none (botocore checks only
# minimum lengths itself, which no test relies on; bad_input_test.py states the limits it tests).

SERVICE_NAME = "stepfunctions"
API_VERSION = "2016-11-23"
_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
_INSTALL_TIMEOUT_S = 280  # tools/aws_sdk_js.sh gives npm ci 240 s
# The operations and members only the current model has (checked in the copy).
NEW_OPERATIONS = ("RedriveExecution", "PublishStateMachineVersion", "ListStateMachineVersions",
                  "ValidateStateMachineDefinition")
_NEW_MEMBERS = {"DescribeExecution": ("redriveCount", "redriveDate", "redriveStatus",
                                      "redriveStatusReason", "stateMachineVersionArn")}
# Member traits (they stay on the member, not on its shape).
_MEMBER_TRAITS = {"idempotencyToken", "jsonvalue", "locationName", "location", "box", "hostLabel",
                  "deprecated", "streaming", "queryName", "flattened", "xmlAttribute",
                  "xmlNamespace", "contextParam"}
_TS_PRIMITIVES = {"string", "number", "boolean", "Date", "any", "Blob"}


class ModelUnavailable(Exception):
    """The npm packages the current API model comes from are not installed, and could not be."""


def install_aws_sdk():
    """The directory tools/aws_sdk_js.sh installed the npm packages in, installing them first
    when they are not there (npm ci, bounded). Raises ModelUnavailable with the reason."""
    script = os.path.join(_ROOT, "tools", "aws_sdk_js.sh")
    proc = subprocess.Popen(["bash", script], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=_INSTALL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise ModelUnavailable(f"tools/aws_sdk_js.sh did not finish in {_INSTALL_TIMEOUT_S} s")
    sdk = out.strip()
    if proc.returncode != 0 or not sdk:
        raise ModelUnavailable(f"tools/aws_sdk_js.sh exit {proc.returncode}: {err.strip()[-800:]}")
    return sdk


def _v2_types(text):
    """From the v2 package's clients/stepfunctions.d.ts: its interfaces ({name: {member: type}}),
    type aliases ({name: type}) and each operation's (input, output) type names."""
    interfaces, aliases, operations = {}, {}, {}
    current = None
    for line in text.splitlines():
        if current is not None:
            if line == "  }":
                current = None
            else:
                m = re.match(r"    (\w+)\??: (.+);$", line)
                if m:
                    current[m.group(1)] = m.group(2)
            continue
        m = re.match(r"  export interface (\w+) \{$", line)
        if m:
            current = interfaces.setdefault(m.group(1), {})
            continue
        m = re.match(r"  export type (\w+) = (.+);$", line)
        if m:
            aliases[m.group(1)] = m.group(2)
            continue
        m = re.match(r"  (\w+)\(params: StepFunctions\.Types\.(\w+), callback\?: \(err: AWSError, "
                     r"data: StepFunctions\.Types\.(\w+)\)", line)
        if m:
            operations[m.group(1)[0].upper() + m.group(1)[1:]] = (m.group(2), m.group(3))
    return interfaces, aliases, operations


def _enum_values(ts_type):
    """["A", "B"] for the TypeScript union "A"|"B"|string; None for anything else."""
    parts = ts_type.split("|")
    values = [p[1:-1] for p in parts if len(p) >= 2 and p[0] == '"' and p[-1] == '"']
    rest = [p for p in parts if not (len(p) >= 2 and p[0] == '"' and p[-1] == '"')]
    return values if values and rest in ([], ["string"]) else None


class _ModelBuilder:
    def __init__(self, minified, interfaces, aliases):
        self.min_shapes = minified.get("shapes", {})
        self.interfaces = interfaces
        self.aliases = aliases
        self.shapes = {}
        self._building = set()

    def _type_name(self, ts_type, fallback):
        ts_type = ts_type.strip()
        if re.fullmatch(r"\w+", ts_type) and ts_type not in _TS_PRIMITIVES:
            return ts_type
        return fallback

    def add(self, definition, name):
        """Adds the minified shape `definition` as the shape `name` (or a free variant of that
        name when another shape has it); returns the name it has."""
        if "shape" in definition:
            definition = self.min_shapes[definition["shape"]]
        if name in self._building:  # a recursive shape
            return name
        self._building.add(name)
        try:
            shape = self._convert(definition, name)
        finally:
            self._building.discard(name)
        candidate, n = name, 1
        while candidate in self.shapes and self.shapes[candidate] != shape:
            n += 1
            candidate = f"{name}{n}"
        self.shapes[candidate] = shape
        return candidate

    def _ref(self, member_definition, name):
        traits = {k: v for k, v in member_definition.items() if k in _MEMBER_TRAITS}
        rest = {k: v for k, v in member_definition.items() if k not in _MEMBER_TRAITS}
        return dict({"shape": self.add(rest, name)}, **traits)

    def _convert(self, d, name):
        kind = d.get("type") or ("structure" if "members" in d else "list" if "member" in d
                                 else "map" if "key" in d else "string")
        shape = {"type": kind}
        shape.update({k: v for k, v in d.items()
                      if k not in ("type", "members", "member", "key", "value", "shape")})
        if kind == "structure":
            fields = self.interfaces.get(name, {})
            shape["members"] = {}
            for member, md in d.get("members", {}).items():
                fallback = name + member[0].upper() + member[1:]
                child = self._type_name(fields.get(member, ""), fallback)
                shape["members"][member] = self._ref(md, child)
        elif kind == "list":
            alias = self.aliases.get(name, "")
            child = alias[:-2] if alias.endswith("[]") else ""
            shape["member"] = self._ref(d.get("member", {}), self._type_name(child, name + "Member"))
        elif kind == "map":
            shape["key"] = self._ref(d.get("key", {}), name + "Key")
            shape["value"] = self._ref(d.get("value", {}), name + "Value")
        elif kind == "string" and "enum" not in shape:
            values = _enum_values(self.aliases.get(name, ""))
            if values:
                shape["enum"] = values
        return shape


def build_api_model(sdk_dir):
    """(service-2.json, paginators-1.json) for botocore from the npm packages in sdk_dir."""
    modules = os.path.join(sdk_dir, "node_modules")
    apis = os.path.join(modules, "aws-sdk", "apis")
    v3_types = os.path.join(modules, "@aws-sdk", "client-sfn", "dist-types")
    with open(os.path.join(apis, f"states-{API_VERSION}.min.json")) as f:
        minified = json.load(f)
    with open(os.path.join(apis, f"states-{API_VERSION}.paginators.json")) as f:
        paginators = json.load(f)
    with open(os.path.join(modules, "aws-sdk", "clients", "stepfunctions.d.ts")) as f:
        interfaces, aliases, op_types = _v2_types(f.read())
    with open(os.path.join(v3_types, "models", "errors.d.ts")) as f:
        errors_ts = f.read()
    with open(os.path.join(v3_types, "models", "enums.d.ts")) as f:
        enums_ts = f.read()

    builder = _ModelBuilder(minified, interfaces, aliases)
    # The error shapes.
    v3_enums = {m.group(1): re.findall(r'readonly \w+: "([^"]*)";', m.group(2))
                for m in re.finditer(r"export declare const (\w+): \{(.*?)\};", enums_ts, re.S)}
    builder.shapes["ErrorMessage"] = {"type": "string"}
    error_names = []
    for m in re.finditer(r"export declare class (\w+) extends __BaseException \{(.*?)\n\}",
                         errors_ts, re.S):
        name, body = m.group(1), m.group(2)
        members = {"message": {"shape": "ErrorMessage"}}
        for field, ts_type in re.findall(r"^    (\w+)\?: (\w+)(?: \| undefined)?;$", body, re.M):
            if ts_type in v3_enums:
                builder.shapes.setdefault(ts_type, {"type": "string", "enum": v3_enums[ts_type]})
                members[field] = {"shape": ts_type}
            else:
                members[field] = {"shape": builder.add({}, field[0].upper() + field[1:])}
        builder.shapes[name] = {"type": "structure", "members": members, "exception": True}
        error_names.append(name)
    if len(error_names) < 20:
        raise RuntimeError(f"{v3_types}/models/errors.d.ts: only {len(error_names)} error classes")

    operations = {}
    for op, od in minified["operations"].items():
        input_name, output_name = op_types.get(op, (op + "Input", op + "Output"))
        entry = {"name": op, "http": {"method": "POST", "requestUri": "/"}}
        if "input" in od:
            entry["input"] = {"shape": builder.add(od["input"], input_name)}
        if "output" in od:
            entry["output"] = {"shape": builder.add(od["output"], output_name)}
        command_ts = os.path.join(v3_types, "commands", f"{op}Command.d.ts")
        if os.path.exists(command_ts):
            with open(command_ts) as f:
                thrown = re.findall(r"@throws \{@link (\w+)\}", f.read())
            entry["errors"] = [{"shape": e} for e in dict.fromkeys(thrown) if e in error_names]
        entry.update({k: v for k, v in od.items() if k not in ("input", "output", "name", "http")})
        operations[op] = entry

    model = {"version": minified.get("version", "2.0"), "metadata": minified["metadata"],
             "operations": operations, "shapes": builder.shapes}
    # What the tests need of it.
    missing = [op for op in NEW_OPERATIONS if op not in operations]
    for op, fields in _NEW_MEMBERS.items():
        out = builder.shapes[operations[op]["output"]["shape"]]["members"]
        missing += [f"{op}.{f}" for f in fields if f not in out]
    if missing:
        raise RuntimeError(f"the model of {apis} has no {', '.join(missing)}")
    return model, paginators


def current_model(dest_dir):
    """Builds botocore's data path in dest_dir, dest_dir/models/stepfunctions/2016-11-23/
    (service-2.json, paginators-1.json), from the npm packages (installed first when missing),
    and returns dest_dir/models: the value of AWS_DATA_PATH or of botocore's data_path.
    Raises ModelUnavailable when the packages cannot be installed."""
    model, paginators = build_api_model(install_aws_sdk())
    data_path = os.path.join(dest_dir, "models")
    service_dir = os.path.join(data_path, SERVICE_NAME, API_VERSION)
    os.makedirs(service_dir, exist_ok=True)
    with open(os.path.join(service_dir, "service-2.json"), "w") as f:
        json.dump(model, f, indent=1)
    with open(os.path.join(service_dir, "paginators-1.json"), "w") as f:
        json.dump(paginators, f, indent=1)
    return data_path


def current_model_or_skip(dest_dir, prog):
    """current_model(dest_dir), or None when the packages cannot be installed: the checks that
    need the current model are then skipped (said on stderr) - except under CI=true, where
    ModelUnavailable goes on (a failure)."""
    try:
        return current_model(dest_dir)
    except ModelUnavailable as e:
        if os.environ.get("CI") == "true":
            raise ModelUnavailable(f"{e} (CI=true: the checks with the current API model "
                                   f"must run)") from None
        print(f"{prog}: SKIPPED: the checks that need the current API model ({e})",
              file=sys.stderr)
        return None


class StepflowServer:
    def __init__(self, binary, extra_args=(), log_level="warn"):
        self.binary = os.path.abspath(binary)
        self.extra_args = list(extra_args)
        self.log_level = log_level
        self.dir = None
        self.proc = None
        self.endpoint = None
        self.grpc = None
        self.db = None
        self._stdout_lines = []
        self._stderr_path = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError(f"stepflow binary not found or not executable: {self.binary}")
        self.dir = tempfile.mkdtemp(prefix="stepflow-aws-test-")
        self.db = os.path.join(self.dir, "s.db")
        self._stderr_path = os.path.join(self.dir, "server.stderr")
        args = [self.binary, "server", "--db", self.db, "--listen", "127.0.0.1:0",
                "--http", "127.0.0.1:0", "--data-dir", os.path.join(self.dir, "data"),
                "--log-level", self.log_level] + self.extra_args
        stderr = open(self._stderr_path, "wb")
        try:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=stderr, cwd=self.dir, start_new_session=True)
        finally:
            stderr.close()
        lines_ready = threading.Condition()

        def read_stdout():
            for raw in self.proc.stdout:
                with lines_ready:
                    self._stdout_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                    lines_ready.notify_all()
            with lines_ready:
                self._stdout_lines.append(None)  # EOF
                lines_ready.notify_all()

        threading.Thread(target=read_stdout, daemon=True).start()
        grpc_re = re.compile(r"^stepflow server listening on (127\.0\.0\.1:\d+)$")
        http_re = re.compile(r"^stepflow http listening on (127\.0\.0\.1:\d+)$")
        deadline = time.monotonic() + START_TIMEOUT_S
        with lines_ready:
            while True:
                for line in self._stdout_lines:
                    if line is None:
                        continue
                    m = grpc_re.match(line)
                    if m:
                        self.grpc = m.group(1)
                    m = http_re.match(line)
                    if m:
                        self.endpoint = "http://" + m.group(1)
                if self.grpc and self.endpoint:
                    break
                if None in self._stdout_lines or self.proc.poll() is not None:
                    self.proc.wait(timeout=10)
                    out, err = list(self._stdout_lines), self._last_stderr()
                    self.stop()
                    raise RuntimeError(
                        f"stepflow server exited before listening (exit {self.proc.returncode}); "
                        f"stdout: {out!r}; stderr:\n{err}")
                left = deadline - time.monotonic()
                if left <= 0:
                    out = list(self._stdout_lines)
                    err = self._last_stderr()
                    self.stop()
                    raise RuntimeError(
                        f"stepflow server did not print both listening lines within "
                        f"{START_TIMEOUT_S} s; stdout: {out!r}; stderr:\n{err}")
                lines_ready.wait(min(left, 0.5))
        return self

    def _last_stderr(self, n=40):
        try:
            with open(self._stderr_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return "(no stderr)"

    def log_tail(self, n=40):
        return self._last_stderr(n)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        if self.dir and not os.environ.get("STEPFLOW_KEEP_TEST_DIR"):
            shutil.rmtree(self.dir, ignore_errors=True)
        elif self.dir:
            print(f"kept {self.dir}", file=sys.stderr)
        self.dir = None
