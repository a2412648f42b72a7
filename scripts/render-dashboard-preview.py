#!/usr/bin/env python3
"""Render the dashboard's key panels, as the real Prometheus computed them, to a PNG.

The live test in tests/observability.rs (Prometheus scraping a real worker every second while it
reviews corpus events) writes the panels' query_range results to target/observability/panels.json.
This script draws them in a 3 x 2 grid, in the style of the Grafana panels:

    scripts/test.sh --test observability        # or: cargo test --test observability with a broker
    python3 -m venv /tmp/synth-review-preview
    /tmp/synth-review-preview/bin/pip install matplotlib
    /tmp/synth-review-preview/bin/python scripts/render-dashboard-preview.py \
        [--input target/observability/panels.json] [--output docs/dashboard-preview.png]
"""

import argparse
import json
import math
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def fmt_axis(unit):
    """A y-axis label and a value transform for a Grafana unit."""
    if unit == "ops":
        return "per second", lambda v: v
    if unit == "percentunit":
        return "percent", lambda v: v * 100.0
    if unit == "s":
        return "milliseconds", lambda v: v * 1000.0
    return ("" if unit in (None, "short") else unit), lambda v: v


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", default=str(ROOT / "target/observability/panels.json"))
    ap.add_argument("--output", default=str(ROOT / "docs/dashboard-preview.png"))
    args = ap.parse_args()
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("matplotlib is missing: see the header of this script for a virtualenv")

    data = json.loads(pathlib.Path(args.input).read_text(encoding="utf-8"))
    panels = data["panels"]
    cols = 2
    rows = math.ceil(len(panels) / cols)
    plt.style.use("dark_background")
    fig, axes = plt.subplots(rows, cols, figsize=(14, 4.2 * rows), squeeze=False)
    fig.patch.set_facecolor("#111217")
    fig.suptitle(
        "synth-review dashboard: key panels from a real Prometheus scraping a real worker\n"
        f"{int(data['messages'])} messages in {data.get('waves', '?')} waves "
        f"(delivery = {data.get('delivery', '?')}), then one SIGHUP reload; "
        f"scrape every {data['scrape_interval_seconds']} s, rate window {data['rate_window']}",
        fontsize=12,
    )
    for ax, panel in zip(axes.flat, panels):
        ax.set_facecolor("#181b1f")
        label, conv = fmt_axis(panel.get("unit"))
        series = [s for s in panel["series"] if any(p[1] is not None for p in s["points"])]
        # Grafana draws every series; here series that stay at zero are left out for legibility
        # (e.g. the reason codes of stages the test pipeline does not run).
        hidden = 0
        if len(series) > 4:
            kept = [s for s in series if any(p[1] for p in s["points"] if p[1] is not None)]
            hidden = len(series) - len(kept)
            series = kept
        series.sort(key=lambda s: s["legend"])
        xs_all = sorted({p[0] for s in series for p in s["points"]})
        if panel.get("stacked") and series:
            # Stack on a common time axis (missing or NaN points count as 0), as Grafana does.
            ys = []
            for s in series:
                pts = {p[0]: conv(p[1]) for p in s["points"] if p[1] is not None}
                ys.append([pts.get(x, 0.0) for x in xs_all])
            ax.stackplot(xs_all, ys, labels=[s["legend"] for s in series], alpha=0.8)
        else:
            for s in series:
                pts = [(p[0], conv(p[1])) for p in s["points"] if p[1] is not None]
                if pts:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], label=s["legend"], lw=1.6)
        title = panel["title"] + (f"  ({hidden} all-zero series hidden)" if hidden else "")
        ax.set_title(title, fontsize=11, loc="left")
        ax.set_xlabel("seconds since Prometheus started")
        ax.set_ylabel(label)
        ax.grid(True, color="#2c3235", lw=0.6)
        ax.set_ylim(bottom=0)
        if series:
            ax.legend(fontsize=8, loc="upper left", ncol=2 if len(series) > 5 else 1, framealpha=0.6)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    out = pathlib.Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90, facecolor=fig.get_facecolor())
    print(out)


if __name__ == "__main__":
    main()
