#!/usr/bin/env python3
"""A scripted UDP STUN server on loopback for test_stun_client_responses.sh:
answers each Binding request the way MODE says, to check how
`weft stun-client` treats each kind of answer. Prints "ready" when bound and
the arrival time of each request (ms since the first) on stderr."""
import socket
import struct
import sys
import time
import zlib

MAGIC = 0x2112A442
host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((host, port))
s.settimeout(20)
print("ready", flush=True)


def attr(t, v):
    return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)


def msg(mtype, txid, attrs, fp=True, bad_fp=False):
    if fp:
        hdr = struct.pack("!HHI", mtype, len(attrs) + 8, MAGIC) + txid
        crc = (zlib.crc32(hdr + attrs) ^ 0x5354554E) & 0xFFFFFFFF
        attrs += attr(0x8028, struct.pack("!I", crc ^ (1 if bad_fp else 0)))
    return struct.pack("!HHI", mtype, len(attrs), MAGIC) + txid + attrs


def xor_addr(addr, txid):
    ip = socket.inet_pton(fam, addr[0])
    key = struct.pack("!I", MAGIC) + txid
    x = bytes(a ^ b for a, b in zip(ip, key))
    return struct.pack("!BBH", 0, 1 if len(ip) == 4 else 2,
                       addr[1] ^ (MAGIC >> 16)) + x


start = None
n = 0
while True:
    data, peer = s.recvfrom(2048)
    now = time.monotonic()
    start = start or now
    n += 1
    print("request %d at %d ms" % (n, (now - start) * 1000), file=sys.stderr,
          flush=True)
    txid = data[8:20]
    good = msg(0x0101, txid, attr(0x0020, xor_addr(peer, txid)))
    if mode == "error":
        out = [msg(0x0111, txid, attr(0x0009, b"\0\0\x04\x01Unauthorized"))]
    elif mode == "badfp":
        out = [msg(0x0101, txid, attr(0x0020, xor_addr(peer, txid)),
                   bad_fp=True)]
    elif mode == "noaddr":
        out = [msg(0x0101, txid, attr(0x8022, b"fake"))]
    elif mode == "indication":
        out = [msg(0x0011, txid, b"")]  # a Binding indication
    elif mode == "strangers":
        other = bytes(b ^ 0xFF for b in txid)
        out = [b"\x17\x03\x03junk", msg(0x0101, other, b""), good]
    elif mode == "drop2":
        out = [good] if n >= 3 else []
    else:
        out = [good]
    for o in out:
        s.sendto(o, peer)
