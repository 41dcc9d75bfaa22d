"""Render the report's view model: HTML through the jinja2 template, and a Markdown summary."""
from __future__ import annotations

from typing import Any

from bench.report.template import HTML


def render_html(view: dict[str, Any]) -> str:
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    return env.from_string(HTML).render(**view)


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_cell(c: dict[str, Any]) -> str:
    if c["kind"] == "value":
        best = "**" if c.get("best") else ""
        ci = f" {c['ci']}" if c.get("ci") else ""
        return f"{best}{c['text']}{best}{ci} ({c['count']})"
    if c["kind"] == "unavailable":
        return f"unavailable: {c['short']} [{c['note']}]"
    return c["text"]


def _md_table(rows: list[dict[str, Any]], systems: list[str]) -> list[str]:
    head = ["metric (name@variant)", "", "protocol", *systems]
    out = ["| " + " | ".join(_md(h) for h in head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [f"`{r['key']}`", r["arrow"], r["protocol"], *(_md_cell(c) for c in r["cells"])]
        out.append("| " + " | ".join(_md(c) for c in cells) + " |")
    return out


def render_summary(view: dict[str, Any]) -> str:
    """summary.md: per suite, metrics x systems (value, 95% CI, n), the reasons for unavailable
    cells in full, per-subset tables, and the leaderboards."""
    h = view["harness"]
    lines = [f"# {view['title']}", "",
             f"Generated {view['created']} by unison-bench {h['version']}"
             + (f" (git {h['git']})" if h.get("git") else "") + f" from {view['n_runs']} runs.", "",
             "Cells: value [95% bootstrap CI] (n items, failures included); bold = best measured value of the row; "
             "↑/↓ = higher/lower is better. `unavailable: ...` cells could not be computed here (reasons below each "
             "table); they never hold a number.", ""]
    lines += [f"- {_md(n)}" for n in view["notes"]] + ([""] if view["notes"] else [])
    if view["run_log"]:
        lines += ["| suite | system | items | status | wall | CPU | generated |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {r['suite']} | {_md(r['system'])} | {r.get('items', '')} | {_md(r['status'])} | {r['wall']} | "
                  f"{r['cpu']} | {r['generated']} |"
                  for r in view["run_log"]] + [""]
    for s in view["suites"]:
        lines += [f"## {s['name']} (v{s['version']}, scale {s['scale']}, {s['n_items']} items, test set {s['hash']})", ""]
        lines += [f"_note: {_md(n)}_" for n in s["notes"]]
        lines += _md_table(s["rows"], s["systems"]) + [""]
        for sub in s["subsets"]:
            lines += [f"### {s['name']} / {sub['name']}", ""] + _md_table(sub["rows"], s["systems"]) + [""]
        if s["reasons"]:
            lines += ["Unavailable because:", ""]
            lines += [f"{r['number']}. {_md(r['text'])}" for r in s["reasons"]] + [""]
    for lb in view["leaderboards"]:
        lines += [f"## Leaderboard: {lb['name']}", ""]
        if lb.get("note"):
            lines += [lb["note"], ""]
        lines += ["| " + " | ".join(_md(x) for x in lb["header"]) + " |", "|" + "---|" * len(lb["header"])]
        lines += ["| " + " | ".join(_md(x["full"]) for x in row) + " |" for row in lb["rows"]] + [""]
    return "\n".join(lines).rstrip() + "\n"
