"""Training data: corpora manifests, offline sources, online multi-task synthesis, curriculum."""
