import torch
from torch import nn

from unison.audio.vocoder.base import NativeConvTranspose1d, use_native_transposed_convs

MACHINE_THREADS = torch.get_num_threads()


def test_native_transposed_conv_matches_torch_and_ignores_thread_count():
    """A vocoder's last upsampling layer shape (oneDNN's deconvolution differs between 1 and 2 threads here)."""
    torch.manual_seed(0)
    ref = nn.ConvTranspose1d(64, 32, 4, stride=2, padding=1)
    native = NativeConvTranspose1d(64, 32, 4, stride=2, padding=1)
    native.load_state_dict(ref.state_dict())
    x = torch.randn(1, 64, 20000)
    outs = []
    with torch.no_grad():
        for threads in (MACHINE_THREADS, 1):
            torch.set_num_threads(threads)
            try:
                outs.append(native(x))
            finally:
                torch.set_num_threads(MACHINE_THREADS)
        torch.testing.assert_close(outs[0], ref(x), rtol=1e-5, atol=1e-5)  # the same convolution
    assert torch.equal(outs[0], outs[1])
    assert torch.backends.mkldnn.enabled  # the switch is local to the call


def test_switching_a_generator_keeps_its_weights_and_names():
    gen = nn.Sequential(nn.Conv1d(4, 8, 3), nn.ConvTranspose1d(8, 4, 4, stride=2))
    before = {k: v.clone() for k, v in gen.state_dict().items()}
    use_native_transposed_convs(gen)
    assert type(gen[1]) is NativeConvTranspose1d and type(gen[0]) is nn.Conv1d
    assert gen.state_dict().keys() == before.keys()
    assert all(torch.equal(gen.state_dict()[k], v) for k, v in before.items())
