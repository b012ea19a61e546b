# SPDX-License-Identifier: GPL-2.0-only
"""A small client of the Kubernetes Container Runtime Interface (CRI), the
gRPC API kubelet drives containerd and CRI-O with: the calls a kubelet makes
to run a pod (RunPodSandbox, CreateContainer, StartContainer, ...).

No generated code: the messages are dicts, encoded and decoded here in the
protobuf wire format from the field numbers of k8s.io/cri-api
pkg/apis/runtime/v1/api.proto (only the fields the tests use). gRPC itself is
Debian's python3-grpcio, called with raw bytes.
"""
import grpc

# Wire types (protobuf encoding): what follows a field's key.
VARINT, LEN = 0, 2

# Field types of a schema: a scalar name, a nested schema (dict), or
# ("repeated", T) / ("map",) for map<string, string>.
STRING, BYTES, BOOL, UINT, INT, ENUM = "string", "bytes", "bool", "uint", "int", "enum"
MAP = ("map",)


def repeated(t):
    return ("repeated", t)


# api.proto, runtime.v1: message name -> {field: (number, type)}
INT64_VALUE = {"value": (1, INT)}
SECURITY_PROFILE = {"profile_type": (1, ENUM), "localhost_ref": (2, STRING)}
# enum NamespaceMode
POD, CONTAINER, NODE = 0, 1, 2
# enum SecurityProfile.ProfileType
RUNTIME_DEFAULT, UNCONFINED = 0, 1
NAMESPACE_OPTION = {"network": (1, ENUM), "pid": (2, ENUM), "ipc": (3, ENUM),
                    "target_id": (4, STRING)}
POD_SANDBOX_METADATA = {"name": (1, STRING), "uid": (2, STRING), "namespace": (3, STRING),
                        "attempt": (4, UINT)}
DNS_CONFIG = {"servers": (1, repeated(STRING)), "searches": (2, repeated(STRING)),
              "options": (3, repeated(STRING))}
LINUX_SANDBOX_SECURITY_CONTEXT = {
    "namespace_options": (1, NAMESPACE_OPTION), "run_as_user": (3, INT64_VALUE),
    "readonly_rootfs": (4, BOOL), "privileged": (6, BOOL),
    "seccomp_profile_path": (7, STRING), "run_as_group": (8, INT64_VALUE),
    "seccomp": (9, SECURITY_PROFILE), "apparmor": (10, SECURITY_PROFILE)}
LINUX_CONTAINER_RESOURCES = {
    "cpu_period": (1, INT), "cpu_quota": (2, INT), "cpu_shares": (3, INT),
    "memory_limit_in_bytes": (4, INT), "oom_score_adj": (5, INT)}
LINUX_POD_SANDBOX_CONFIG = {"cgroup_parent": (1, STRING),
                            "security_context": (2, LINUX_SANDBOX_SECURITY_CONTEXT),
                            "sysctls": (3, MAP), "overhead": (4, LINUX_CONTAINER_RESOURCES),
                            "resources": (5, LINUX_CONTAINER_RESOURCES)}
POD_SANDBOX_CONFIG = {"metadata": (1, POD_SANDBOX_METADATA), "hostname": (2, STRING),
                      "log_directory": (3, STRING), "dns_config": (4, DNS_CONFIG),
                      "labels": (6, MAP), "annotations": (7, MAP),
                      "linux": (8, LINUX_POD_SANDBOX_CONFIG)}
CONTAINER_METADATA = {"name": (1, STRING), "attempt": (2, UINT)}
IMAGE_SPEC = {"image": (1, STRING), "annotations": (2, MAP)}
KEY_VALUE = {"key": (1, STRING), "value": (2, STRING)}
MOUNT = {"container_path": (1, STRING), "host_path": (2, STRING), "readonly": (3, BOOL),
         "selinux_relabel": (4, BOOL), "propagation": (5, ENUM)}
CAPABILITY = {"add_capabilities": (1, repeated(STRING)),
              "drop_capabilities": (2, repeated(STRING)),
              "add_ambient_capabilities": (3, repeated(STRING))}
LINUX_CONTAINER_SECURITY_CONTEXT = {
    "capabilities": (1, CAPABILITY), "privileged": (2, BOOL),
    "namespace_options": (3, NAMESPACE_OPTION), "run_as_user": (5, INT64_VALUE),
    "run_as_username": (6, STRING), "readonly_rootfs": (7, BOOL),
    "apparmor_profile": (9, STRING), "seccomp_profile_path": (10, STRING),
    "no_new_privs": (11, BOOL), "run_as_group": (12, INT64_VALUE),
    "seccomp": (15, SECURITY_PROFILE), "apparmor": (16, SECURITY_PROFILE)}
LINUX_CONTAINER_CONFIG = {"resources": (1, LINUX_CONTAINER_RESOURCES),
                          "security_context": (2, LINUX_CONTAINER_SECURITY_CONTEXT)}
CONTAINER_CONFIG = {"metadata": (1, CONTAINER_METADATA), "image": (2, IMAGE_SPEC),
                    "command": (3, repeated(STRING)), "args": (4, repeated(STRING)),
                    "working_dir": (5, STRING), "envs": (6, repeated(KEY_VALUE)),
                    "mounts": (7, repeated(MOUNT)), "labels": (9, MAP),
                    "annotations": (10, MAP), "log_path": (11, STRING),
                    "linux": (15, LINUX_CONTAINER_CONFIG)}
# enum ContainerState
CONTAINER_CREATED, CONTAINER_RUNNING, CONTAINER_EXITED, CONTAINER_UNKNOWN = 0, 1, 2, 3
CONTAINER_STATUS = {"id": (1, STRING), "metadata": (2, CONTAINER_METADATA),
                    "state": (3, ENUM), "created_at": (4, INT), "started_at": (5, INT),
                    "finished_at": (6, INT), "exit_code": (7, INT), "reason": (10, STRING),
                    "message": (11, STRING), "labels": (12, MAP), "annotations": (13, MAP),
                    "log_path": (15, STRING)}
CONTAINER_INFO = {"id": (1, STRING), "pod_sandbox_id": (2, STRING),
             "metadata": (3, CONTAINER_METADATA), "image": (4, IMAGE_SPEC),
             "image_ref": (5, STRING), "state": (6, ENUM), "labels": (8, MAP),
             "annotations": (9, MAP)}

# rpc name -> (service, request schema, response schema)
RPCS = {
    "Version": ("RuntimeService", {"version": (1, STRING)},
                {"version": (1, STRING), "runtime_name": (2, STRING),
                 "runtime_version": (3, STRING), "runtime_api_version": (4, STRING)}),
    "RunPodSandbox": ("RuntimeService",
                      {"config": (1, POD_SANDBOX_CONFIG), "runtime_handler": (2, STRING)},
                      {"pod_sandbox_id": (1, STRING)}),
    "StopPodSandbox": ("RuntimeService", {"pod_sandbox_id": (1, STRING)}, {}),
    "RemovePodSandbox": ("RuntimeService", {"pod_sandbox_id": (1, STRING)}, {}),
    "CreateContainer": ("RuntimeService",
                        {"pod_sandbox_id": (1, STRING), "config": (2, CONTAINER_CONFIG),
                         "sandbox_config": (3, POD_SANDBOX_CONFIG)},
                        {"container_id": (1, STRING)}),
    "StartContainer": ("RuntimeService", {"container_id": (1, STRING)}, {}),
    "StopContainer": ("RuntimeService", {"container_id": (1, STRING), "timeout": (2, INT)}, {}),
    "ContainerStatus": ("RuntimeService", {"container_id": (1, STRING), "verbose": (2, BOOL)},
                        {"status": (1, CONTAINER_STATUS), "info": (2, MAP)}),
    "ListContainers": ("RuntimeService",
                       {"filter": (1, {"id": (1, STRING), "pod_sandbox_id": (3, STRING)})},
                       {"containers": (1, repeated(CONTAINER_INFO))}),
    "ImageStatus": ("ImageService", {"image": (1, IMAGE_SPEC)},
                    {"image": (1, {"id": (1, STRING), "repo_tags": (2, repeated(STRING))})}),
}


def _varint(n):
    if n < 0:
        n += 1 << 64  # int64: two's complement, ten bytes
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _read_varint(buf, i):
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def _field(num, wire, payload):
    key = _varint(num << 3 | wire)
    if wire == VARINT:
        return key + _varint(payload)
    return key + _varint(len(payload)) + payload


def _encode_one(num, t, v):
    if isinstance(t, dict):
        return _field(num, LEN, encode(t, v))
    if t == STRING:
        return _field(num, LEN, v.encode())
    if t == BYTES:
        return _field(num, LEN, v)
    if t == BOOL:
        return _field(num, VARINT, 1 if v else 0)
    return _field(num, VARINT, int(v))   # UINT, INT, ENUM


def encode(schema, msg):
    """msg (a dict of field names) in protobuf's wire format. Fields left out,
    or at their zero value, are not written, as proto3 does."""
    out = bytearray()
    for name, v in msg.items():
        num, t = schema[name]   # a KeyError names a field the schema lacks
        if t == MAP:
            for k, val in v.items():
                entry = _field(1, LEN, k.encode()) + _field(2, LEN, val.encode())
                out += _field(num, LEN, entry)
        elif isinstance(t, tuple):
            for item in v:
                out += _encode_one(num, t[1], item)
        elif v or isinstance(t, dict):
            out += _encode_one(num, t, v)
    return bytes(out)


def _decode_one(t, wire, raw):
    if isinstance(t, dict):
        return decode(t, raw)
    if t == STRING:
        return raw.decode()
    if t == BYTES:
        return raw
    if t == BOOL:
        return bool(raw)
    if t == INT and raw >= 1 << 63:
        return raw - (1 << 64)
    return raw


def decode(schema, buf):
    """A message from the wire: the fields the schema names (unknown ones are
    skipped, as protobuf does); repeated fields as lists, maps as dicts."""
    by_num = {num: (name, t) for name, (num, t) in schema.items()}
    msg = {}
    i = 0
    while i < len(buf):
        key, i = _read_varint(buf, i)
        num, wire = key >> 3, key & 7
        if wire == VARINT:
            raw, i = _read_varint(buf, i)
        elif wire == LEN:
            n, i = _read_varint(buf, i)
            raw, i = buf[i:i + n], i + n
        elif wire == 1:
            raw, i = buf[i:i + 8], i + 8
        elif wire == 5:
            raw, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire} of field {num}: not protobuf")
        if num not in by_num:
            continue
        name, t = by_num[num]
        if t == MAP:
            entry = decode({"k": (1, STRING), "v": (2, STRING)}, raw)
            msg.setdefault(name, {})[entry.get("k", "")] = entry.get("v", "")
        elif isinstance(t, tuple):
            msg.setdefault(name, []).append(_decode_one(t[1], wire, raw))
        else:
            msg[name] = _decode_one(t, wire, raw)
    return msg


class Client:
    """The CRI services on a unix socket: client.call("RunPodSandbox", {...})
    returns the decoded response; a runtime's error raises grpc.RpcError."""

    def __init__(self, socket_path, timeout=60):
        self.channel = grpc.insecure_channel(f"unix://{socket_path}")
        self.timeout = timeout

    def call(self, rpc, request):
        service, req_schema, resp_schema = RPCS[rpc]
        method = self.channel.unary_unary(f"/runtime.v1.{service}/{rpc}")
        reply = method(encode(req_schema, request), timeout=self.timeout)
        return decode(resp_schema, reply)

    def close(self):
        self.channel.close()
