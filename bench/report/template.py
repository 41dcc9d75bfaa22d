"""The report's HTML template (jinja2, autoescaped). Kept as a module string so it ships with the
package whatever the package-data rules are.

The page checks its own media: after load, a small script waits until every <audio> has its
metadata (or failed) and every <img> has decoded (or failed), then writes a JSON status into
``<pre id="media-status">`` and ``document.body.dataset.media`` ("ok" / "broken"). Tests read it
with headless Chromium's --dump-dom; a reader sees a red banner if a clip or image is broken.
"""

HTML = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
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
  td.unavailable { color: #9a3412; background: #fff7ed; font-size: 12px; max-width: 260px; }
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
  ol.reasons { font-size: 12px; color: #555; }
  ul.notes { font-size: 13px; color: #9a3412; }
  #media-banner { display: none; background: #fee2e2; color: #991b1b; padding: 6px 10px; margin: 8px 0; }
  body[data-media="broken"] #media-banner { display: block; }
  #media-status { display: none; }
</style>
</head>
<body data-media="pending">
<h1>{{ title }}</h1>
<div class="meta">generated {{ created }} · unison-bench {{ harness.version }}{% if harness.git %} · git {{ harness.git }}{% endif %}
 · {{ n_runs }} runs from <code>{{ runs_dir }}</code></div>
<div id="media-banner">Some audio clips or images of this page failed to load.</div>
<p class="small">Every metric is named <code>name@variant</code> (the variant pins the model, rate and protocol;
  <span class="tag paper">paper</span> = the paper's protocol, <span class="tag offline">offline</span> = a variant that
  runs on a CPU machine without downloads). Cells show the value, its 95% bootstrap CI and n (items scored over,
  failures included); ↑/↓ = higher/lower is better, the best measured value of a row is bold. A cell that could not be
  computed says <em>unavailable</em> and why, never a number.</p>
{% if notes %}<ul class="notes">{% for n in notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
{% if run_log %}<details><summary>runs made ({{ run_log|length }})</summary>
<table class="metrics"><tr><th>suite</th><th>system</th><th>items</th><th>status</th><th>wall</th><th>CPU</th><th>generated</th></tr>
{% for r in run_log %}<tr><td>{{ r.suite }}</td><td>{{ r.system }}</td><td>{{ r.get("items", "") }}</td><td>{{ r.status }}</td><td>{{ r.wall }}</td><td>{{ r.cpu }}</td><td>{{ r.generated }}</td></tr>{% endfor %}
</table></details>{% endif %}
<nav>{% for s in suites %}<a href="#suite-{{ s.name }}">{{ s.name }}</a>{% endfor %}
  {% if leaderboards %}<a href="#leaderboards">leaderboards</a>{% endif %}</nav>

{% macro metric_table(rows, systems) -%}
<table class="metrics">
  <tr><th>metric (name@variant)</th><th></th><th>v</th><th>protocol</th>{% for sys in systems %}<th>{{ sys }}</th>{% endfor %}</tr>
  {% for r in rows %}
  <tr><td><code>{{ r.key }}</code></td><td>{{ r.arrow }}</td><td>{{ r.version }}</td>
      <td><span class="tag {{ r.protocol }}">{{ r.protocol }}</span></td>
    {% for c in r.cells %}
      {% if c.kind == "value" %}<td class="value{% if c.best %} best{% endif %}"><span class="num">{{ c.text }}</span>
        {% if c.ci %}<span class="ci">{{ c.ci }}</span>{% endif %}<span class="count">{{ c.count }}</span></td>
      {% elif c.kind == "unavailable" %}<td class="unavailable">unavailable: {{ c.short }}
        <sup><a href="#{{ c.anchor }}">[{{ c.note }}]</a></sup><span class="count">{{ c.count }}</span></td>
      {% else %}<td class="missing">{{ c.text }}</td>{% endif %}
    {% endfor %}</tr>
  {% endfor %}
</table>
{%- endmacro %}

{% for s in suites %}
<section id="suite-{{ s.name }}">
<h2>{{ s.name }} <span class="small">v{{ s.version }} · scale {{ s.scale }} · {{ s.n_items }} items · test set {{ s.hash }}</span></h2>
{% if s.description %}<details><summary class="small">about this suite</summary><p class="small">{{ s.description }}</p></details>{% endif %}
{% for note in s.notes %}<p class="small">note: {{ note }}</p>{% endfor %}
{{ metric_table(s.rows, s.systems) }}
{% for sub in s.subsets %}
<details><summary>subset <b>{{ sub.name }}</b></summary>{{ metric_table(sub.rows, s.systems) }}</details>
{% endfor %}
{% if s.reasons %}<div class="small">Why cells are unavailable:</div>
<ol class="reasons">{% for reason in s.reasons %}<li id="{{ reason.anchor }}">unavailable: {{ reason.text }}</li>{% endfor %}</ol>{% endif %}

{% if s.examples %}<h3>Examples ({{ s.examples|length }} of {{ s.n_items }} items)</h3>{% endif %}
{% for it in s.examples %}
<div class="item" id="item-{{ s.name }}-{{ it.id }}">
  <div><b>{{ it.id }}</b> <span class="small">task {{ it.task }}{% if it.subset %} · subset {{ it.subset }}{% endif %}{% if it.lang %} · {{ it.lang }}{% endif %}{% if it.gender %} · {{ it.gender }}{% endif %}</span></div>
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
{% endfor %}
</section>
{% endfor %}

{% if leaderboards %}
<section id="leaderboards"><h2>Leaderboards</h2>
{% for lb in leaderboards %}
<h3>{{ lb.name }}</h3>{% if lb.note %}<p class="small">{{ lb.note }} Unavailable cells are shortened here; the
  full reasons are in the suite sections above and in the leaderboard CSV files.</p>{% endif %}
<table class="metrics"><tr>{% for h in lb.header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in lb.rows %}<tr>{% for v in row %}<td{% if v.text != v.full %} class="unavailable"{% endif %}>{{ v.text }}</td>{% endfor %}</tr>{% endfor %}</table>
{% endfor %}
</section>
{% endif %}

<p class="small">Audio on this page: {{ audio_format }}. Spectrograms: {{ mel_format }}.
  Dashed coloured lines and shading mark the time boundaries stated in a timed-composition prompt, with each
  segment's caption above its region.</p>
<pre id="media-status"></pre>
<script>
// Self-check: report whether every clip and image of the page loaded (read by tests via --dump-dom).
(function () {
  function audioState(a) {
    return new Promise(function (resolve) {
      if (a.readyState >= 1) return resolve({ok: true, readyState: a.readyState});
      if (a.error) return resolve({ok: false, error: a.error.code});
      var done = false;
      function finish(r) { if (!done) { done = true; resolve(r); } }
      a.addEventListener("loadedmetadata", function () { finish({ok: true, readyState: a.readyState}); });
      a.addEventListener("error", function () { finish({ok: false, error: a.error ? a.error.code : -1}); });
      setTimeout(function () { finish({ok: a.readyState >= 1, readyState: a.readyState, timeout: true}); }, 15000);
      a.load();
    });
  }
  function imageState(img) {
    function st() { return {ok: img.complete && img.naturalWidth > 0, naturalWidth: img.naturalWidth}; }
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
                    n_audio: audios.length, n_img: images.length};
      status.ok = status.audio_ok === status.n_audio && status.img_ok === status.n_img;
      document.getElementById("media-status").textContent = JSON.stringify(status);
      document.body.dataset.media = status.ok ? "ok" : "broken";
    });
  });
})();
</script>
</body>
</html>
"""
