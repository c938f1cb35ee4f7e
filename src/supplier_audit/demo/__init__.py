"""A realistic demo world for supplier-audit: input tables, planted problems and hidden truth.

`generate_world` writes what a merchant reselling goods from ~200 suppliers would hand the
nightly audit, with counterfeit sources, sloppy suppliers, targets of malicious complaints and
newcomers planted among honest suppliers; at large sizes it drives the benchmarks.
"""

from supplier_audit.demo.world import WorldSummary, generate_world

__all__ = ["WorldSummary", "generate_world"]
