#!/usr/bin/env python3
"""Hostile input against `weft turn` (sent only to 127.0.0.1): random and
crafted UDP datagrams (garbage, truncated STUN, ChannelData with lying
lengths, unauthenticated requests of every TURN method, responses), and TCP
streams (junk, lying frame lengths, half frames then close). Then checks
the server still answers a Binding request over UDP and TCP.
Usage: turn_hostile.py PORT"""
import random
import socket
import struct
import sys

PORT = int(sys.argv[1])
MAGIC = 0x2112A442
rng = random.Random(1234)


def stun(typ, body=b"", length=None, txid=None):
    txid = txid or bytes(rng.getrandbits(8) for _ in range(12))
    n = len(body) if length is None else length
    return struct.pack(">HHI", typ, n, MAGIC) + txid + body


def attr(t, v):
    return struct.pack(">HH", t, len(v)) + v + b"\0" * ((4 - len(v) % 4) % 4)


def udp_flood():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    msgs = []
    for _ in range(300):
        msgs.append(bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200))))
    for m in (0x0003, 0x0004, 0x0008, 0x0009, 0x0016, 0x0101, 0x0113, 0x0ff3):
        msgs.append(stun(m))
        msgs.append(stun(m, attr(0x0019, b"\x11\0\0\0")))
        msgs.append(stun(m, b"\0" * 8, length=64))  # lying length
        msgs.append(stun(m, attr(0x0012, b"\0\1\2"), length=7))
        msgs.append(stun(m, attr(0x0006, b"u") + attr(0x0008, b"\0" * 20)))
    for n in (0, 1, 3, 4, 100, 0xFFFF):
        msgs.append(struct.pack(">HH", 0x4000 + n % 0x1000, n) + b"x" * 10)
    msgs.append(b"\x40" + b"\0" * 70000)  # too big for UDP: dropped by kernel
    for m in msgs:
        try:
            s.sendto(m[:65507], ("127.0.0.1", PORT))
        except OSError:
            pass
    s.close()


def tcp_junk():
    cases = [
        b"\xff" * 100,                                  # not TURN at all
        stun(0x0001, length=65532),                     # lying length, huge
        struct.pack(">HH", 0x4001, 8000) + b"x" * 100,  # channel frame > buffer
        stun(0x0003, attr(0x0019, b"\x11\0\0\0"))[:15], # half a message
        stun(0x0003, attr(0x0019, b"\x11\0\0\0")) * 3,  # three 401s
    ]
    for c in cases:
        t = socket.create_connection(("127.0.0.1", PORT), timeout=5)
        try:
            t.sendall(c)
            t.settimeout(0.5)
            try:
                t.recv(4096)
            except (socket.timeout, ConnectionResetError):
                pass
        finally:
            t.close()


def binding_udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    req = stun(0x0001)
    s.sendto(req, ("127.0.0.1", PORT))
    data, _ = s.recvfrom(2048)
    assert data[:2] == b"\x01\x01" and data[8:20] == req[8:20], data
    s.close()


def binding_tcp():
    t = socket.create_connection(("127.0.0.1", PORT), timeout=5)
    req = stun(0x0001)
    t.sendall(req)
    data = t.recv(2048)
    assert data[:2] == b"\x01\x01" and data[8:20] == req[8:20], data
    t.close()


udp_flood()
tcp_junk()
binding_udp()
binding_tcp()
print("hostile input sent; server still answers over UDP and TCP")
