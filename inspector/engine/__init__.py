"""The engine: one chain's text in, a `ChainResult` out, knowing nothing of files, databases or terminals.

The data's path through it is the order of its modules, composed in `pipeline.verify_chain`:
`segment` (steps) → `latex_text` and `extract` (formulas, parsed by `arith`) → `check` (each formula exactly,
with `precision` and `notation`) → `derive` (rewrites across lines, with `intent`) → `trace` (wrong values
followed, repaired) → `answer` (final answer against the reference, `equivalence` for math-verify) →
`classify` (the verdict). `model` holds the dataclasses every stage passes along; `rules` the rule set.
"""
