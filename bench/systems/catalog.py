"""Every system, by name -> "module:factory" (imported only when used). The factory takes no
required arguments and returns a bench.systems.base.System. Add a system by adding one line."""

SYSTEMS: dict[str, str] = {
    "oracle": "bench.systems.oracle:OracleSystem",
}
