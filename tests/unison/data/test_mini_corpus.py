import filecmp

from unison.data.corpora.mini import build_mini_corpus
from unison.data.manifests import ValidationRules, load_manifest


def test_mini_corpus_is_byte_identical_on_rerun(tmp_path):
    a = build_mini_corpus(tmp_path / "a", sample_rate=22050, seed=0, limit=2)
    b = build_mini_corpus(tmp_path / "b", sample_rate=22050, seed=0, limit=2)
    assert a.read_bytes() == b.read_bytes()
    files = sorted(p.relative_to(a.parent) for p in a.parent.rglob("*.wav"))
    assert files == sorted(p.relative_to(b.parent) for p in b.parent.rglob("*.wav"))
    _, mismatch, errors = filecmp.cmpfiles(a.parent, b.parent, [str(f) for f in files], shallow=False)
    assert not mismatch and not errors

    m = load_manifest(a, ValidationRules(sample_rate=22050))  # every file is at the profile rate
    rows = m.rows
    assert len(rows) == len(files)
    sounds = [r for r in rows if r.kind == "sound"]
    assert len(sounds) == 2 and all(r.captions.get("zh") for r in sounds)
    voiced = [r for r in rows if r.id.startswith("voice/")]
    for lang in ("en", "zh"):
        assert {r.gender for r in voiced if r.language == lang} == {"male", "female"}
    assert any(r.id.startswith("asterisk/") for r in rows) and any(r.id.startswith("librivox/") for r in rows)
