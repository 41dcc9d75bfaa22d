"""DeepFusion MM-DiT: blocks, fusion, embeddings, the assembled variants, and their parameter table."""
from unison.model.dit import TextCond, UnisonDiT, build_dit, count_parameters
from unison.model.fusion import layer_map
from unison.model.info import info, parameter_table

__all__ = ["TextCond", "UnisonDiT", "build_dit", "count_parameters", "info", "layer_map", "parameter_table"]
