"""admint.plans: the rules of changing a plan, shared by the planner (feedback) and the gateway (hand edits).

Pure functions over the contracts and the caption layout (Pillow only): no bus, no database, no model. The
gateway validates a `PATCH …/plan` and applies a confirmed feedback intent with them synchronously, the planner
uses the same rules to check what its interpreters understood, so a plan is never changed by two rule sets.
"""
