"""Every metric variant, by key ``name@variant`` -> "module:factory" (imported only when used).

Add a variant by adding one line here; the factory returns a bench.metrics.base.Metric.
"""

METRICS: dict[str, str] = {
}
