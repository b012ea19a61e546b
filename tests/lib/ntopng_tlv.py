# SPDX-License-Identifier: GPL-2.0-only
"""A reader of nDPI's TLV serialization as ntopng's collector reads a flow
message (ZMQParserInterface::parseTLVFlow, written from the format, not from
its code): the version and format bytes 01 01, then items, each a type byte
(key type in the high 4 bits, value type in the low 4), the key, the value;
the byte 01 ends a record. What ntopng would drop (another key type, a
boolean, a list, a block: it stops reading the message there) is an error
here, and so is what eBPFlow must not send: an integer wider than it needs,
a record cut short, an id this table does not name."""
import struct

END_OF_RECORD, U8, U16, U32, U64, I8, I16, I32, I64, FLOAT, STRING = range(1, 12)
INT_WIDTH = {U8: 1, U16: 2, U32: 4, U64: 8, I8: 1, I16: 2, I32: 4, I64: 8}
UNSIGNED = (U8, U16, U32, U64)

# ntopng's include/ntop_flow.h: the NetFlow v9 ids, and ntop's at 57472 + n
NTOP_BASE_ID = 57472
NAMES = {1: "IN_BYTES", 2: "IN_PKTS", 4: "PROTOCOL", 8: "IPV4_SRC_ADDR", 11: "L4_DST_PORT",
         12: "IPV4_DST_ADDR", 21: "LAST_SWITCHED", 22: "FIRST_SWITCHED", 23: "OUT_BYTES",
         27: "IPV6_SRC_ADDR", 28: "IPV6_DST_ADDR", 60: "IP_PROTOCOL_VERSION", 61: "DIRECTION",
         136: "FLOW_END_REASON",
         # TCP health (issue 21)
         NTOP_BASE_ID + 109: "RETRANSMITTED_IN_PKTS", NTOP_BASE_ID + 110: "RETRANSMITTED_OUT_PKTS",
         NTOP_BASE_ID + 123: "CLIENT_NW_LATENCY_MS", NTOP_BASE_ID + 124: "SERVER_NW_LATENCY_MS"}
for side, ids in (("SRC", (168, 169, 425, 372, 558, 556)),
                  ("DST", (375, 376, 426, 377, 559, 557))):
    for n, what in zip(ids, ("PID", "NAME", "UID", "USER_NAME", "CONTAINER_ID", "CMDLINE")):
        NAMES[NTOP_BASE_ID + n] = f"{side}_PROC_{what}"
for side, ids in (("SRC", (373, 374)), ("DST", (378, 379))):
    for n, what in zip(ids, ("PID", "NAME")):
        NAMES[NTOP_BASE_ID + n] = f"{side}_FATHER_PROC_{what}"


class TLVError(ValueError):
    pass


def _int(buf, pos, t):
    w = INT_WIDTH[t]
    if pos + w > len(buf):
        raise TLVError(f"integer cut short at {pos}")
    signed = t not in UNSIGNED
    v = int.from_bytes(buf[pos:pos + w], "big", signed=signed)
    bits = 4 * w  # the next narrower width (widths are 1, 2, 4, 8 bytes)
    if w > 1 and (-(1 << (bits - 1)) <= v < (1 << (bits - 1)) if signed else v < (1 << bits)):
        raise TLVError(f"{v} at {pos} in {w} bytes: it fits in fewer")
    return v, pos + w


def _string(buf, pos):
    if pos + 2 > len(buf):
        raise TLVError(f"string length cut short at {pos}")
    (n,) = struct.unpack_from(">H", buf, pos)
    if pos + 2 + n > len(buf):
        raise TLVError(f"string cut short at {pos}")
    return buf[pos + 2:pos + 2 + n].decode("utf-8", "surrogateescape"), pos + 2 + n


def records(payload):
    """The records of one message, each a list of (key, value) in order:
    an integer key as its id, a string key as itself."""
    buf = bytes(payload)
    if buf[:2] != b"\x01\x01":
        raise TLVError(f"not nDPI TLV version 1, format 1: {buf[:2].hex()}")
    out, cur, pos = [], [], 2
    while pos < len(buf):
        t = buf[pos]
        kt, vt = t >> 4, t & 0xF
        pos += 1
        if vt == END_OF_RECORD and kt == 0:
            if not cur:
                raise TLVError(f"an empty record at {pos - 1}")
            out.append(cur)
            cur = []
            continue
        if kt in (U8, U16, U32):
            key, pos = _int(buf, pos, kt)
        elif kt == STRING:
            key, pos = _string(buf, pos)
        else:  # ntopng: "Unsupported TLV key type", the rest of the message is dropped
            raise TLVError(f"key type {kt} at {pos - 1}: ntopng drops the message from here")
        if vt in INT_WIDTH:
            value, pos = _int(buf, pos, vt)
        elif vt == STRING:
            value, pos = _string(buf, pos)
        elif vt == FLOAT:  # 4 bytes as the sender stores a float (nDPI copies it)
            if pos + 4 > len(buf):
                raise TLVError(f"float cut short at {pos}")
            (value,) = struct.unpack_from("=f", buf, pos)
            pos += 4
        else:  # booleans, lists, blocks
            raise TLVError(f"value type {vt} at {pos - 1}: ntopng drops the message from here")
        cur.append((key, value))
    if cur:
        raise TLVError("the last record has no end byte")
    return out


def flows(payload):
    """The records as dicts keyed by ntopng's element names (as in the JSON form)."""
    out = []
    for rec in records(payload):
        f = {}
        for key, value in rec:
            if isinstance(key, int):
                if key not in NAMES:
                    raise TLVError(f"id {key}: not one eBPFlow sends")
                key = NAMES[key]
            if key in f:
                raise TLVError(f"{key} twice in one record")
            f[key] = value
        out.append(f)
    return out
