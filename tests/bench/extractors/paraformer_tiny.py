"""A tiny SeACo-Paraformer in funasr's published model-directory layout, for offline loader tests.

The directory holds what ModelScope's ``iic/speech_seaco_paraformer_large_asr_nat-zh-cn-16k-common-
vocab8404-pytorch`` (funasr's ``paraformer-zh``) holds, with the same file formats: ``config.yaml``
(same sections as the published one, tiny sizes), ``model.pt`` (a plain state dict written by
``torch.save``), ``am.mvn`` (Kaldi nnet text: <AddShift> means, <Rescale> inverse stds),
``tokens.json`` (JSON list: <blank> <s> </s> ... <unk>) and ``configuration.json`` (ModelScope's
file map). The weights come from funasr's own ``SeacoParaformer`` class, seeded.
"""
import json
from pathlib import Path

N_MELS, LFR_M = 80, 7  # the published frontend: 80 fbank bins stacked 7 frames -> 560 features
DIM = 16  # encoder output = decoder width = seaco inner_dim (512 in the published model)

# Mostly traditional characters, so the zhconv step has something to convert (the real vocabulary is
# simplified; here the point is to see the post-processing act on funasr's output).
CHARS = ["這", "說", "話", "們", "來", "時", "國", "學", "中", "文", "你", "好", "我", "的"]
TOKENS = ["<blank>", "<s>", "</s>", *CHARS, "<unk>"]  # ids: blank 0, sos 1, eos 2, unk last (as published)

CONFIG_YAML = """\
# tiny SeACo-Paraformer: the published config.yaml's sections and keys, tiny sizes
model: SeacoParaformer
model_conf:
    ctc_weight: 0.0
    lsm_weight: 0.1
    length_normalized_loss: true
    predictor_weight: 1.0
    predictor_bias: 1
    sampling_ratio: 0.75
    inner_dim: {dim}
    bias_encoder_type: lstm
    bias_encoder_bid: false
    seaco_lsm_weight: 0.1
    seaco_length_normal: true
    train_decoder: true
    NO_BIAS: {no_bias}

encoder: SANMEncoder
encoder_conf:
    output_size: {dim}
    attention_heads: 2
    linear_units: 32
    num_blocks: 2
    dropout_rate: 0.1
    positional_dropout_rate: 0.1
    attention_dropout_rate: 0.1
    input_layer: pe
    pos_enc_class: SinusoidalPositionEncoder
    normalize_before: true
    kernel_size: 11
    sanm_shfit: 0
    selfattention_layer_type: sanm

decoder: ParaformerSANMDecoder
decoder_conf:
    attention_heads: 2
    linear_units: 32
    num_blocks: 1
    dropout_rate: 0.1
    positional_dropout_rate: 0.1
    self_attention_dropout_rate: 0.1
    src_attention_dropout_rate: 0.1
    att_layer_num: 1
    kernel_size: 11
    sanm_shfit: 0

seaco_decoder: ParaformerSANMDecoder
seaco_decoder_conf:
    attention_heads: 2
    linear_units: 32
    num_blocks: 1
    dropout_rate: 0.1
    positional_dropout_rate: 0.1
    self_attention_dropout_rate: 0.1
    src_attention_dropout_rate: 0.1
    kernel_size: 21
    sanm_shfit: 0
    use_output_layer: false
    wo_input_layer: true

predictor: CifPredictorV3
predictor_conf:
    idim: {dim}
    threshold: 1.0
    l_order: 1
    r_order: 1
    tail_threshold: 0.45
    smooth_factor2: 0.25
    noise_threshold2: 0.01
    upsample_times: 3
    use_cif1_cnn: false
    upsample_type: cnn_blstm

frontend: WavFrontend
frontend_conf:
    fs: 16000
    window: hamming
    n_mels: {n_mels}
    frame_length: 25
    frame_shift: 10
    lfr_m: {lfr_m}
    lfr_n: 6
    dither: 0.0

specaug: SpecAugLFR
specaug_conf:
    apply_time_warp: false
    time_warp_window: 5
    time_warp_mode: bicubic
    apply_freq_mask: true
    freq_mask_width_range:
    - 0
    - 30
    lfr_rate: 6
    num_freq_mask: 1
    apply_time_mask: true
    time_mask_width_range:
    - 0
    - 12
    num_time_mask: 1

dataset: AudioDatasetHotword
dataset_conf:
    seaco_id: {no_bias}
    index_ds: IndexDSJsonl
    batch_sampler: DynamicBatchLocalShuffleSampler
    batch_type: example
    batch_size: 1
    max_token_length: 2048
    buffer_size: 500
    shuffle: true
    num_workers: 0

tokenizer: CharTokenizer
tokenizer_conf:
    unk_symbol: <unk>
    split_with_space: true

ctc_conf:
    dropout_rate: 0.0
    ctc_type: builtin
    reduce: true
    ignore_nan_grad: true

normalize: null
"""

# ModelScope's file map: funasr joins these names onto the model directory.
CONFIGURATION_JSON = {
    "framework": "pytorch",
    "task": "auto-speech-recognition",
    "model": {"type": "funasr"},
    "pipeline": {"type": "funasr-pipeline"},
    "file_path_metas": {"init_param": "model.pt", "config": "config.yaml",
                        "tokenizer_conf": {"token_list": "tokens.json"}, "frontend_conf": {"cmvn_file": "am.mvn"}},
}


def _kaldi_vector(values) -> str:
    return "[ " + " ".join(f"{v:.6f}" for v in values) + " ]"


def am_mvn_text(means, inv_stds) -> str:
    """Kaldi nnet1 text holding a global CMVN, as funasr's ``load_cmvn`` parses it."""
    dim = len(means)
    return (f"<Nnet>\n<Splice> {dim} {dim}\n[ 0 ]\n"
            f"<AddShift> {dim} {dim}\n<LearnRateCoef> 0 {_kaldi_vector(means)}\n"
            f"<Rescale> {dim} {dim}\n<LearnRateCoef> 0 {_kaldi_vector(inv_stds)}\n</Nnet>\n")


def save_tiny_paraformer(out: Path, seed: int = 0) -> Path:
    """Write the tiny model directory to ``out`` and return it."""
    import funasr.models.seaco_paraformer.model  # noqa: F401 - registers SeacoParaformer and its parts
    import numpy as np
    import torch
    import yaml
    from funasr.register import tables

    out.mkdir(parents=True, exist_ok=True)
    vocab = len(TOKENS)
    cfg_text = CONFIG_YAML.format(dim=DIM, n_mels=N_MELS, lfr_m=LFR_M, no_bias=vocab - 2)
    (out / "config.yaml").write_text(cfg_text, encoding="utf-8")
    (out / "tokens.json").write_text(json.dumps(TOKENS, ensure_ascii=False), encoding="utf-8")
    (out / "configuration.json").write_text(json.dumps(CONFIGURATION_JSON, indent=2), encoding="utf-8")

    rng = np.random.default_rng(seed)
    feat_dim = N_MELS * LFR_M
    # Log-mel fbank of quiet audio sits around -8..-2; shift and scale bring it near N(0, 1).
    means = -rng.uniform(2.0, 8.0, feat_dim)
    inv_stds = rng.uniform(0.2, 0.5, feat_dim)
    (out / "am.mvn").write_text(am_mvn_text(means, inv_stds), encoding="utf-8")

    # Build kwargs as funasr's AutoModel.build_model does: model_conf, then the whole config on top.
    cfg = yaml.safe_load(cfg_text)
    kwargs = {**cfg["model_conf"], **cfg, "vocab_size": vocab, "input_size": feat_dim}
    torch.manual_seed(seed)
    model = tables.model_classes.get(cfg["model"])(**kwargs)
    with torch.no_grad():
        # A random CIF predictor rarely reaches its firing threshold; a positive output bias makes it
        # fire about once per frame so the tiny model emits tokens.
        model.predictor.cif_output.bias.fill_(3.0)
    torch.save(model.state_dict(), out / "model.pt")
    return out
