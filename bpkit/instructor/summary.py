"""The class summary: per-exercise means and status counts, and a histogram of the students' scores.

``summary.md`` (for reading), ``summary.json`` (the same figures for a
program) and ``histogram.png`` (each student's total as a percentage of the
points of the lessons they submitted).
"""

from __future__ import annotations

import io
import json
from collections import Counter
from typing import Any


def figures(table: list[dict[str, str]]) -> dict[str, Any]:
    """Per-exercise means and counts, per-student totals."""
    exercises: dict[tuple[str, str], dict[str, Any]] = {}
    students: dict[str, list[float]] = {}
    for r in table:
        key = (r["lesson"], r["exercise"])
        e = exercises.setdefault(key, {"lesson": r["lesson"], "exercise": r["exercise"], "n": 0,
                                       "points": 0.0, "max_points": 0.0, "statuses": Counter()})
        e["n"] += 1
        e["points"] += float(r["points"])
        e["max_points"] += float(r["max_points"])
        e["statuses"][r["status"]] += 1
        s = students.setdefault(r["student"], [0.0, 0.0])
        s[0] += float(r["points"])
        s[1] += float(r["max_points"])
    rows = []
    for e in exercises.values():
        n = e["n"]
        rows.append({"lesson": e["lesson"], "exercise": e["exercise"], "submissions": n,
                     "mean_points": round(e["points"] / n, 4) if n else 0.0,
                     "max_points": round(e["max_points"] / n, 4) if n else 0.0,
                     "passed": e["statuses"].get("passed", 0),
                     "statuses": dict(sorted(e["statuses"].items()))})
    scores = {s: round(100.0 * p / m, 2) if m else 0.0 for s, (p, m) in students.items()}
    values = sorted(scores.values())
    return {"students": len(scores), "rows": len(table), "exercises": rows, "scores": scores,
            "mean_score": round(sum(values) / len(values), 2) if values else 0.0,
            "median_score": (values[len(values) // 2] if len(values) % 2 else
                             round((values[len(values) // 2 - 1] + values[len(values) // 2]) / 2, 2))
            if values else 0.0}


def markdown(fig: dict[str, Any]) -> str:
    out = ["# Grading summary", "",
           f"{fig['students']} students; mean score {fig['mean_score']:.1f} %, "
           f"median {fig['median_score']:.1f} %.", "",
           "| lesson | exercise | submissions | mean points | passed | statuses |",
           "|---|---|---|---|---|---|"]
    for e in fig["exercises"]:
        statuses = ", ".join(f"{k} {v}" for k, v in e["statuses"].items())
        out.append(f"| {e['lesson']} | {e['exercise']} | {e['submissions']} | {e['mean_points']:.2f} / "
                   f"{e['max_points']:g} | {e['passed']} | {statuses} |")
    out += ["", "![scores](histogram.png)", ""]
    return "\n".join(out)


def histogram_png(fig: dict[str, Any]) -> bytes:
    """A PNG histogram of the students' scores (percent), in bins of 10."""
    from matplotlib.figure import Figure  # a bare Figure saves a PNG with no backend or display

    figure = Figure(figsize=(6, 3.5), dpi=100)
    ax = figure.subplots()
    ax.hist(list(fig["scores"].values()), bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.0001],
            color="#4c72b0", edgecolor="white")
    ax.set_xlim(0, 100)
    ax.set_xlabel("score (% of the points)")
    ax.set_ylabel("students")
    ax.set_title(f"{fig['students']} students, mean {fig['mean_score']:.1f} %")
    ax.yaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    buf = io.BytesIO()
    figure.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def json_text(fig: dict[str, Any]) -> str:
    return json.dumps(fig, indent=1, sort_keys=True)
