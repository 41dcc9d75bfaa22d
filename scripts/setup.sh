#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine (idempotent; run by `make setup`).
# Debian packages: offline TTS voices, real recorded sounds and speech, audio tools, headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  flite festival festvox-kallpc16k festvox-us-slt-hts espeak-ng
  tuxpaint-stamps-default sound-theme-freedesktop
  asterisk-core-sounds-en-wav asterisk-core-sounds-en pocketsphinx-testdata
  sox chromium
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PY=${PYTHON:-python3}
# The GPU runner image's torch triple (torchvision for laion-clap, torchaudio for frechet-audio-distance).
$PY -m pip install -q "torch==2.11.0" "torchaudio==2.11.0" "torchvision==0.26.0"
$PY -m pip install -q -e ".[offline,paper,chinese,dev,conformance]"
# Reference code for the conformance tier, without dependencies: audioldm_eval needs ssr-eval, whose
# "wave" dependency pulls a Python-2-only package; f5-tts (its eval/ecapa_tdnn.py is UniSpeech's ECAPA
# as seed-tts-eval vendors it) would pull a web UI and GPU libraries that module never imports.
$PY -m pip install -q --no-deps "audioldm_eval==0.0.3" "ssr-eval==0.0.7" "f5-tts==1.1.22"
# voice2gender pins an xgboost that does not exist for Python 3.11: install it without its
# dependencies; xgboost==3.2.0 comes from the offline extra above.
$PY -m pip install -q --no-deps "voice2gender==0.1.1"
# Reference packages pinned below this project's librosa 0.11 / pandas 3 (msclap: librosa<0.11,
# pandas<3; fadtk through msclap): installed without their dependencies, which are all present
# (their code runs on the newer versions: tests/bench/metrics/test_fad_inf.py, tests/bench/extractors/test_msclap.py).
$PY -m pip install -q --no-deps "fadtk==1.1.0" "hypy_utils==1.0.29" "nnaudio==0.3.4" "msclap==1.3.4"
# OpenL3's reference side (tests/bench/extractors/test_openl3.py): kapre 0.3.7 (what
# stable-audio-metrics pins) on Keras 2 through tf-keras, both of which require the "tensorflow"
# distribution (the CUDA build); tensorflow-cpu from the conformance extra provides the same module.
# openl3 itself cannot be installed offline (its setup.py downloads every weights file).
$PY -m pip install -q --no-deps "tf-keras==2.20.1" "kapre==0.3.7"
