#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_stun (fuzz/corpus/stun/): the RFC 5769
vectors and a few real-shaped ICE, error and TURN messages. Independent of
weft's own encoder on purpose (Python hmac/hashlib/zlib)."""
import hashlib, hmac, os, struct, zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "stun")
COOKIE = 0x2112A442

def h(s):
    return bytes.fromhex("".join(s.split()))

RFC = {
    "rfc5769_2_1_request": h("""00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74 00 24 00 04 6e 00 01 ff
        80 29 00 08 93 2f f9 b1 51 26 3b 36 00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
        00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
        80 28 00 04 e5 7a 3b cf"""),
    "rfc5769_2_2_ipv4_response": h("""01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20 00 20 00 08 00 01 a1 47 e1 12 a6 43
        00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
        80 28 00 04 c0 7d 4c 96"""),
    "rfc5769_2_3_ipv6_response": h("""01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
        00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
        80 28 00 04 c8 fb 0b 4c"""),
    "rfc5769_2_4_long_term": h("""00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
        00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
        00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
        00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
        00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66"""),
}

def mtype(method, cls):
    return ((method & 0xF80) << 2) | ((method & 0x70) << 1) | (method & 0xF) | \
           ((cls & 2) << 7) | ((cls & 1) << 4)

def attr(t, v):
    return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)

class Msg:
    def __init__(self, method, cls, txid):
        self.head = (mtype(method, cls), txid)
        self.body = b""
    def hdr(self, extra):
        return struct.pack("!HHI", self.head[0], len(self.body) + extra, COOKIE) + self.head[1]
    def add(self, t, v):
        self.body += attr(t, v)
        return self
    def mi(self, key, sha256=False):
        n = 32 if sha256 else 20
        mac = hmac.new(key, self.hdr(4 + n) + self.body,
                       hashlib.sha256 if sha256 else hashlib.sha1).digest()
        return self.add(0x001C if sha256 else 0x0008, mac[:n])
    def fp(self):
        crc = zlib.crc32(self.hdr(8) + self.body) ^ 0x5354554E
        return self.add(0x8028, struct.pack("!I", crc))
    def bytes(self):
        return self.hdr(0) + self.body

def xaddr(ip4, port, txid):
    return struct.pack("!BBH", 0, 1, port ^ (COOKIE >> 16)) + \
        bytes(a ^ b for a, b in zip(ip4, struct.pack("!I", COOKIE)))

def main():
    os.makedirs(OUT, exist_ok=True)
    msgs = dict(RFC)
    t = bytes(range(1, 13))
    pw = b"cLKf8Rb/Vv8aRlVDR4sdwYJd"
    msgs["ice_binding_request"] = Msg(1, 0, t).add(0x0006, b"Ab3x:9kQz") \
        .add(0x8022, b"weft").add(0x802A, bytes(8)).add(0x0025, b"") \
        .add(0x0024, struct.pack("!I", 0x6E7F1EFF)).mi(pw).fp().bytes()
    msgs["ice_binding_request_sha256"] = Msg(1, 0, t).add(0x0006, b"9kQz:Ab3x") \
        .add(0x8029, b"\x11" * 8).add(0x0024, struct.pack("!I", 0x7E7F00FF)) \
        .mi(pw, True).fp().bytes()
    msgs["error_420"] = Msg(1, 3, t).add(0x0009, b"\0\0\x04\x14Unknown Attribute") \
        .add(0x000A, struct.pack("!HH", 0x7777, 0x0002)).fp().bytes()
    msgs["error_401_turn"] = Msg(3, 3, t).add(0x0009, b"\0\0\x04\x01Unauthenticated") \
        .add(0x0014, b"weft.example").add(0x0015, b"obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA") \
        .add(0x8002, struct.pack("!HHHH", 2, 0, 1, 0)).add(0x8022, b"weft").fp().bytes()
    key = hashlib.md5(b"user:weft.example:pass").digest()
    msgs["turn_allocate_request"] = Msg(3, 0, t).add(0x0019, b"\x11\0\0\0") \
        .add(0x000D, struct.pack("!I", 600)).add(0x001A, b"").add(0x0018, b"\x80") \
        .add(0x0006, b"user").add(0x0014, b"weft.example").add(0x0015, b"nonce123") \
        .mi(key).fp().bytes()
    msgs["turn_allocate_success"] = Msg(3, 2, t) \
        .add(0x0016, xaddr(bytes([198, 51, 100, 9]), 50000, t)) \
        .add(0x0020, xaddr(bytes([203, 0, 113, 5]), 61000, t)) \
        .add(0x000D, struct.pack("!I", 600)).add(0x0022, bytes(range(8))) \
        .mi(key).fp().bytes()
    msgs["turn_send_indication"] = Msg(6, 1, t) \
        .add(0x0012, xaddr(bytes([192, 0, 2, 77]), 9000, t)).add(0x0013, b"hello peer") \
        .bytes()
    uh = hashlib.sha256(b"user:weft.example").digest()
    msgs["userhash_password_algorithm"] = Msg(3, 0, t).add(0x001E, uh) \
        .add(0x0014, b"weft.example").add(0x0015, b"nonce123") \
        .add(0x001D, struct.pack("!HH", 2, 0)).add(0x8002, struct.pack("!HHHH", 2, 0, 1, 0)) \
        .mi(hashlib.sha256(b"user:weft.example:pass").digest(), True).bytes()
    msgs["binding_unknown_required"] = Msg(1, 0, t).add(0x7777, b"abcd") \
        .add(0x9999, b"x").add(0x0002, bytes(8)).fp().bytes()
    for name, data in msgs.items():
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            f.write(data)

if __name__ == "__main__":
    main()
