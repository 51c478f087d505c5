"""capplan's tests, as a regular package.

A regular package wins over a stray top-level `tests` from another distribution (ciw
ships one), which would otherwise shadow this folder.
"""
