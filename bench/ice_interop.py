"""ICE connection time between real agent processes, weft (`weft ice`) and
aioice (tests/interop/ice_aioice.py), in every role combination. Run inside
a network namespace with a veth pair (bench/ice_interop.sh sets it up):
aioice does not gather on loopback.

Measured per run: from the moment both description lines have been handed
over to the moment both agents printed "connected" (process start and
gathering excluded). Prints one JSON line per combination: the median in
ms, with the runs.

usage: /usr/bin/python3 ice_interop.py WEFT_BIN AIOICE_SCRIPT [RUNS]
"""
import asyncio
import json
import statistics
import sys
import time

TIMEOUT = 30


def command(kind, role, weft, script):
    if kind == "weft":
        return [weft, "ice", "--" + role]
    return [sys.executable, script, role]


async def one_run(a_cmd, b_cmd):
    procs = [await asyncio.create_subprocess_exec(
        *c, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL) for c in (a_cmd, b_cmd)]
    try:
        lines = [await asyncio.wait_for(p.stdout.readline(), TIMEOUT)
                 for p in procs]
        if not all(l.startswith(b"{") for l in lines):
            return None
        t0 = time.monotonic()
        procs[0].stdin.write(lines[1])
        procs[1].stdin.write(lines[0])
        for p in procs:
            await p.stdin.drain()

        async def connected(p):
            while True:
                l = await p.stdout.readline()
                if not l:
                    return False
                if l.startswith(b"connected"):
                    return True

        ok = await asyncio.wait_for(
            asyncio.gather(*(connected(p) for p in procs)), TIMEOUT)
        t1 = time.monotonic()
        return (t1 - t0) * 1000.0 if all(ok) else None
    except asyncio.TimeoutError:
        return None
    finally:
        for p in procs:
            if p.stdin and not p.stdin.is_closing():
                p.stdin.close()
        for p in procs:
            try:
                await asyncio.wait_for(p.wait(), 10)
            except asyncio.TimeoutError:
                p.kill()
                await p.wait()


async def main():
    weft, script = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    combos = [("weft", "weft"), ("weft", "aioice"), ("aioice", "weft"),
              ("aioice", "aioice")]
    status = 0
    for ctl, ctd in combos:
        vals = []
        for _ in range(runs):
            ms = await one_run(command(ctl, "controlling", weft, script),
                               command(ctd, "controlled", weft, script))
            if ms is not None:
                vals.append(round(ms, 3))
        if not vals:
            print("ice_interop: %s-%s never connected" % (ctl, ctd),
                  file=sys.stderr)
            status = 1
            continue
        print(json.dumps({
            "bench": "ice_connect_%s_%s" % (ctl, ctd),
            "unit": "ms", "value": statistics.median(vals),
            "controlling": ctl, "controlled": ctd,
            "connected": len(vals), "attempts": runs, "runs": vals,
        }), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
