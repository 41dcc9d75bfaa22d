"""Systems turn test-set items into audio. They register by name in bench.registry."""
