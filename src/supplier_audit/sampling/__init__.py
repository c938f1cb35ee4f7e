"""Inspection sampling to ISO 2859-1:1999 / GB/T 2828.1-2012: plans, switching rules, draws.

The public API is re-exported here; see the submodules for the details of each part:
:mod:`.tables` (the shipped tables 1 and 2-A/2-B/2-C), :mod:`.plans` (single sampling plans,
OC curve), :mod:`.acceptance` (was a lot accepted), :mod:`.switching` (clause 9 switching
rules), :mod:`.in_force` (the inspection in force tonight: one replay of the switching rules),
:mod:`.selection` (which lots tonight, and why), :mod:`.sizing` (how samples are sized),
:mod:`.draws` (seeded unit draws and labels) and :mod:`.nightly` (tonight's inspection plan)."""

from supplier_audit.contracts.vocabulary import INSPECTION_LEVELS, SEVERITIES
from supplier_audit.sampling.draws import carton_labels, draw_units, format_units, unit_generator
from supplier_audit.sampling.in_force import InspectionInForce, inspection_in_force
from supplier_audit.sampling.nightly import EXTRA_COLUMNS, PLAN_COLUMNS, plan_inspections
from supplier_audit.sampling.plans import (
    SamplingPlan,
    acceptance_probability,
    one_step_tighter_acceptance_number,
    plan_lots,
    single_sampling_plan,
)
from supplier_audit.sampling.sizing import (
    SIZING_MODES,
    SampleSizing,
    allocate_budget,
    resize_samples,
    zero_acceptance_sample_size,
)
from supplier_audit.sampling.switching import (
    STOP_PURCHASING,
    SwitchingState,
    switching_states,
    switching_trace,
)
from supplier_audit.sampling.tables import (
    AQL_SERIES,
    CODE_LETTERS,
    aql_problem,
    master_table,
    normalise_level,
    normalise_severity,
    sample_size_table,
    table_1_code_letters,
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
