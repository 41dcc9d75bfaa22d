"""Render the report's view model: HTML through the jinja2 template, and a Markdown summary."""
from __future__ import annotations

import re
from collections import Counter
from typing import Any

from bench.report.template import HTML

_MEDIA = re.compile(r'<(audio|img)\b([^>]*?) src="(data:[^"]+)"')


def dedupe_media(html: str) -> str:
    """Embed each distinct clip or image once: the first element keeps its data URI and gets an id,
    later copies say ``data-same-as="<id>"`` and the page's script copies the URI over. A test-set
    clip shown in the examples, the worst items and for the oracle (whose output is the target)
    then costs its bytes once."""
    counts = Counter(m.group(3) for m in _MEDIA.finditer(html))
    ids: dict[str, str] = {}

    def sub(m: re.Match) -> str:
        tag, attrs, uri = m.groups()
        if counts[uri] < 2:
            return m.group(0)
        if uri not in ids:
            ids[uri] = f"media-{len(ids) + 1}"
            return f'<{tag}{attrs} id="{ids[uri]}" src="{uri}"'
        return f'<{tag}{attrs} data-same-as="{ids[uri]}"'

    return _MEDIA.sub(sub, html)


def render_html(view: dict[str, Any]) -> str:
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    return dedupe_media(env.from_string(HTML).render(**view))


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_cell(c: dict[str, Any]) -> str:
    if c["kind"] == "value":
        best = "**" if c.get("best") else ""
        ci = f" {c['ci']}" if c.get("ci") else ""
        return f"{best}{c['text']}{best}{ci} ({c['count']})"
    if c["kind"] == "unavailable":
        return f"n/a [{c['note']}]"
    return c["text"]


def _md_table(rows: list[dict[str, Any]], systems: list[str]) -> list[str]:
    head = ["metric (name@variant)", "", "protocol", *systems]
    out = ["| " + " | ".join(_md(h) for h in head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [f"`{r['key']}`", r["arrow"], r["protocol"], *(_md_cell(c) for c in r["cells"])]
        out.append("| " + " | ".join(_md(c) for c in cells) + " |")
    return out


def _notes(row: dict[str, Any]) -> str:
    return ", ".join(dict.fromkeys(c["note"] for c in row["cells"] if c.get("note")))


def _unavailable_lines(entries: list[dict[str, Any]]) -> list[str]:
    lines = ["## Not measured here", "",
             "One line per metric variant and reason; table cells `n/a [k]` point here.", ""]
    for u in entries:
        where = "; ".join(f"{w['suite']} ({', '.join(w['systems'])})" for w in u["where"])
        needs = (" Needs weights " + ", ".join(f"`{w}`" for w in u["weights"]) + ": "
                 + ", ".join(f"`{c}`" for c in u["commands"]) + ".") if u["weights"] else ""
        lines.append(f"{u['number']}. `{u['key']}`: {_md(u['reason'])}{needs} Affected: {_md(where)}.")
    return lines + [""]


def render_summary(view: dict[str, Any]) -> str:
    """summary.md: the variants not measured here (once, with their reasons), then per suite the
    measured metrics x systems (value, 95% CI, n), per-subset tables, and the leaderboards."""
    h = view["harness"]
    lines = [f"# {view['title']}", "",
             f"Runs up to {view['created']}, unison-bench {h['version']}"
             + (f" (git {h['git']})" if h.get("git") else "") + f", {view['n_runs']} runs.", "",
             "Cells: value [95% bootstrap CI] (n items, failures included); bold = best measured value of the row; "
             "↑/↓ = higher/lower is better. `n/a [k]` = could not be computed here, for reason k of the list below; "
             "such cells never hold a number. Variants no system could measure are listed under each table.", ""]
    lines += [f"- {_md(n)}" for n in view["notes"]] + ([""] if view["notes"] else [])
    if view["run_log"]:
        lines += ["| suite | system | items | status | wall | CPU | generated |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {r['suite']} | {_md(r['system'])} | {r.get('items', '')} | {_md(r['status'])} | {r['wall']} | "
                  f"{r['cpu']} | {r['generated']} |"
                  for r in view["run_log"]] + [""]
    if view["unavailable"]:
        lines += _unavailable_lines(view["unavailable"])
    for s in view["suites"]:
        lines += [f"## {s['name']} (v{s['version']}, scale {s['scale']}, {s['n_items']} items, test set {s['hash']})", ""]
        lines += [f"_note: {_md(n)}_" for n in s["notes"]]
        if s["rows"]:
            lines += _md_table(s["rows"], s["systems"]) + [""]
        if s["hidden"]:
            lines += ["Not measured here: " + ", ".join(f"`{r['key']}` [{_notes(r)}]" for r in s["hidden"]) + ".", ""]
        for sub in s["subsets"]:
            if sub["rows"]:
                lines += [f"### {s['name']} / {sub['name']}", ""] + _md_table(sub["rows"], s["systems"]) + [""]
        for w in s["worst"]:
            lines += [f"Worst items of {_md(w['system'])}: " + "; ".join(
                f"`{m['key']}` {m['arrow']} " + ", ".join(f"{it['id']} ({it['score']})" for it in m["ranked"])
                for m in w["metrics"]) + ".", ""]
    for lb in view["leaderboards"]:
        lines += [f"## Leaderboard: {lb['name']}", ""]
        if lb.get("note"):
            lines += [lb["note"], ""]
        lines += ["| " + " | ".join(_md(x) for x in lb["header"]) + " |", "|" + "---|" * len(lb["header"])]
        lines += ["| " + " | ".join(_md(x) for x in row) + " |" for row in lb["rows"]] + [""]
        if lb.get("footnotes"):
            lines += [f"{f['marker']} {_md(f['text'])}  " for f in lb["footnotes"]] + [""]
    return "\n".join(lines).rstrip() + "\n"
