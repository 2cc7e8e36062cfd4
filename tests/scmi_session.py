#!/usr/bin/env python3
"""Scripted SCMI session against avps-scmi-server over its Unix SOCK_SEQPACKET
socket: PROTOCOL_VERSION of every protocol, discovery, error statuses, sensor
descriptions, an asynchronous read (delayed response), continuous updates
(notifications), clock/power/perf round trips, and agent permissions.

Usage: tests/scmi_session.py PATH/TO/avps-scmi-server
Last line: "scmi-session: N passed, M failed".
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

SERVER = sys.argv[1]
passed = failed = 0
VERSIONS = {0x10: 0x20001, 0x11: 0x30001, 0x12: 0x20001, 0x13: 0x40000, 0x14: 0x30000,
            0x15: 0x30001, 0x16: 0x30001, 0x17: 0x20001, 0x18: 0x20000, 0x19: 0x10000}
NAMES = {0x10: "base", 0x11: "power", 0x12: "system", 0x13: "perf", 0x14: "clock",
         0x15: "sensor", 0x16: "reset", 0x17: "voltage", 0x18: "powercap", 0x19: "pinctrl"}


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"scmi-session: {name} PASS")
    else:
        failed += 1
        print(f"scmi-session: {name} FAIL {detail}")


def hdr(msg, proto, token, typ=0):
    return (msg & 0xff) | (typ << 8) | (proto << 10) | ((token & 0x3ff) << 18)


class Client:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        for _ in range(100):
            try:
                self.s.connect(path)
                break
            except OSError:
                time.sleep(0.05)
        self.s.settimeout(3)
        self.token = 0
        self.early = []  # P2A packets that arrived before a reply

    def call(self, proto, msg, *args, raw=None):
        self.token = (self.token + 1) & 0x3ff
        h = hdr(msg, proto, self.token)
        body = raw if raw is not None else b"".join(struct.pack("<I", a) for a in args)
        self.s.send(struct.pack("<I", h) + body)
        while True:
            pkt = self.s.recv(4096)
            rh = struct.unpack_from("<I", pkt)[0]
            if (rh >> 8) & 3 == 0:
                break
            self.early.append(pkt)
        status = struct.unpack_from("<i", pkt, 4)[0]
        return rh, status, pkt[8:]

    def p2a(self, timeout=3.0):
        if self.early:
            return self.early.pop(0)
        self.s.settimeout(timeout)
        try:
            return self.s.recv(4096)
        except socket.timeout:
            return None
        finally:
            self.s.settimeout(3)


def words(b):
    return struct.unpack("<%dI" % (len(b) // 4), b[: len(b) // 4 * 4])


def start(path, agent):
    p = subprocess.Popen([SERVER, "--socket-path", path, "--agent", str(agent), "--update-ms", "20"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(path):
            break
        time.sleep(0.05)
    return p


tmp = tempfile.mkdtemp(prefix="avps-scmi.")
path = os.path.join(tmp, "scmi.sock")
srv = start(path, 1)
try:
    c = Client(path)
    # PROTOCOL_VERSION of every protocol, token echoed
    for p, v in VERSIONS.items():
        rh, st, ret = c.call(p, 0)
        ok = st == 0 and len(ret) == 4 and words(ret)[0] == v and rh == hdr(0, p, c.token)
        check(f"version-{NAMES[p]}", ok, f"(status {st}, reply {ret.hex()})")
    rh, st, ret = c.call(0x10, 3)
    check("base-vendor", st == 0 and ret.rstrip(b"\0") == b"libavps", repr(ret))
    rh, st, ret = c.call(0x10, 6, 0)
    ids = list(ret[4:4 + words(ret)[0]]) if st == 0 else []
    check("base-list-protocols", ids == list(range(0x11, 0x1a)), repr(ids))
    rh, st, ret = c.call(0x10, 0x0f)
    check("unknown-message-not-found", st == -4 and ret == b"", f"({st})")
    rh, st, ret = c.call(0x10, 0, 1)
    check("wrong-length-protocol-error", st == -10, f"({st})")
    rh, st, ret = c.call(0x42, 0)
    check("unknown-protocol-not-supported", st == -1, f"({st})")
    # sensors: descriptions (multi-part in 128 bytes), IIO-style axes
    rh, st, ret = c.call(0x15, 3, 0)
    n = words(ret)[0] & 0xfff if st == 0 else 0
    names = [ret[4 + 28 * i + 12: 4 + 28 * i + 28].rstrip(b"\0").decode() for i in range(n)]
    check("sensor-descriptions", names == ["ACCEL", "GYRO", "soc-temp"], repr(names))
    rh, st, ret = c.call(0x15, 0xd, 0, 0)
    got = []
    first = 0
    while st == 0 and first < 3:
        rh, st, ret = c.call(0x15, 0xd, 0, first)
        k = words(ret)[0] & 0x3f
        for i in range(k):
            got.append(ret[4 + 68 * i + 4: 4 + 68 * i + 68].rstrip(b"\0").decode())
        first += max(k, 1)
    check("sensor-axis-names", got == ["ACCEL_X", "ACCEL_Y", "ACCEL_Z"], repr(got))
    rh, st, ret = c.call(0x15, 6, 0, 0)
    check("sensor-read-3-axes", st == 0 and len(ret) == 48, f"({st}, {len(ret)})")
    # asynchronous read: SUCCESS now, SENSOR_READING_COMPLETE (type 2) later
    rh, st, ret = c.call(0x15, 6, 2, 1)
    tok = c.token
    pkt = c.p2a()
    ok = st == 0 and ret == b"" and pkt is not None and words(pkt)[0] == hdr(6, 0x15, tok, 2) \
        and words(pkt)[1] == 0 and words(pkt)[2] == 2 and len(pkt) == 28
    check("sensor-async-delayed-response", ok, repr(pkt))
    # continuous updates: enable the sensor and subscribe
    rh, st1, _ = c.call(0x15, 0xa, 0, 1)
    rh, st2, _ = c.call(0x15, 0xb, 0, 1)
    pkt = c.p2a()
    ok = st1 == 0 and st2 == 0 and pkt is not None and words(pkt)[0] == hdr(1, 0x15, 0, 3) \
        and words(pkt)[2] == 0 and len(pkt) == 4 + 8 + 48
    check("sensor-update-notification", ok, repr(pkt))
    c.call(0x15, 0xb, 0, 0)
    c.call(0x15, 0xa, 0, 0)
    # clock, power, performance round trips
    rh, st, _ = c.call(0x14, 5, 0, 0, 48000000, 0)
    rh, st2, ret = c.call(0x14, 6, 0)
    check("clock-rate-set-get", st == 0 and st2 == 0 and words(ret)[0] == 48000000, f"({st},{st2})")
    rh, st, _ = c.call(0x11, 4, 0, 1, 0x40000000)
    rh, st2, ret = c.call(0x11, 5, 1)
    check("power-state-set-get", st == 0 and st2 == 0 and words(ret)[0] == 0x40000000, f"({st})")
    rh, st, _ = c.call(0x13, 7, 0, 400)
    rh, st2, ret = c.call(0x13, 8, 0)
    check("perf-level-set-get", st == 0 and words(ret)[0] == 400, f"({st})")
    rh, st, _ = c.call(0x13, 7, 0, 401)
    check("perf-level-out-of-range", st == -5, f"({st})")
    rh, st, _ = c.call(0x17, 7, 1, 0, 2500000)
    rh, st2, ret = c.call(0x17, 8, 1)
    check("voltage-level-set-get", st == 0 and struct.unpack("<i", ret)[0] == 2500000, f"({st})")
    rh, st, _ = c.call(0x16, 4, 1, 1, 0)
    check("reset-domain", st == 0, f"({st})")
    c.s.close()
finally:
    srv.terminate()
    srv.wait(timeout=5)

# a second agent: sensors only, temperature sensor only
path2 = os.path.join(tmp, "scmi2.sock")
srv = start(path2, 2)
try:
    c = Client(path2)
    rh, st, _ = c.call(0x15, 6, 0, 0)
    check("agent2-accel-denied", st == -3, f"({st})")
    rh, st, ret = c.call(0x15, 6, 2, 0)
    check("agent2-temp-allowed", st == 0 and len(ret) == 16, f"({st})")
    rh, st, _ = c.call(0x14, 0)
    check("agent2-clock-not-supported", st == -1, f"({st})")
    c.s.close()
finally:
    srv.terminate()
    srv.wait(timeout=5)
check("server-removes-socket", not os.path.exists(path) and not os.path.exists(path2))
os.rmdir(tmp)
print(f"scmi-session: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
