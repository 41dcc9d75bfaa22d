"""The A/B page (`unison-bench compare A B --html`): the verdicts carry compare's own numbers, each
item shows both outputs with per-item deltas, and wrong inputs are usage errors."""
import html as htmlmod
import re

from bench.cli import main


def _ab(toy_runs, tmp_path, capsys, *extra):
    runs = toy_runs.runs / "toy_report"
    page = tmp_path / "ab.html"
    code = main(["compare", str(runs / "oracle" / "0"), str(runs / "toy_bad" / "0"), "--html", str(page),
                 "--testsets", str(toy_runs.testsets), "--n-boot", "50", *extra])
    return code, capsys.readouterr(), page


def test_verdicts_are_the_text_outputs_numbers(toy_runs, tmp_path, capsys):
    code, out, page = _ab(toy_runs, tmp_path, capsys)
    assert code == 0 and f"A/B page: {page}" in out.out
    text = out.out
    doc = htmlmod.unescape(page.read_text())
    for key in ("rmsdiff@toy", "meanrms@toy", "needsw@toy"):
        line = next(ln for ln in text.splitlines() if ln.startswith(key))
        delta = re.split(r"\s{2,}", line.strip())[-1]  # the text table's last column: Δ toy_bad
        row = re.search(rf"<code>{re.escape(key)}</code>.*?</tr>", doc, re.S).group(0)
        assert f'class="value delta">{delta}</td>' in row, (key, delta, row)
    assert "no significant difference" in doc  # rmsdiff: item 0 is identical, the rest failed
    # per item: both outputs side by side, and the per-item delta of rmsdiff on the one item both scored
    item0 = doc[doc.index('id="item-item000"'):doc.index('id="item-item001"')]
    assert item0.count('<div class="ab-side') == 2 and item0.count("<audio ") == 5  # 3 test-set clips + A + B
    assert re.search(r"<code>rmsdiff@toy</code></td><td class=\"value\">0</td><td class=\"value\">0</td>"
                     r"<td class=\"value neutral\">\+0</td>", item0)
    item4 = doc[doc.index('id="item-item004"'):doc.index('id="item-item005"')]
    assert "toy failure on item004" in item4  # B failed there: its error, no player


def test_item_limit_and_bad_usage(toy_runs, tmp_path, capsys):
    code, _, page = _ab(toy_runs, tmp_path, capsys, "--html-items", "2")
    doc = page.read_text()
    assert code == 0 and doc.count('class="item ab-item"') == 2 and "showing the first 2 of 6 items" in doc
    runs = toy_runs.runs / "toy_report"
    code = main(["compare", str(runs / "oracle" / "0"), "--html", str(tmp_path / "x.html")])
    assert code == 2 and "--html compares exactly two results" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()
