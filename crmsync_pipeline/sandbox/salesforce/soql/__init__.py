"""SOQL for the Salesforce sandbox: a lark grammar (`soql.lark`) and an evaluator over the emulator's
rows. `parse_soql` is syntax only (cached by text); `execute` resolves names and runs the query;
`compile_condition` turns a WHERE-style condition into a predicate for validation/duplicate rules.
"""

from .catalog import FieldMeta, SoqlCatalog
from .errors import SoqlError
from .executor import SoqlResult, execute
from .nodes import SoqlQuery
from .options import SoqlOptions
from .parser import parse_soql
from .validation import compile_condition

__all__ = [
    "FieldMeta",
    "SoqlCatalog",
    "SoqlError",
    "SoqlOptions",
    "SoqlQuery",
    "SoqlResult",
    "compile_condition",
    "execute",
    "parse_soql",
]
