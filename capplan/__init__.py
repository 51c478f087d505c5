"""capplan: how many nodes each tier needs to carry peak load when nodes fail.

A library with a command line on top: every command is a function here, and each result's
``to_dict()`` is the document the command prints as JSON::

    import capplan

    site = capplan.load("examples/blueprint.yaml")
    capplan.plan(site).to_dict()["ok"]

Every error capplan raises on purpose is a :class:`CapplanError`. Names are imported on
first use (PEP 562), so ``import capplan`` loads neither pydantic nor the planner: the
command line imports this package first, and its start-up time matters.
"""

from __future__ import annotations

import sys as _sys
from importlib import import_module as _import_module
from types import ModuleType as _ModuleType

#: typing.TYPE_CHECKING, without importing typing (about 15 ms) for a bare ``import capplan``.
TYPE_CHECKING = False

__version__ = "0.1.0"

if TYPE_CHECKING:
    from capplan.api import check as check
    from capplan.api import compare as compare
    from capplan.api import diff as diff
    from capplan.api import export as export
    from capplan.api import failover as failover
    from capplan.api import load as load
    from capplan.api import plan as plan
    from capplan.api import size as size
    from capplan.diff import Diff as Diff
    from capplan.diff import TierChange as TierChange
    from capplan.errors import CapplanError as CapplanError
    from capplan.errors import InvalidArgument as InvalidArgument
    from capplan.errors import InvalidInput as InvalidInput
    from capplan.errors import OutputError as OutputError
    from capplan.errors import Problem as Problem
    from capplan.errors import TooMany as TooMany
    from capplan.errors import TooManySets as TooManySets
    from capplan.errors import Unattainable as Unattainable
    from capplan.errors import UnknownName as UnknownName
    from capplan.export import Export as Export
    from capplan.failover import Failover as Failover
    from capplan.failover import Ranking as Ranking
    from capplan.findings import CheckResult as CheckResult
    from capplan.findings import Finding as Finding
    from capplan.model import Topology as Topology
    from capplan.results import Comparison as Comparison
    from capplan.results import Comparisons as Comparisons
    from capplan.results import Plan as Plan
    from capplan.results import Sizing as Sizing
    from capplan.results import TierPlan as TierPlan

#: Each public name, and the module that defines it.
_HOME = {
    **dict.fromkeys(("load", "plan", "size", "failover", "compare", "check", "diff", "export",
                     "fit", "observe", "observe_prometheus"), "capplan.api"),
    "Observation": "capplan.observe",
    "Fit": "capplan.fit",
    **dict.fromkeys(("CapplanError", "InvalidInput", "Problem", "InvalidArgument",
                     "Unattainable", "TooMany", "OutputError", "UnknownName", "TooManySets",
                     "SourceUnavailable"),
                    "capplan.errors"),
    "Topology": "capplan.model",
    **dict.fromkeys(("Plan", "TierPlan", "Sizing", "Comparison", "Comparisons"),
                   "capplan.results"),
    **dict.fromkeys(("Failover", "Ranking"), "capplan.failover"),
    "Export": "capplan.export",
    **dict.fromkeys(("Diff", "TierChange"), "capplan.diff"),
    **dict.fromkeys(("CheckResult", "Finding"), "capplan.findings"),
}

__all__ = [
    "CapplanError",
    "CheckResult",
    "Comparison",
    "Comparisons",
    "Diff",
    "Export",
    "Failover",
    "Finding",
    "Fit",
    "InvalidArgument",
    "InvalidInput",
    "Observation",
    "OutputError",
    "Plan",
    "Problem",
    "Ranking",
    "Sizing",
    "SourceUnavailable",
    "TierChange",
    "TierPlan",
    "TooMany",
    "TooManySets",
    "Topology",
    "Unattainable",
    "UnknownName",
    "__version__",
    "check",
    "compare",
    "diff",
    "export",
    "failover",
    "fit",
    "load",
    "observe",
    "observe_prometheus",
    "plan",
    "size",
]


if not TYPE_CHECKING:  # hidden from type checkers, so that capplan.plna is an error there

    def __getattr__(name: str) -> object:
        """Import a public name's module on first use, then keep the name here."""
        home = _HOME.get(name)
        if home is None:
            raise AttributeError(f"module 'capplan' has no attribute '{name}'")
        value = getattr(_import_module(home), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    # What a notebook's completion should offer: the public names, and submodules loaded.
    hidden = ("TYPE_CHECKING", "annotations")
    return sorted({*__all__, *(name for name in globals()
                               if not name.startswith("_") and name not in hidden)})


#: Functions that share their name with a module of the package (capplan.failover).
_FUNCTIONS = frozenset(name for name, home in _HOME.items()
                       if home == "capplan.api" and name[0].islower())


class _Package(_ModuleType):
    """The package, where a public function keeps its name over a submodule's.

    Importing ``capplan.failover`` (the engine module) would otherwise rebind the package
    attribute ``failover`` from the function to the module; ``from capplan.failover
    import …`` is unaffected, as it reads ``sys.modules``.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name in _FUNCTIONS and isinstance(value, _ModuleType):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package
