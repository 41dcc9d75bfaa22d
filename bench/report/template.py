"""The report's HTML template (jinja2, autoescaped). Kept as a module string so it ships with the
package whatever the package-data rules are.

The page checks its own media: after load, a small script waits until every <audio> has its
metadata and a positive duration (or failed) and every <img> has decoded (or failed), then writes a
JSON status into ``<pre id="media-status">`` (with any script error or console.error seen) and
``document.body.dataset.media`` ("ok" / "broken"). Tests read it
with headless Chromium's --dump-dom; a reader sees a red banner if a clip or image is broken.
"""

# Shared by the report and the A/B page: the <head> up to the title, error capture, style, self-check.
HEAD = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
"""

ERRORS_JS = r"""<script>
// Collect script errors and console.error calls for the self-check below (tests require none).
window.__pageErrors = [];
window.addEventListener("error", function (e) { if (e.message) window.__pageErrors.push(String(e.message)); });
(function () { var orig = console.error; console.error = function () {
  window.__pageErrors.push(Array.prototype.join.call(arguments, " ")); return orig.apply(console, arguments); }; })();
</script>
"""

CSS = r"""<style>
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px;
         padding: 0 18px 40px; color: #1d1d1f; }
  h1 { margin: 18px 0 4px; } h2 { margin-top: 34px; border-bottom: 2px solid #ddd; padding-bottom: 3px; }
  h3 { margin: 20px 0 6px; }
  .meta, .small { color: #666; font-size: 12px; }
  nav a { margin-right: 12px; }
  table.metrics { border-collapse: collapse; margin: 6px 0 10px; font-size: 13px; }
  table.metrics th, table.metrics td { border: 1px solid #ddd; padding: 3px 7px; vertical-align: top; }
  table.metrics th { background: #f4f4f6; text-align: left; }
  td.value { text-align: right; white-space: nowrap; }
  td.value .ci, td .count { display: block; color: #777; font-size: 11px; }
  td.best .num { font-weight: 700; }
  td.na { color: #9a3412; background: #fff7ed; font-size: 12px; text-align: center; white-space: nowrap; }
  td.na a { color: inherit; text-decoration: none; }
  .na-demo { color: #9a3412; background: #fff7ed; padding: 0 3px; }
  ol.na-list { font-size: 13px; padding-left: 28px; } ol.na-list li { margin: 4px 0; }
  ol.na-list .needs, ol.na-list .where { color: #555; font-size: 12px; } ol.na-list .where::before { content: "· "; }
  ol.na-list details { display: inline; } ol.na-list details[open] { display: block; }
  ol.na-list .reason { white-space: pre-wrap; max-width: 1000px; }
  code.cmd { background: #f4f4f6; padding: 1px 4px; border-radius: 3px; }
  details.hidden-rows { margin: 0 0 8px; }
  figure.chart { margin: 14px 0; } figure.chart img { max-width: 100%; display: block; }
  figure.chart figcaption { margin-bottom: 4px; }
  details.worst { border-left: 3px solid #e3e3e8; padding-left: 10px; margin: 8px 0; }
  table.worst-list td { font-size: 12px; } .score { color: #555; font-variant-numeric: tabular-nums; }
  .worst-tag { display: inline-block; font-size: 11px; background: #fee2e2; color: #991b1b; border-radius: 3px;
               padding: 0 5px; margin-left: 6px; }
  .footnotes { margin: -4px 0 12px; max-width: 1100px; }
  td.missing { color: #999; font-style: italic; }
  code { font-size: 12px; }
  .tag { display: inline-block; font-size: 11px; padding: 0 5px; border-radius: 3px; background: #eef; }
  .tag.paper { background: #e0f2fe; } .tag.offline { background: #ecfccb; }
  .item { border: 1px solid #e3e3e8; border-radius: 6px; padding: 8px 12px; margin: 10px 0 16px; }
  .item .prompt { margin: 2px 0 8px; }
  .clip { display: grid; grid-template-columns: 190px 250px 1fr; gap: 6px 12px; align-items: center;
          border-top: 1px dashed #eee; padding: 5px 0; }
  .clip .label b { display: block; } .clip img { max-width: 100%; display: block; }
  .clip .err { color: #b91c1c; font-size: 12px; }
  .scores { font-size: 11px; color: #555; }
  audio { width: 240px; }
  .seg { display: inline-block; margin-right: 10px; font-size: 12px; }
  .seg i { display: inline-block; width: 12px; height: 12px; vertical-align: -2px; margin-right: 3px;
           border: 2px dashed; opacity: .8; }
  ul.notes { font-size: 13px; color: #9a3412; }
  #media-banner { display: none; background: #fee2e2; color: #991b1b; padding: 6px 10px; margin: 8px 0; }
  body[data-media="broken"] #media-banner { display: block; }
  #media-status { display: none; }
</style>
"""

SELF_CHECK = r"""<script>
// Media shown more than once is embedded once (bench.report.render.dedupe_media): copies take the
// data URI of the element they name.
document.querySelectorAll("[data-same-as]").forEach(function (el) {
  el.setAttribute("src", document.getElementById(el.dataset.sameAs).getAttribute("src"));
});
</script>
<pre id="media-status"></pre>
<script>
// Self-check: report whether every clip and image of the page loaded (read by tests via --dump-dom).
(function () {
  function audioState(a) {
    return new Promise(function (resolve) {
      function st(extra) {
        var d = a.duration;
        var r = {ok: a.readyState >= 1 && isFinite(d) && d > 0, readyState: a.readyState,
                 duration: isFinite(d) ? d : -1, mime: (a.getAttribute("src") || "").split(";")[0]};
        for (var k in extra) r[k] = extra[k];
        return r;
      }
      if (a.readyState >= 1) return resolve(st({}));
      if (a.error) return resolve({ok: false, error: a.error.code});
      var done = false;
      function finish(r) { if (!done) { done = true; resolve(r); } }
      a.addEventListener("loadedmetadata", function () { finish(st({})); });
      a.addEventListener("error", function () { finish(st({ok: false, error: a.error ? a.error.code : -1})); });
      setTimeout(function () { finish(st({timeout: true})); }, 15000);
      a.load();
    });
  }
  function imageState(img) {
    function st() { return {ok: img.complete && img.naturalWidth > 0, naturalWidth: img.naturalWidth,
                            mime: (img.getAttribute("src") || "").split(";")[0]}; }
    if (img.complete) return Promise.resolve(st());
    return new Promise(function (resolve) {
      img.addEventListener("load", function () { resolve(st()); });
      img.addEventListener("error", function () { resolve(st()); });
    });
  }
  window.addEventListener("load", function () {
    var audios = Array.prototype.slice.call(document.querySelectorAll("audio"));
    var images = Array.prototype.slice.call(document.querySelectorAll("img"));
    Promise.all([Promise.all(audios.map(audioState)), Promise.all(images.map(imageState))]).then(function (r) {
      var status = {audio: r[0], img: r[1],
                    audio_ok: r[0].filter(function (x) { return x.ok; }).length,
                    img_ok: r[1].filter(function (x) { return x.ok; }).length,
                    n_audio: audios.length, n_img: images.length, errors: window.__pageErrors.slice()};
      status.ok = status.audio_ok === status.n_audio && status.img_ok === status.n_img && status.errors.length === 0;
      document.getElementById("media-status").textContent = JSON.stringify(status);
      document.body.dataset.media = status.ok ? "ok" : "broken";
    });
  });
})();
</script>
"""

HTML = HEAD + ERRORS_JS + CSS + "</head>\n" + r"""<body data-media="pending">
<h1>{{ title }}</h1>
<div class="meta">runs up to {{ created }} · unison-bench {{ harness.version }}{% if harness.git %} · git {{ harness.git }}{% endif %}
 · {{ n_runs }} runs from <code>{{ runs_dir }}</code></div>
<div id="media-banner">Some audio clips or images of this page failed to load.</div>
<p class="small">Every metric is named <code>name@variant</code> (the variant pins the model, rate and protocol;
  <span class="tag paper">paper</span> = the paper's protocol, <span class="tag offline">offline</span> = a variant that
  runs on a CPU machine without downloads). Cells show the value, its 95% bootstrap CI and n (items scored over,
  failures included); ↑/↓ = higher/lower is better, the best measured value of a row is bold. A cell that could not be
  computed says <em>n/a</em> with a number pointing to the list of variants not measured here (what each needs,
  the command that fetches it, where it struck); it never holds a number. Charts are drawn from measured values only.</p>
{% if notes %}<ul class="notes">{% for n in notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
{% if run_log %}<details><summary>runs made ({{ run_log|length }})</summary>
<table class="metrics"><tr><th>suite</th><th>system</th><th>items</th><th>status</th><th>wall</th><th>CPU</th><th>generated</th></tr>
{% for r in run_log %}<tr><td>{{ r.suite }}</td><td>{{ r.system }}</td><td>{{ r.get("items", "") }}</td><td>{{ r.status }}</td><td>{{ r.wall }}</td><td>{{ r.cpu }}</td><td>{{ r.generated }}</td></tr>{% endfor %}
</table></details>{% endif %}
<nav>{% if unavailable %}<a href="#unavailable">not measured here</a>{% endif %}{% for s in suites %}<a href="#suite-{{ s.name }}">{{ s.name }}</a>{% endfor %}
  {% if leaderboards %}<a href="#leaderboards">leaderboards</a>{% endif %}</nav>

{% macro metric_table(rows, systems) -%}
<table class="metrics">
  <tr><th>metric (name@variant)</th><th></th><th>v</th><th>protocol</th>{% for sys in systems %}<th>{{ sys }}</th>{% endfor %}</tr>
  {% for r in rows %}
  <tr><td><code>{{ r.key }}</code></td><td title="{{ 'higher' if r.higher else 'lower' }} is better">{{ r.arrow }}</td><td>{{ r.version }}</td>
      <td><span class="tag {{ r.protocol }}">{{ r.protocol }}</span></td>
    {% for c in r.cells %}
      {% if c.kind == "value" %}<td class="value{% if c.best %} best{% endif %}"><span class="num">{{ c.text }}</span>
        {% if c.ci %}<span class="ci">{{ c.ci }}</span>{% endif %}<span class="count">{{ c.count }}</span></td>
      {% elif c.kind == "unavailable" %}<td class="na"><a href="#{{ c.anchor }}">n/a<sup>{{ c.note }}</sup></a></td>
      {% else %}<td class="missing">{{ c.text }}</td>{% endif %}
    {% endfor %}</tr>
  {% endfor %}
</table>
{%- endmacro %}

{% macro hidden_rows(rows, systems) -%}
{% if rows %}<details class="hidden-rows"><summary class="small">show {{ rows|length }} metric variant{{ "s" if rows|length != 1 }} not measured here
  ({% for r in rows %}<code>{{ r.key }}</code>{{ ", " if not loop.last }}{% endfor %})</summary>
{{ metric_table(rows, systems) }}</details>{% endif %}
{%- endmacro %}

{% macro item_card(it, suite) -%}
<div class="item" id="{{ it.anchor if it.anchor is defined else 'item-' ~ suite ~ '-' ~ it.id }}">
  <div><b>{{ it.id }}</b> <span class="small">task {{ it.task }}{% if it.subset %} · subset {{ it.subset }}{% endif %}{% if it.lang %} · {{ it.lang }}{% endif %}{% if it.gender %} · {{ it.gender }}{% endif %}</span>
  {% if it.worst_on is defined %}{% for w in it.worst_on %}<span class="worst-tag"><code>{{ w.key }}</code> {{ w.score }}</span>{% endfor %}{% endif %}</div>
  <div class="prompt">“{{ it.instruction }}”</div>
  {% if it.text %}<div class="small">words to speak: {{ it.text }}</div>{% endif %}
  {% if it.caption and it.caption != it.instruction %}<div class="small">caption: {{ it.caption }}</div>{% endif %}
  {% if it.segments %}<div>{% for g in it.segments %}<span class="seg"><i style="border-color: {{ g.colour }}; background: {{ g.colour }}33"></i>{{ "%.1f"|format(g.start) }}–{{ "%.1f"|format(g.end) }} s: {{ g.caption }}</span>{% endfor %}</div>{% endif %}
  {% for c in it.clips %}
  <div class="clip">
    <div class="label"><b>{{ c.label }}</b><span class="small">{{ "test set" if c.role != "generated" else "generated" }}{% if c.duration %} · {{ c.duration }}{% endif %}</span>
      {% if c.scores %}<div class="scores">{% for sc in c.scores %}<div><code>{{ sc.key }}</code> {{ sc.text }}</div>{% endfor %}</div>{% endif %}</div>
    <div>{% if c.audio %}<audio controls preload="metadata" src="{{ c.audio }}"></audio>{% endif %}
      {% if c.status == "failed" or c.error %}<div class="err">{{ c.error or "failed" }}</div>{% endif %}</div>
    <div>{% if c.mel %}<img alt="mel spectrogram of {{ c.label }} for {{ it.id }}" src="{{ c.mel }}">{% endif %}</div>
  </div>
  {% endfor %}
</div>
{%- endmacro %}

{% if unavailable %}
<section id="unavailable"><h2>Not measured here</h2>
<p class="small">{{ unavailable|length }} metric variant{{ "s" if unavailable|length != 1 }} (× reason) could not be computed
  ({{ unavailable|sum(attribute="n_cells") }} table cells, shown as <span class="na-demo">n/a<sup>k</sup></span> and never as a number).
  {% if fetch %}Weights that would make them run here: {% for f in fetch %}<code class="cmd">{{ f }}</code>{{ " " if not loop.last }}{% endfor %}.{% endif %}</p>
<details class="na"><summary>one line per variant and reason: what it needs, where it struck</summary>
<ol class="na-list">
{% for u in unavailable %}
  <li id="{{ u.anchor }}" value="{{ u.number }}"><code>{{ u.key }}</code> — {{ u.short }}{% if u.weights %} <span class="needs">Fetch: {% for c in u.commands %}<code class="cmd">{{ c }}</code>{{ " " if not loop.last }}{% endfor %}.</span>{% endif %}
    <span class="where">{{ u.n_cells }} cell{{ "s" if u.n_cells != 1 }}: {% for w in u.where %}{{ w.suite }} ({{ w.systems|join(", ") }}){{ "; " if not loop.last }}{% endfor %}</span>
    {% if u.reason != u.short %}<details><summary class="small">full reason</summary><div class="small reason">{{ u.reason }}</div></details>{% endif %}</li>
{% endfor %}
</ol></details></section>
{% endif %}

{% for s in suites %}
<section id="suite-{{ s.name }}">
<h2>{{ s.name }} <span class="small">v{{ s.version }} · scale {{ s.scale }} · {{ s.n_items }} items · test set {{ s.hash }}</span></h2>
{% if s.description %}<details><summary class="small">about this suite</summary><p class="small">{{ s.description }}</p></details>{% endif %}
{% for note in s.notes %}<p class="small">note: {{ note }}</p>{% endfor %}
{% if s.rows %}{{ metric_table(s.rows, s.systems) }}{% else %}<p class="small">No metric variant of this suite could be measured here.</p>{% endif %}
{{ hidden_rows(s.hidden, s.systems) }}
{% for sub in s.subsets %}
<details><summary>subset <b>{{ sub.name }}</b></summary>{% if sub.rows %}{{ metric_table(sub.rows, s.systems) }}{% endif %}{{ hidden_rows(sub.hidden, s.systems) }}</details>
{% endfor %}

{% for ch in s.charts %}
<figure class="chart chart-{{ ch.kind }}"><figcaption><b>{{ ch.title }}</b> <span class="small">{{ ch.caption }}</span></figcaption>
  <img alt="{{ ch.title }} — {{ s.name }}" src="{{ ch.uri }}"></figure>
{% endfor %}

{% if s.worst %}
<h3 id="worst-{{ s.name }}">Worst items <span class="small">(up to {{ s.worst_n }} per system and per-item metric, worst first)</span></h3>
{% for w in s.worst %}
<details class="worst"{% if w.open %} open{% endif %}><summary><b>{{ w.system }}</b> <span class="small">{{ w.cards|length }} item{{ "s" if w.cards|length != 1 }}</span></summary>
<table class="metrics worst-list"><tr><th>metric</th><th></th><th>worst items (score)</th></tr>
{% for m in w.metrics %}<tr><td><code>{{ m.key }}</code></td><td title="{{ m.direction }}">{{ m.arrow }}</td>
  <td>{% for it in m.ranked %}{% if it.anchor %}<a href="#{{ it.anchor }}">{{ it.id }}</a>{% else %}{{ it.id }}{% endif %} <span class="score">{{ it.score }}</span>{{ " · " if not loop.last }}{% endfor %}
  {% if not m.ranked %}<span class="small">none: </span>{% endif %}<span class="small">{{ m.n_best }} item{{ "s" if m.n_best != 1 }} at the best score, {{ m.best }}{% if m.n_unscored %}; {{ m.n_unscored }} without a score (failed or not applicable){% endif %}</span></td></tr>{% endfor %}
</table>
{% for it in w.cards %}{{ item_card(it, s.name) }}{% endfor %}
</details>
{% endfor %}
{% endif %}

{% if s.examples %}<h3>Examples ({{ s.examples|length }} of {{ s.n_items }} items)</h3>{% endif %}
{% for it in s.examples %}{{ item_card(it, s.name) }}{% endfor %}
</section>
{% endfor %}

{% if leaderboards %}
<section id="leaderboards"><h2>Leaderboards</h2>
{% for lb in leaderboards %}
<h3>{{ lb.name }}</h3>{% if lb.note %}<p class="small">{{ lb.note }}</p>{% endif %}
<table class="metrics"><tr>{% for h in lb.header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in lb.rows %}<tr>{% for v in row %}<td{% if v.startswith("n/a") %} class="na"{% endif %}>{{ v }}</td>{% endfor %}</tr>{% endfor %}</table>
{% if lb.footnotes %}<div class="footnotes small">{% for f in lb.footnotes %}<div>{{ f.marker }} {{ f.text }}</div>{% endfor %}</div>{% endif %}
{% endfor %}
</section>
{% endif %}

<p class="small">Audio on this page: {{ audio_format }}. Spectrograms: {{ mel_format }}.
  Dashed coloured lines and shading mark the time boundaries stated in a timed-composition prompt, with each
  segment's caption above its region.</p>
""" + SELF_CHECK + "</body>\n</html>\n"

# The A/B page of `unison-bench compare A B --html` (bench.report.ab): verdicts on top, then per item
# the test set's audio and both outputs side by side with the per-item deltas.
AB_CSS = r"""<style>
  .ab-grid { display: grid; grid-template-columns: 1fr 1fr; gap: 10px 18px; }
  .ab-side { border-top: 3px solid #0072b2; padding-top: 4px; } .ab-side.b { border-top-color: #e69f00; }
  .ab-side img { max-width: 100%; display: block; margin-top: 4px; }
  tr.b td.verdict, td.b { color: #9a5b00; font-weight: 600; } tr.a td.verdict, td.a { color: #005b8f; font-weight: 600; }
  td.neutral, tr.neutral td.verdict { color: #555; } td.na, tr.na td.verdict { color: #999; }
  .refs .clip { grid-template-columns: 190px 250px 1fr; }
  table.item-deltas { font-size: 12px; margin-top: 6px; }
</style>
"""

AB_HTML = HEAD + ERRORS_JS + CSS + AB_CSS + "</head>\n" + r"""<body data-media="pending">
<h1>{{ title }}</h1>
<div class="meta">suite {{ suite }} v{{ version }} · scale {{ scale }} · test set {{ hash }} · unison-bench {{ harness.version }}</div>
<div id="media-banner">Some audio clips or images of this page failed to load.</div>
<p class="small"><b class="a-name">{{ a.name }}</b> = <code>{{ a.path }}</code> ({{ a.created }})<br>
  <b class="b-name">{{ b.name }}</b> = <code>{{ b.path }}</code> ({{ b.created }})<br>
  Δ = B − A; {{ stats }}. The verdict reads the CI with the metric's direction (↑ higher / ↓ lower is better);
  the same numbers as <code>unison-bench compare</code>'s text output.</p>
{% if notes %}<ul class="notes">{% for n in notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
<section id="verdicts"><h2>Verdict per metric</h2>
<table class="metrics verdicts"><tr><th>metric (name@variant)</th><th></th><th>A</th><th>B</th><th>Δ B − A [CI] p</th><th>verdict</th></tr>
{% for m in metrics %}<tr class="{{ m.cls }}"><td><code>{{ m.key }}</code></td><td title="{{ 'higher' if m.higher else 'lower' }} is better">{{ m.arrow }}</td>
  <td class="value">{{ m.a }}</td><td class="value">{{ m.b }}</td><td class="value delta">{{ m.delta }}</td><td class="verdict">{{ m.verdict }}</td></tr>
{% endfor %}</table></section>

{% macro side(c, cls, name) -%}
<div class="ab-side {{ cls }}"><b>{{ name }}</b>{% if c %} <span class="small">{{ c.duration or "" }}</span>
  <div>{% if c.audio %}<audio controls preload="metadata" src="{{ c.audio }}"></audio>{% endif %}
  {% if c.status == "failed" or c.error %}<div class="err">{{ c.error or "failed" }}</div>{% endif %}</div>
  {% if c.mel %}<img alt="mel spectrogram of {{ name }}" src="{{ c.mel }}">{% endif %}
{% else %}<div class="small">no output for this item</div>{% endif %}</div>
{%- endmacro %}

{% if items %}<section id="items"><h2>Items ({{ items|length }})</h2>
{% for it in items %}
<div class="item ab-item" id="item-{{ it.id }}">
  <div><b>{{ it.id }}</b> <span class="small">task {{ it.task }}{% if it.subset %} · subset {{ it.subset }}{% endif %}{% if it.lang %} · {{ it.lang }}{% endif %}</span></div>
  <div class="prompt">“{{ it.instruction }}”</div>
  {% if it.text %}<div class="small">words to speak: {{ it.text }}</div>{% endif %}
  {% if it.segments %}<div>{% for g in it.segments %}<span class="seg"><i style="border-color: {{ g.colour }}; background: {{ g.colour }}33"></i>{{ "%.1f"|format(g.start) }}–{{ "%.1f"|format(g.end) }} s: {{ g.caption }}</span>{% endfor %}</div>{% endif %}
  <div class="refs">{% for c in it.refs %}<div class="clip"><div class="label"><b>{{ c.label }}</b><span class="small">test set{% if c.duration %} · {{ c.duration }}{% endif %}</span></div>
    <div>{% if c.audio %}<audio controls preload="metadata" src="{{ c.audio }}"></audio>{% endif %}</div>
    <div>{% if c.mel %}<img alt="mel spectrogram of the {{ c.label }} of {{ it.id }}" src="{{ c.mel }}">{% endif %}</div></div>{% endfor %}</div>
  <div class="ab-grid">{{ side(it.a, "a", a.name) }}{{ side(it.b, "b", b.name) }}</div>
  {% if it.deltas %}<table class="metrics item-deltas"><tr><th>metric</th><th>A</th><th>B</th><th>Δ B − A</th></tr>
  {% for d in it.deltas %}<tr><td><code>{{ d.key }}</code></td><td class="value">{{ d.a }}</td><td class="value">{{ d.b }}</td><td class="value {{ d.cls }}">{{ d.delta }}</td></tr>{% endfor %}</table>{% endif %}
</div>
{% endfor %}</section>{% endif %}
""" + SELF_CHECK + "</body>\n</html>\n"
