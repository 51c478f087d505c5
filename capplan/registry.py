"""The scheme registry: every redundancy scheme capplan knows, by the name a file gives it.

A new scheme is one module (a :class:`capplan.schemes.Scheme` subclass) and one line
here. The file format, its JSON Schema, ``size --redundancy``, ``compare``'s columns and
the table's labels are all built from this table. It imports nothing, so the command line
can read it at start-up; a scheme's class is imported only when a tier uses it.
"""

from __future__ import annotations

from typing import NamedTuple


class SchemeEntry(NamedTuple):
    """One scheme: where its class lives, its short label, the tier keys only it takes."""

    #: ``module:Class`` of its :class:`~capplan.schemes.Scheme` subclass.
    target: str
    #: How tables name it (at most 8 characters).
    label: str
    #: Tier keys that only this scheme reads (``spread``, ``standby``): refused elsewhere.
    keys: tuple[str, ...] = ()


SCHEMES: dict[str, SchemeEntry] = {
    "pool": SchemeEntry("capplan.schemes:Pool", "pool"),
    "ring": SchemeEntry("capplan.schemes:Ring", "ring", ("spread",)),
    "active-passive": SchemeEntry("capplan.schemes:ActivePassive", "act-pass", ("standby",)),
}


def scheme_class(name: str) -> type:
    """The class registered as *name*, imported now."""
    from importlib import import_module

    module, _, attribute = SCHEMES[name].target.partition(":")
    found: type = getattr(import_module(module), attribute)
    return found
