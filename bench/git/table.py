#!/usr/bin/env python3
"""Turn bench/git/run.sh's samples into a markdown table.

Input: one sample per line, "key=value" fields separated by spaces:
  bench=NAME tool=git|cloudlet run=N wall=S user=S sys=S maxrss_kb=KB rc=N
  [server_cpu=S complete=yes|no] [sha256=HEX bytes=N] [idx_same=yes|no]
run=0 is the warm-up and is left out. Each cell is the median over the runs,
with the smallest and largest in brackets. The last column is git's median
divided by cloudlet's: above 1 means cloudlet is better (faster, less CPU,
less memory).

Usage: table.py SAMPLES
"""
import statistics
import sys

BENCHES = [
    ("index-pack", "`index-pack` of the 30 MB pack (git: `--threads=1`)"),
    ("cat-all", "every object, `cat-file --batch-all-objects --batch` format"),
    ("clone", "`git clone --bare` over smart HTTP (client: git 2.39, protocol v2)"),
    ("fetch", "the clone's v2 fetch request by `curl`, pack stored, not indexed"),
]
METRICS = {
    "index-pack": [("wall", "time (s)"), ("cpu", "CPU user+sys (s)"), ("rss", "peak RSS (MiB)")],
    "cat-all": [("wall", "time (s)"), ("cpu", "CPU user+sys (s)"), ("rss", "peak RSS (MiB)")],
    "clone": [("wall", "clone time (s)"), ("server_cpu", "server CPU (s)"),
              ("cpu", "client CPU (s)"), ("rss", "client peak RSS (MiB)")],
    "fetch": [("wall", "time (s)"), ("server_cpu", "server CPU (s)")],
}
TOOLS = {"index-pack": ("git", "gitkv"), "cat-all": ("git", "gitkv"), "clone": ("git http-backend", "httpd"),
         "fetch": ("git http-backend", "httpd")}


def load(path):
    rows = []
    for line in open(path):
        f = dict(kv.split("=", 1) for kv in line.split())
        if not f:
            continue
        rows.append(f)
    return rows


def value(row, metric):
    if metric == "cpu":
        return float(row["user"]) + float(row["sys"])
    if metric == "rss":
        return int(row["maxrss_kb"]) / 1024.0
    return float(row[metric])


def cell(vals):
    if not vals:
        return "—"
    m = statistics.median(vals)
    if len(vals) == 1:
        return "%.3f" % m
    return "%.3f (%.3f–%.3f)" % (m, min(vals), max(vals))


def main():
    rows = load(sys.argv[1])
    out = []
    out.append("| benchmark | metric | git | cloudlet | git ÷ cloudlet |")
    out.append("|---|---|---|---|---|")
    notes = []
    for bench, title in BENCHES:
        by_tool = {}
        for r in rows:
            if r.get("bench") == bench and r.get("run") != "0":
                by_tool.setdefault(r["tool"], []).append(r)
        if not by_tool:
            continue
        for tool, rs in by_tool.items():
            def failed(r):
                return r.get("rc") != "0" or r.get("complete") == "no"
            bad = [r for r in rs if failed(r)]
            if bad:
                notes.append("%s/%s: %d run(s) FAILED (rc %s, complete %s); their numbers are left out"
                             % (bench, tool, len(bad), ",".join(r["rc"] for r in bad),
                                ",".join(r.get("complete", "-") for r in bad)))
                by_tool[tool] = [r for r in rs if not failed(r)]
        git_name, ours_name = TOOLS[bench]
        # A result that is wrong has no speed: no ratio for it.
        invalid = ""
        ours = by_tool.get("cloudlet", [])
        gsums = {r["sha256"] for r in by_tool.get("git", []) if "sha256" in r}
        if any(r.get("idx_valid") == "no" for r in ours):
            invalid = "INVALID: .idx rejected by git verify-pack"
        elif gsums and any(r.get("sha256") not in gsums for r in ours):
            invalid = "INVALID: output differs from git's"
        first = True
        for metric, label in METRICS[bench]:
            g = [value(r, metric) for r in by_tool.get("git", [])]
            c = [value(r, metric) for r in by_tool.get("cloudlet", [])]
            ratio = "—"
            if invalid:
                ratio = invalid
            elif g and c and statistics.median(c) > 0:
                ratio = "%.2f×" % (statistics.median(g) / statistics.median(c))
            name = ("**%s** — %s; git = %s, cloudlet = %s" % (bench, title, git_name, ours_name)) if first else ""
            first = False
            out.append("| %s | %s | %s | %s | %s |" % (
                name, label, cell(g), cell(c) if "cloudlet" in by_tool else "not run", ratio))
        # Correctness: output checksums and idx bytes.
        for tool in ("git", "cloudlet"):
            rs = by_tool.get(tool, [])
            sums = sorted({r["sha256"] for r in rs if "sha256" in r})
            if sums:
                size = rs[-1].get("bytes", "?")
                notes.append("%s/%s output: sha256 %s (%s bytes)%s" % (
                    bench, tool, ", ".join(sums), size,
                    "" if len(sums) == 1 else " — DIFFERS BETWEEN RUNS"))
            same = {r["idx_same"] for r in rs if "idx_same" in r}
            valid = {r["idx_valid"] for r in rs if "idx_valid" in r}
            if same:
                notes.append("%s/%s: .idx byte-identical to the repository's own (written by git): %s; accepted by git verify-pack: %s" % (
                    bench, tool, "/".join(sorted(same)), "/".join(sorted(valid))))
        gs = {r["sha256"] for r in by_tool.get("git", []) if "sha256" in r}
        cs = {r["sha256"] for r in by_tool.get("cloudlet", []) if "sha256" in r}
        if gs and cs:
            notes.append("%s: cloudlet output %s git's" % (
                bench, "IDENTICAL to" if gs == cs and len(gs) == 1 else "DIFFERS from"))
    print("\n".join(out))
    if notes:
        print()
        for n in notes:
            print("- " + n)


if __name__ == "__main__":
    main()
