"""Exit codes of every command of both trees (``unison`` and ``unison-bench``; CI scripts branch on them)."""

EXIT_OK = 0
EXIT_FAIL = 1  # the command ran and failed (or a check failed); for `unison`, an unexpected error (a bug)
EXIT_REGRESSION = EXIT_FAIL  # `unison-bench regress`: at least one metric regressed
EXIT_VERIFY_FAILED = EXIT_FAIL  # `unison-bench weights verify|fetch`: a file differs from its pinned sha256
EXIT_BAD_INPUT = 2  # a bad option, file, name, override or input audio; unreadable or malformed input
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)
