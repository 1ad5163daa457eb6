"""Primitives a customer defines without code: a definition (YAML or JSON) names the item's
fields, the answer's fields with the aggregation and gold rule of each, a layout of Datafab's
own widgets and the export's columns. Pure, like every primitive: no database, no HTTP.

``parse_definition(raw)`` checks a definition (``InvalidInput`` naming its path);
``DeclarativePrimitive(definition)`` is the primitive projects on it use.
"""

from datafab.primitives.declarative.definition import (
    Definition,
    check_name,
    parse_definition,
    version_of,
)
from datafab.primitives.declarative.primitive import DeclarativePrimitive

__all__ = ["DeclarativePrimitive", "Definition", "check_name", "parse_definition",
           "version_of"]
