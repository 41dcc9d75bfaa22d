import pytest

from unison.audio.sequence import latent_length, num_samples


@pytest.mark.parametrize("seconds,sr,hop,frames", [
    (10, 16000, 256, 313), (10, 44100, 512, 431), (22, 16000, 256, 688), (22, 44100, 512, 948),
    (8, 16000, 256, 250),  # exact boundary: 8 s * 16000 / 512 = 250.0, no rounding up
    (0.1, 22050, 256, 5),
])
def test_latent_length_table(seconds, sr, hop, frames):
    assert latent_length(seconds, sr, hop) == frames


def test_num_samples_covers_the_duration():
    for seconds, sr, hop in [(10, 16000, 256), (10, 44100, 512), (22, 16000, 256), (22, 44100, 512)]:
        n = num_samples(latent_length(seconds, sr, hop), hop)
        assert seconds * sr <= n < seconds * sr + 2 * hop
    assert num_samples(313, 256) == 160256


def test_rejects_nonpositive():
    with pytest.raises(ValueError, match="positive"):
        latent_length(0, 16000, 256)
    with pytest.raises(ValueError, match="positive"):
        num_samples(0, 256)
