"""An aioice agent speaking `weft ice`'s signalling: prints its description
as one JSON line {"ufrag","pwd","candidates":["candidate:..."]}, reads the
peer's line from stdin, connects, prints "connected LOCAL -> REMOTE", then
keeps the session (aioice's consent checks) until stdin closes.

usage: /usr/bin/python3 ice_aioice.py controlling|controlled [v4|v6]
(v4, the default: IPv4 candidates only; v6: IPv6 only)
"""
import asyncio
import json
import sys

import aioice


async def read_line(loop):
    return await loop.run_in_executor(None, sys.stdin.readline)


async def main(role, family):
    loop = asyncio.get_running_loop()
    conn = aioice.Connection(ice_controlling=(role == "controlling"),
                             components=1, use_ipv4=(family == "v4"),
                             use_ipv6=(family == "v6"))
    await conn.gather_candidates()
    desc = {
        "ufrag": conn.local_username,
        "pwd": conn.local_password,
        "candidates": ["candidate:" + c.to_sdp() for c in conn.local_candidates],
    }
    print(json.dumps(desc), flush=True)
    line = await read_line(loop)
    if not line:
        print("aioice: stdin closed before the peer's line", file=sys.stderr)
        return 1
    peer = json.loads(line)
    conn.remote_username = peer["ufrag"]
    conn.remote_password = peer["pwd"]
    for text in peer["candidates"]:
        if text.startswith("candidate:"):
            text = text[len("candidate:"):]
        await conn.add_remote_candidate(aioice.Candidate.from_sdp(text))
    await conn.add_remote_candidate(None)
    try:
        await asyncio.wait_for(conn.connect(), 25)
    except Exception as e:  # ConnectionError, TimeoutError
        print("aioice: connect failed: %r" % (e,), file=sys.stderr)
        await conn.close()
        return 1
    pair = conn._nominated.get(1)
    where = ""
    if pair is not None:
        where = " %s:%d -> %s:%d" % (pair.local_addr + pair.remote_addr)
    print("connected" + where, flush=True)
    # Keep the session until stdin closes; consent checks run meanwhile.
    await loop.run_in_executor(None, sys.stdin.read)
    closed = conn._query_consent_handle is None
    await conn.close()
    if closed:
        print("aioice: consent expired", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    family = sys.argv[2] if len(sys.argv) > 2 else "v4"
    sys.exit(asyncio.run(main(sys.argv[1], family)))
