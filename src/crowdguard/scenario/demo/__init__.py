"""Embedded demo data: the Hampshire & Isle of Wight Christmas season (``hampshire.yaml``).

Read it with :func:`crowdguard.scenario.demo_scenario` or locate it with
:func:`crowdguard.scenario.demo_path`. Every estimated figure in the file is labelled
``[ESTIMATE]``; staging bases are public police buildings or invented points, never real
armed-unit bases (``domain.md`` section 7).
"""
