"""Inspection sampling to ISO 2859-1:1999 / GB/T 2828.1-2012: plans, switching rules, draws.

The public API is re-exported here; see the submodules for the details of each part:
:mod:`.plans` (tables 1 and 2-A/2-B/2-C, single sampling plans, OC curve), :mod:`.switching`
(clause 9 switching rules), :mod:`.sizing` (zero-acceptance sample sizes, budget allocation),
:mod:`.draws` (seeded unit draws and labels), :mod:`.acceptance` (was a lot accepted),
:mod:`.in_force` (the inspection in force tonight: one replay of the switching rules) and
:mod:`.nightly` (tonight's inspection plan).
"""

from supplier_audit.contracts.vocabulary import INSPECTION_LEVELS, SEVERITIES
from supplier_audit.sampling.draws import carton_labels, draw_units, format_units, unit_generator
from supplier_audit.sampling.in_force import InspectionInForce, inspection_in_force
from supplier_audit.sampling.nightly import (
    EXTRA_COLUMNS,
    PLAN_COLUMNS,
    SIZING_MODES,
    SampleSizing,
    plan_inspections,
    resize_samples,
)
from supplier_audit.sampling.plans import (
    AQL_SERIES,
    CODE_LETTERS,
    SamplingPlan,
    acceptance_probability,
    aql_problem,
    master_table,
    normalise_level,
    normalise_severity,
    one_step_tighter_acceptance_number,
    plan_lots,
    sample_size_table,
    single_sampling_plan,
    table_1_code_letters,
)
from supplier_audit.sampling.sizing import allocate_budget, zero_acceptance_sample_size
from supplier_audit.sampling.switching import (
    STOP_PURCHASING,
    SwitchingState,
    switching_states,
    switching_trace,
)

__all__ = [
    "AQL_SERIES",
    "CODE_LETTERS",
    "EXTRA_COLUMNS",
    "INSPECTION_LEVELS",
    "PLAN_COLUMNS",
    "SEVERITIES",
    "SIZING_MODES",
    "STOP_PURCHASING",
    "InspectionInForce",
    "SampleSizing",
    "SamplingPlan",
    "SwitchingState",
    "acceptance_probability",
    "allocate_budget",
    "aql_problem",
    "carton_labels",
    "draw_units",
    "format_units",
    "inspection_in_force",
    "master_table",
    "normalise_level",
    "normalise_severity",
    "one_step_tighter_acceptance_number",
    "plan_inspections",
    "plan_lots",
    "resize_samples",
    "sample_size_table",
    "single_sampling_plan",
    "switching_states",
    "switching_trace",
    "table_1_code_letters",
    "unit_generator",
    "zero_acceptance_sample_size",
]
