#!/usr/bin/env python3
"""Turns repeated benchmark runs into one JSON line per figure (medians).

  summarize.py programs RUN1.json RUN2.json ...
      Each file is the stdout of one run of one bench_* program (JSON lines).
      The k-th line named B in every run is one figure: it is printed once,
      with "value" the median over the runs and "runs" the values.

  summarize.py servers RESULTS.tsv --clk-tck N --rate R --duration S
      RESULTS.tsv lines: server, mode (rate|max), run, server CPU ticks
      during the run, the load generator's JSON line. Prints the weft vs
      coturn comparison figures (see bench/README.md).

Only JSON goes to stdout; anything unparsable is reported on stderr.
"""
import argparse
import json
import statistics
import sys


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def rounded(x, digits=3):
    return None if x is None else round(x, digits)


def load_runs(paths):
    runs = []
    for path in paths:
        lines = []
        with open(path, encoding="utf-8") as f:
            for text in f:
                text = text.strip()
                if not text:
                    continue
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError:
                    print(f"summarize: not JSON in {path}: {text[:80]}",
                          file=sys.stderr)
                    continue
                if isinstance(obj, dict) and "bench" in obj:
                    lines.append(obj)
        runs.append(lines)
    return runs


def programs(paths):
    runs = [r for r in load_runs(paths) if r]
    if not runs:
        return
    figures = {}  # (bench, k-th occurrence) -> [line per run]
    order = []
    for lines in runs:
        seen = {}
        for obj in lines:
            k = seen.get(obj["bench"], 0)
            seen[obj["bench"]] = k + 1
            key = (obj["bench"], k)
            if key not in figures:
                figures[key] = []
                order.append(key)
            figures[key].append(obj)
    for key in order:
        objs = figures[key]
        if len(objs) == 1:
            print(json.dumps(objs[0]))
            continue
        values = [o.get("value") for o in objs]
        numeric = [v for v in values if isinstance(v, (int, float))]
        out = dict(objs[len(objs) // 2])
        if numeric:
            out["value"] = median(numeric)
        out["runs"] = values
        print(json.dumps(out))


def read_servers(path, clk_tck):
    """{(server, mode): [run dict]}"""
    results = {}
    with open(path, encoding="utf-8") as f:
        for text in f:
            parts = text.rstrip("\n").split("\t", 4)
            if len(parts) != 5:
                continue
            server, mode, run, ticks, line = parts
            try:
                load = json.loads(line)
            except json.JSONDecodeError:
                print(f"summarize: bad load line: {line[:80]}", file=sys.stderr)
                continue
            answered = load.get("answered", 0)
            cpu_us = int(ticks) * 1e6 / clk_tck
            results.setdefault((server, mode), []).append({
                "run": int(run),
                "cpu_us": cpu_us,
                "cpu_us_per_req": cpu_us / answered if answered else None,
                "answered_per_s": load.get("value"),
                "duration_s": load.get("duration_s") or 0,
                "sent": load.get("sent", 0),
                "answered": answered,
                "lost": load.get("lost", 0),
                "deferred": load.get("deferred", 0),
                "rtt_p50_us": load.get("rtt_p50_us"),
                "rtt_p99_us": load.get("rtt_p99_us"),
            })
    return results


def side(results, server, mode, field):
    runs = results.get((server, mode), [])
    values = [r[field] for r in runs]
    return median(values), [rounded(v) for v in values], runs


def figure(results, name, unit, mode, field, better, extra):
    value, runs, wruns = side(results, "weft", mode, field)
    ref, ref_runs, cruns = side(results, "coturn", mode, field)
    ratio = None
    if value and ref:
        ratio = ref / value if better == "lower" else value / ref
    out = {"bench": name, "unit": unit, "value": rounded(value),
           "server": "weft stun", "runs": runs,
           "reference": rounded(ref), "reference_server": "coturn",
           "reference_runs": ref_runs, "ratio": rounded(ratio),
           "ratio_is": ("coturn/weft" if better == "lower" else
                        "weft/coturn") + " (>1: weft better)"}
    floor, floor_runs, _ = side(results, "floor", mode, field)
    if floor_runs:
        out["floor"] = rounded(floor)
        out["floor_server"] = "bench_stun_reflect"
        out["floor_runs"] = floor_runs
    out.update(extra)
    for prefix, rs in (("", wruns), ("reference_", cruns)):
        if rs:
            out[prefix + "answered_per_s"] = rounded(
                median([r["answered_per_s"] for r in rs]), 0)
            out[prefix + "lost_total"] = sum(r["lost"] for r in rs)
            # Share of one CPU the server used while loaded: ~1 at max rate
            # means the server was the bottleneck.
            out[prefix + "server_cpu_share"] = rounded(median(
                [r["cpu_us"] / 1e6 / r["duration_s"] for r in rs
                 if r["duration_s"]]), 2)
            out[prefix + "sent_total"] = sum(r["sent"] for r in rs)
            out[prefix + "deferred_total"] = sum(r["deferred"] for r in rs)
            out[prefix + "rtt_p50_us"] = median([r["rtt_p50_us"] for r in rs])
            if isinstance(extra.get("offered_rate"), (int, float)):
                # Did this side really get the offered load (>= 97%)?
                out[prefix + "sustained"] = (
                    out[prefix + "answered_per_s"] >= 0.97 * extra["offered_rate"])
    print(json.dumps(out))


def servers(args):
    results = read_servers(args.results, args.clk_tck)
    common = {"duration_s": args.duration, "coturn_version":
              args.coturn_version, "loadavg_before": args.loadavg}
    figure(results, "stun_server_cpu_us_per_binding_fixed_rate", "us/req",
           "rate", "cpu_us_per_req", "lower",
           dict(common, offered_rate=args.rate))
    figure(results, "stun_server_cpu_us_per_binding_max_rate", "us/req",
           "max", "cpu_us_per_req", "lower", dict(common, offered_rate="max"))
    figure(results, "stun_server_bindings_per_s_max_rate", "req/s", "max",
           "answered_per_s", "higher", dict(common, offered_rate="max"))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("programs")
    p.add_argument("files", nargs="*")
    s = sub.add_parser("servers")
    s.add_argument("results")
    s.add_argument("--clk-tck", type=int, default=100)
    s.add_argument("--rate", type=float, required=True)
    s.add_argument("--duration", type=float, required=True)
    s.add_argument("--coturn-version", default="")
    s.add_argument("--loadavg", type=float, default=None,
                   help="1-minute load average when the runs started")
    args = ap.parse_args()
    if args.cmd == "programs":
        programs(args.files)
    else:
        servers(args)


if __name__ == "__main__":
    main()
