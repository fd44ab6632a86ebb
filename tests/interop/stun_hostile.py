#!/usr/bin/env python3
"""Hostile input against a STUN server on loopback (used by
test_stun_hostile.sh): garbage, truncated and oversized datagrams, TCP junk,
idle and excess connections; then checks that valid requests are still
answered correctly. Builds and checks STUN messages itself, independently
of weft's codec. Sends only to the address given (127.0.0.1 or ::1)."""
import os
import socket
import struct
import sys
import time
import zlib

MAGIC = 0x2112A442
HOST, PORT = sys.argv[1], int(sys.argv[2])
FAMILY = socket.AF_INET6 if ":" in HOST else socket.AF_INET
fails = 0


def check(ok, what):
    global fails
    print(("PASS: " if ok else "FAIL: ") + what, flush=True)
    if not ok:
        fails += 1


def attr(t, v):
    return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)


def message(mtype, txid, attrs=b"", fingerprint=True, bad_fp=False):
    body = attrs
    if fingerprint:
        hdr = struct.pack("!HHI", mtype, len(body) + 8, MAGIC) + txid
        crc = (zlib.crc32(hdr + body) ^ 0x5354554E) & 0xFFFFFFFF
        if bad_fp:
            crc ^= 1
        body += attr(0x8028, struct.pack("!I", crc))
    return struct.pack("!HHI", mtype, len(body), MAGIC) + txid + body


def request(**kw):
    txid = os.urandom(12)
    return txid, message(0x0001, txid, **kw)


def parse(resp, txid):
    """Returns (class, attrs dict) of a response to txid, or raises."""
    mtype, length, magic = struct.unpack("!HHI", resp[:8])
    assert magic == MAGIC and resp[8:20] == txid, "wrong magic or txid"
    assert length + 20 == len(resp), "bad length"
    attrs, off = {}, 20
    while off < len(resp):
        t, n = struct.unpack("!HH", resp[off:off + 4])
        attrs.setdefault(t, resp[off + 4:off + 4 + n])
        if t == 0x8028:
            crc = (zlib.crc32(resp[:off]) ^ 0x5354554E) & 0xFFFFFFFF
            assert struct.unpack("!I", attrs[t])[0] == crc, "bad FINGERPRINT"
        off += 4 + n + (-n % 4)
    cls = ((mtype >> 4) & 1) | ((mtype >> 7) & 2)
    return cls, attrs


def xor_mapped(v, txid):
    fam, port = v[1], struct.unpack("!H", v[2:4])[0] ^ (MAGIC >> 16)
    key = struct.pack("!I", MAGIC) + txid
    ip = bytes(a ^ b for a, b in zip(v[4:], key))
    return socket.inet_ntop(socket.AF_INET if fam == 1 else socket.AF_INET6,
                            ip), port


def check_answer(resp, txid, sock, what):
    try:
        cls, attrs = parse(resp, txid)
        mapped = xor_mapped(attrs[0x0020], txid)
        own = sock.getsockname()[:2]
        check(cls == 2 and mapped == (own[0], own[1]) and 0x8028 in attrs,
              "%s: success, XOR-MAPPED-ADDRESS %s matches" % (what, mapped))
    except Exception as e:  # noqa: BLE001 - any failure is a test failure
        check(False, "%s: bad answer %r (%s)" % (what, resp[:40], e))


def udp_tests():
    s = socket.socket(FAMILY, socket.SOCK_DGRAM)
    s.bind((HOST, 0))
    dst = (HOST, PORT)
    txid, req = request()
    junk = [b"", b"\x00", b"\x00" * 19, os.urandom(100), b"\xff" * 20,
            req[:24], req[:-4], req + b"\0\0\0\0",
            struct.pack("!HHI", 1, 400, MAGIC) + txid,  # length > datagram
            struct.pack("!HHI", 1, 2, MAGIC) + txid + b"\0\0",  # not x4
            message(0x0001, txid, bad_fp=True),  # bad FINGERPRINT
            message(0x0011, txid),  # Binding indication: no answer
            message(0x0101, txid),  # Binding success: no answer
            message(0x0001, txid, attr(0x0006, b"\xff" * 600) * 3),
            b"\x00\x01" + b"\x00" * 9000,  # oversized
            message(0x0001, txid, attr(0x8022, b"x" * 60000)),  # huge
            ]
    for _ in range(3):
        for j in junk:
            s.sendto(j, dst)
    for _ in range(2000):
        s.sendto(os.urandom(1 + (_ % 200)), dst)
    # 420 for an unknown comprehension-required attribute
    t420, r420 = request(attrs=attr(0x7777, b"abcd"))
    s.sendto(r420, dst)
    s.settimeout(2)
    try:
        resp = s.recv(2048)
        cls, attrs = parse(resp, t420)
        code = attrs[0x0009]
        check(cls == 3 and code[2] * 100 + code[3] == 420 and
              attrs.get(0x000A) == b"\x77\x77",
              "udp: 420 with UNKNOWN-ATTRIBUTES 0x7777")
    except Exception as e:  # noqa: BLE001
        check(False, "udp: 420 expected (%s)" % e)
    # nothing else may have been answered
    s.settimeout(0.3)
    extra = 0
    try:
        while True:
            s.recv(2048)
            extra += 1
    except socket.timeout:
        pass
    check(extra == 0, "udp: no answer to any hostile datagram (%d)" % extra)
    txid, req = request()
    s.settimeout(1)
    for _ in range(5):
        s.sendto(req, dst)
        try:
            resp = s.recv(2048)
            break
        except socket.timeout:
            resp = b""
    check_answer(resp, txid, s, "udp after junk")


def closed_within(c, secs):
    """True when the server closes c within secs."""
    c.settimeout(secs)
    try:
        while True:
            if c.recv(4096) == b"":
                return True
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def tcp_connect():
    c = socket.create_connection((HOST, PORT), timeout=3)
    return c


def tcp_ask(c, what):
    txid, req = request()
    c.sendall(req)
    c.settimeout(3)
    resp = b""
    while len(resp) < 20 or len(resp) < 20 + struct.unpack("!H",
                                                            resp[2:4])[0]:
        chunk = c.recv(4096)
        if not chunk:
            break
        resp += chunk
    check_answer(resp, txid, c, what)


def tcp_tests(idle_ms, max_conns):
    for name, data in [("http junk", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
                       ("huge length", struct.pack("!HHI", 1, 0xFFFC, MAGIC)
                        + os.urandom(12)),
                       ("bad fingerprint",
                        message(0x0001, os.urandom(12), bad_fp=True)),
                       ("bad cookie", b"\x00\x01\x00\x00" + os.urandom(16))]:
        c = tcp_connect()
        c.sendall(data)
        check(closed_within(c, 3), "tcp %s: connection closed" % name)
        c.close()
    # pipelined, and split byte by byte
    c = tcp_connect()
    t1, r1 = request()
    t2, r2 = request()
    c.sendall(r1 + r2)
    got = b""
    c.settimeout(3)
    while len(got) < 2 * 44:
        chunk = c.recv(4096)
        if not chunk:
            break
        got += chunk
    n1 = 20 + struct.unpack("!H", got[2:4])[0]
    check_answer(got[:n1], t1, c, "tcp pipelined 1")
    check_answer(got[n1:], t2, c, "tcp pipelined 2")
    t3, r3 = request()
    for b in r3[:-1]:
        c.sendall(bytes([b]))
        time.sleep(0.002)
    c.sendall(r3[-1:])
    c.settimeout(3)
    resp = c.recv(4096)
    check_answer(resp, t3, c, "tcp byte by byte")
    c.close()
    # idle timeout: a partial header, then silence
    c = tcp_connect()
    c.sendall(b"\x00\x01\x00")
    start = time.monotonic()
    ok = closed_within(c, idle_ms / 1000 * 4 + 1)
    took = (time.monotonic() - start) * 1000
    check(ok and took >= idle_ms * 0.8,
          "tcp idle: closed after %.0f ms (idle %d ms)" % (took, idle_ms))
    c.close()
    # connection limit
    conns = []
    for i in range(max_conns):
        c = tcp_connect()
        tcp_ask(c, "tcp conn %d of %d" % (i + 1, max_conns))
        conns.append(c)
    extra = tcp_connect()
    check(closed_within(extra, 2), "tcp: connection over the limit closed")
    extra.close()
    for c in conns:
        c.close()
    time.sleep(0.2)
    c = tcp_connect()
    tcp_ask(c, "tcp after the others closed")
    c.close()


udp_tests()
tcp_tests(int(sys.argv[3]), int(sys.argv[4]))
sys.exit(1 if fails else 0)
