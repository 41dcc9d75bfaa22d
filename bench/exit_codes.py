"""Exit codes of every ``unison-bench`` command (CI scripts branch on them)."""

EXIT_OK = 0
EXIT_FAIL = 1  # the command ran and failed (or a check failed)
EXIT_REGRESSION = EXIT_FAIL  # `regress`: at least one metric regressed
EXIT_BAD_INPUT = 2  # unreadable / malformed input (e.g. a results.json), unknown name, bad arguments
