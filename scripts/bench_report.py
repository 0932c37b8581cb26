#!/usr/bin/env python3
"""Turns scripts/bench-vendors' raw TSV into one Markdown table (vendor x workload:
time, GF/s, ratio to the fastest vendor), the summaries the crate's targets are
checked against, and a plot (gnuplot, SVG and PNG).

Usage: bench_report.py vendors.tsv vendors-info.txt OUT_DIR
Prints the table on stdout.
"""
import collections
import os
import re
import shutil
import subprocess
import sys

VENDOR_IMPLS = ["inv_ext inv", "raw getrf+getri", "raw getrf+getrs(I)"]
ROUTE_MARGIN = 0.05  # a route "wins" when the other is more than 5% slower


def fmt_time(s):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def workload(dtype, n, count):
    return f"{dtype} n={n}" if count == 1 else f"{dtype} {count}×{n}×{n} (per matrix)"


def main():
    tsv, info_path, out = sys.argv[1:4]
    rows = []
    for line in open(tsv):
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 7:
            continue
        vendor, dtype, n, count, impl, secs, gflops = parts
        rows.append((vendor, dtype, int(n), int(count), impl, float(secs), float(gflops)))
    info = open(info_path).read().splitlines()

    vendors = list(dict.fromkeys(r[0] for r in rows if r[0] != "peer"))
    peers = list(dict.fromkeys(r[4] for r in rows if r[0] == "peer"))
    loads = list(dict.fromkeys((r[1], r[2], r[3]) for r in rows))
    loads.sort(key=lambda w: (w[0] != "f64", w[2] != 1, w[1], w[2]))
    t = {(r[0], r[1], r[2], r[3], r[4]): r[5] for r in rows}

    lines = []
    head = ["workload", "implementation"] + vendors + (["peer"] if peers else [])
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for (dtype, n, count) in loads:
        flops = 2.0 * n ** 3
        for impl in VENDOR_IMPLS:
            times = [t.get((v, dtype, n, count, impl)) for v in vendors]
            if all(x is None for x in times):
                continue
            best = min(x for x in times if x is not None)
            cells = []
            for x in times:
                if x is None:
                    cells.append("–")
                else:
                    mark = "**" if x == best else ""
                    cells.append(f"{mark}{fmt_time(x)}{mark} · {flops / x / 1e9:.3g} GF/s · {x / best:.2f}×")
            lines.append("| " + " | ".join([workload(dtype, n, count), impl] + cells + ([""] if peers else [])) + " |")
        best_inv = [t.get((v, dtype, n, count, "inv_ext inv")) for v in vendors]
        best_inv = min((x for x in best_inv if x is not None), default=None)
        for impl in peers:
            x = t.get(("peer", dtype, n, count, impl))
            if x is None:
                continue
            ratio = f" · {x / best_inv:.2f}× best inv_ext" if best_inv else ""
            lines.append(
                "| " + " | ".join([workload(dtype, n, count), impl] + [""] * len(vendors)
                                  + [f"{fmt_time(x)} · {flops / x / 1e9:.3g} GF/s{ratio}"]) + " |"
            )
    table = "\n".join(lines)
    print(table)

    # ---- summaries -------------------------------------------------------------------
    summary = []
    summary.append("### Overhead: inv_ext `inv` / raw getrf+getri on the same data (target ≤ 1.03× for n ≥ 256)\n")
    summary.append("| workload | " + " | ".join(vendors) + " |")
    summary.append("|---|" + "---|" * len(vendors))
    for (dtype, n, count) in loads:
        cells = []
        for v in vendors:
            a, b = t.get((v, dtype, n, count, "inv_ext inv")), t.get((v, dtype, n, count, "raw getrf+getri"))
            cells.append(f"{a / b:.3f}" if a and b else "–")
        summary.append(f"| {workload(dtype, n, count)} | " + " | ".join(cells) + " |")
    summary.append("\nBatches: inv_ext splits the stack over rayon's workers (vendor held to one thread); "
                   "the raw loop runs on one thread, so ratios below 1 there are the thread split.\n")

    summary.append("### Route: raw getrf+getrs(I) time / raw getrf+getri time (winner where they differ by more than 5%)\n")
    summary.append("| workload | " + " | ".join(vendors) + " |")
    summary.append("|---|" + "---|" * len(vendors))
    for (dtype, n, count) in loads:
        cells = []
        for v in vendors:
            a, b = t.get((v, dtype, n, count, "raw getrf+getrs(I)")), t.get((v, dtype, n, count, "raw getrf+getri"))
            if not (a and b):
                cells.append("–")
                continue
            r = a / b
            win = "getrs" if r < 1 - ROUTE_MARGIN else "getri" if r > 1 + ROUTE_MARGIN else "tie"
            cells.append(f"{r:.2f} ({win})")
        summary.append(f"| {workload(dtype, n, count)} | " + " | ".join(cells) + " |")

    numpy = [p for p in peers if p.startswith("NumPy")]
    if numpy and "OpenBLAS" in vendors:
        summary.append("\n### NumPy `np.linalg.inv` time / inv_ext `inv` time on OpenBLAS (target ≥ 2× at n = 2048)\n")
        summary.append("| workload | ratio |")
        summary.append("|---|---|")
        for (dtype, n, count) in loads:
            a, b = t.get(("peer", dtype, n, count, numpy[0])), t.get(("OpenBLAS", dtype, n, count, "inv_ext inv"))
            if a and b:
                summary.append(f"| {workload(dtype, n, count)} | {a / b:.2f}× |")

    md = [
        "# inv_ext vendor benchmark",
        "",
        "Reproduce: `scripts/bench-vendors --install` (full) or `scripts/bench-vendors --quick`.",
        "",
        "```",
        *info,
        "```",
        "",
        "Time per matrix (median), GF/s counting 2n³ flops per inverse, and the ratio to the fastest "
        "vendor in the row (bold). Peer rows: the ratio is to the fastest vendor's inv_ext `inv`. "
        "`raw getrf+getri`: a copy into a new buffer, then the two LAPACK calls (workspace "
        "allocated once); `raw getrf+getrs(I)`: LU of a copy, getrs on a new identity. Raw batch rows "
        "loop on one thread; inv_ext splits a batch over rayon's workers.",
        "",
        "![vendor benchmark](vendors.svg)",
        "",
        table,
        "",
        *summary,
        "",
    ]
    md += overhead_table(f"{out}/overhead.tsv")
    open(f"{out}/vendors.md", "w").write("\n".join(md))
    plot(rows, vendors, peers, info, out)


def overhead_table(path):
    """The interleaved-pair ratios of `vendor-bench --overhead`, as Markdown lines
    (none when the file is missing or empty)."""
    try:
        rows = [l.rstrip("\n").split("\t") for l in open(path)]
    except FileNotFoundError:
        return []
    rows = [r for r in rows if len(r) == 8]
    if not rows:
        return []
    whats = list(dict.fromkeys(r[4] for r in rows))
    label = {
        "raw getrs/getri": "raw getrs / raw getri",
        "C": "inv (C order) / raw",
        "F": "inv (F order) / raw",
        "C inv_into": "clone + inv_into / raw",
    }
    lines = [
        "## What inv_ext adds to the vendor (interleaved pairs)",
        "",
        "Each cell: the median of the per-pair time ratios, with the quartiles, from "
        "`vendor-bench --overhead` (the two sides timed alternately, which one goes "
        "first alternating, so that load drifts cancel); the number of pairs in "
        "parentheses. `raw` is a copy into a new buffer plus getrf + getri. "
        "`raw getrs / raw getri` is the route comparison behind `Method::Auto`.",
        "",
        "| vendor | case | " + " | ".join(label.get(w, w) for w in whats) + " |",
        "|" + "---|" * (2 + len(whats)),
    ]
    keys = list(dict.fromkeys((r[0], r[1], r[2]) for r in rows))
    cell = {(r[0], r[1], r[2], r[4]): r for r in rows}
    for (vendor, dtype, n) in keys:
        cells = []
        for w in whats:
            r = cell.get((vendor, dtype, n, w))
            cells.append(
                f"{float(r[5]):.3f} [{float(r[6]):.3f}–{float(r[7]):.3f}] ({r[3]})" if r else ""
            )
        lines.append(f"| {vendor.split(' ')[0]} | {dtype} n={n} | " + " | ".join(cells) + " |")
    return lines + [""]


def short_version(line):
    m = re.search(r"vendor (\S+): (.*?) \(LD_LIBRARY_PATH", line)
    if not m:
        return None
    name, text = m.groups()
    # The vendor's own version comes before ", LAPACK x.y.z"; BLIS's Debian
    # libblas.so.3 has none, so the Debian package's version stands in.
    v = re.search(r"(\d+\.\d+(\.\d+)?)", text.split(", LAPACK")[0])
    if not v:
        v = re.search(r"package \S+ (\d+\.\d+(\.\d+)?)", line)
    return f"{name} {v.group(1) if v else '?'}"


def plot(rows, vendors, peers, info, out):
    if not shutil.which("gnuplot"):
        print("bench_report: gnuplot not installed, no plot", file=sys.stderr)
        return
    field = dict(l.split(": ", 1) for l in info if ": " in l and not l.startswith("vendor"))
    versions = ", ".join(filter(None, (short_version(l) for l in info)))
    title = f"inv_ext vendor benchmark, {field.get('date', '')}: {field.get('cpu', '')}, {field.get('cores', '?')} cores"
    series = [(v, "inv_ext inv") for v in vendors] + [("peer", p) for p in peers]
    single = collections.defaultdict(list)
    batch = collections.defaultdict(list)
    for vendor, dtype, n, count, impl, secs, gf in rows:
        if dtype != "f64" or (vendor, impl) not in series:
            continue
        # One point per n in the batch plot: the memory-bound 1M x 4x4 batch is in
        # the table only.
        if count >= 1_000_000:
            continue
        (single if count == 1 else batch)[(vendor, impl)].append((n, gf if count == 1 else secs * 1e9))
    def label(key):
        vendor, impl = key
        return f"inv_ext on {vendor}" if vendor != "peer" else impl.replace(" inv", "").replace(" try_inverse", "")
    data = []
    for i, key in enumerate(series):
        with open(f"{out}/plot-{i}.dat", "w") as f:
            for n, y in sorted(single.get(key, [])):
                f.write(f"{n} {y}\n")
        with open(f"{out}/plot-b{i}.dat", "w") as f:
            for n, y in sorted(batch.get(key, [])):
                f.write(f"{n} {y}\n")
        data.append((i, label(key).replace('"', "'")))
    def plots(prefix):
        source = single if prefix == "" else batch
        return ", ".join(
            f'"{out}/plot-{prefix}{i}.dat" using 1:2 with linespoints lw 2 title "{name}"'
            for i, name in data
            if source.get(series[i])
        )
    script = f"""
set termoption noenhanced
set multiplot layout 1,2 title "{title}\\n{versions}" font ",11"
set logscale x 2
set grid
set key top left font ",9"
set xlabel "n (one n x n matrix, f64)"
set ylabel "GF/s (2n^3 flops per inverse)"
plot {plots('')}
set logscale y 10
set xlabel "n (batch of n x n matrices, f64)"
set ylabel "ns per matrix"
set key top left font ",9"
plot {plots('b')}
unset multiplot
"""
    for term, ext in (("svg size 1400,600 dynamic font 'sans,11'", "svg"), ("pngcairo size 1400,600 font 'sans,10'", "png")):
        subprocess.run(["gnuplot"], input=f"set terminal {term}\nset output '{out}/vendors.{ext}'\n{script}",
                       text=True, check=False)
    for i, _ in data:
        for prefix in ("", "b"):
            try:
                os.remove(f"{out}/plot-{prefix}{i}.dat")
            except OSError:
                pass


if __name__ == "__main__":
    main()
