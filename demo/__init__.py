"""The illustrative demo: a generated territory, units, a year of cases and the demo accounts.

Depends on ``dispatch`` and ``geo``; nothing in the product imports it (only ``./run demo`` and
``./run generate`` through ``python -m demo``, the tests and the benchmarks).
"""
