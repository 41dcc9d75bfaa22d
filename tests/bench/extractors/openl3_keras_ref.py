"""The reference side of tests/bench/extractors/test_openl3.py, run in its own process (TensorFlow
with Keras 2 through tf-keras, kapre 0.3.7): openl3 0.4.2's mel256 audio model as its
``openl3/models.py`` assembles it (kapre's own ``get_melspectrogram_layer`` with openl3's
arguments, openl3's kapre-0.1.4 decibel Lambda and the Permute, then the Keras BN / Conv2D /
MaxPooling2D stack, then ``load_weights`` and the MaxPooling2D((32, 24), "same") + Flatten of
``load_audio_embedding_model_from_path``). openl3 itself is not importable here (its setup.py
downloads all weights from GitHub while installing), so the assembly is written out below from
its source; kapre's layers, Keras's layers and Keras's HDF5 loader are the packages' own.

    python openl3_keras_ref.py WINDOWS.npy OUT_DIR SEED

writes OUT_DIR/weights.h5 (``Model.save_weights``: Keras's HDF5 weights layout, random weights
including the batch-norm statistics), then a fresh model loads it with ``load_weights`` and
embeds WINDOWS (n, 48000): OUT_DIR/emb.npy (n, 512) and OUT_DIR/mel.npy (the front end, n x 256
x 199).
"""
import os
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # oneDNN sums in a thread-dependent order; the reference must not move

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from kapre.composed import get_melspectrogram_layer  # noqa: E402
from tensorflow.keras import Model, backend as K  # noqa: E402
from tensorflow.keras.layers import (Activation, BatchNormalization, Conv2D, Flatten, Input, Lambda,  # noqa: E402
                                     MaxPooling2D, Permute)


def db_kapre_014(x, amin=1e-10, dynamic_range=80.0):
    log_spec = 10.0 * tf.math.log(K.maximum(x, amin)) / tf.math.log(tf.constant(10, dtype=x.dtype))
    return K.maximum(log_spec - K.max(log_spec, axis=(1, 2, 3), keepdims=True), -dynamic_range)


def mel256_network():
    x = Input(shape=(1, 48000), dtype="float32")
    spec = get_melspectrogram_layer(input_shape=(1, 48000), n_fft=2048, hop_length=242, n_mels=256,
                                    sample_rate=48000, return_decibel=False, pad_end=True,
                                    input_data_format="channels_first", output_data_format="channels_last")
    spec.add(Lambda(db_kapre_014))
    spec.add(Permute((2, 1, 3)))
    front = spec(x)
    y = BatchNormalization()(front)
    for block, width in enumerate((64, 128, 256, 512)):
        y = Activation("relu")(BatchNormalization()(Conv2D(width, (3, 3), padding="same",
                                                           kernel_initializer="he_normal")(y)))
        if block < 3:
            y = Activation("relu")(BatchNormalization()(Conv2D(width, (3, 3), padding="same",
                                                               kernel_initializer="he_normal")(y)))
            y = MaxPooling2D(pool_size=(2, 2), strides=2)(y)
        else:
            y = Conv2D(width, (3, 3), padding="same", kernel_initializer="he_normal", name="audio_embedding_layer")(y)
    return Model(inputs=x, outputs=y), Model(inputs=x, outputs=front)


def main(windows_path, out_dir, seed):
    rng = np.random.default_rng(int(seed))
    tf.random.set_seed(int(seed))
    net, _ = mel256_network()
    for layer in net.layers:
        if isinstance(layer, BatchNormalization):
            c = layer.get_weights()[0].shape
            layer.set_weights([rng.uniform(0.5, 1.5, c), rng.normal(0, 0.2, c), rng.normal(0, 0.5, c),
                               rng.uniform(0.5, 2.0, c)])
        elif isinstance(layer, Conv2D):
            kernel, bias = layer.get_weights()
            # Glorot-uniform from the seeded generator: Keras's own unseeded init gave another
            # network (and another round-off sensitivity) in every process
            fan_in, fan_out = np.prod(kernel.shape[:-1]), np.prod(kernel.shape[:-2]) * kernel.shape[-1]
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            layer.set_weights([rng.uniform(-limit, limit, kernel.shape), rng.normal(0, 0.05, bias.shape)])
    h5 = os.path.join(out_dir, "weights.h5")
    net.save_weights(h5)

    fresh, front = mel256_network()
    fresh.load_weights(h5)  # Keras's own HDF5 loading, as openl3's load_audio_embedding_model_from_path
    pooled = MaxPooling2D(pool_size=(32, 24), padding="same")(fresh.output)
    emb_model = Model(inputs=fresh.input, outputs=Flatten()(pooled))
    x = np.load(windows_path).astype(np.float32)[:, None, :]
    np.save(os.path.join(out_dir, "emb.npy"), emb_model.predict(x, batch_size=4, verbose=0))
    np.save(os.path.join(out_dir, "mel.npy"), front.predict(x, batch_size=4, verbose=0)[..., 0])


if __name__ == "__main__":
    main(*sys.argv[1:])
