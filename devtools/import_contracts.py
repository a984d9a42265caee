"""An import-linter contract for an allow-list: a package imports only the standard library,
itself and a few named outside packages (import-linter's own contracts forbid, never allow)."""

from __future__ import annotations

import sys
from typing import Any

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output
from importlinter.domain.helpers import module_expressions_to_modules


class OnlyExternalContract(Contract):
    """Every module of `source_modules` imports, outside the project's own packages, only the
    standard library and the packages named in `allowed_external`.

    Needs `include_external_packages = True`: outside packages (the standard library's too) are
    then nodes of the graph, one per top-level name."""

    type_name = "only_external"

    source_modules = fields.SetField(subfield=fields.ModuleExpressionField())
    allowed_external = fields.SetField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        own = set(self.session_options["root_packages"])
        allowed = set(sys.stdlib_module_names) | self._option("allowed_external")
        violations: list[dict[str, Any]] = []
        for source in module_expressions_to_modules(graph, self._option("source_modules")):
            if source.name not in graph.modules:
                raise ValueError(f"Module '{source.name}' does not exist.")
            for importer in sorted({source.name} | graph.find_descendants(source.name)):
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    top = imported.split(".")[0]
                    if top in own or top in allowed:
                        continue
                    lines = tuple(detail["line_number"] for detail in
                                  graph.get_import_details(importer=importer, imported=imported))
                    violations.append({"importer": importer, "imported": imported,
                                       "line_numbers": lines})
                    output.verbose_print(verbose, f"{importer} imports {imported}")
        return ContractCheck(kept=not violations, warnings=[],
                             metadata={"violations": violations})

    def _option(self, name: str) -> set[Any]:
        """A field's parsed value (import-linter sets it on the instance, over the field)."""
        value: set[Any] = getattr(self, name)
        return value

    def render_broken_contract(self, check: ContractCheck) -> None:
        output.print_error("Imports of packages that are not allowed here:")
        output.new_line()
        for violation in check.metadata["violations"]:
            lines = ", ".join(f"l.{number}" for number in violation["line_numbers"])
            output.print_error(f"-   {violation['importer']} -> {violation['imported']} ({lines})",
                               bold=False)
        output.new_line()
