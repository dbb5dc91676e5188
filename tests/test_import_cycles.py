"""No module of the till's adapters or domain imports one that imports it back, directly or through others.

Import-linter's contracts hold the layers, not cycles inside a layer; a cycle inside
adapters/db (audit -> receipts -> settings -> audit, and schema -> audit -> ... -> schema) worked only
because some of those imports were made inside functions. grimp (import-linter's own graph, which
counts imports inside functions too) finds every such loop.
"""

from __future__ import annotations

import grimp


# Where cycles are not allowed. (services/tenders and ui/payment_pages register their kinds from
# the package's __init__, which each kind's module imports back: a plugin pattern, left to them.)
CHECKED = ("pos.adapters", "pos.domain")


def cycles(package: str = "pos") -> list[list[str]]:
    graph = grimp.build_graph(package)
    found = []
    for module in sorted(m for m in graph.modules if m.startswith(CHECKED)):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None:
                found.append([module, *back])
    return found


def test_no_module_imports_itself_back():
    assert cycles() == []
