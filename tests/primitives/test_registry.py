from __future__ import annotations

import pytest

from datafab.errors import InvalidInput
from datafab.primitives import Primitive, get_primitive, primitive_names

from .conftest import record_view

MINE = ["compare", "grade", "rank", "spans", "steps", "trajectory", "write"]


@pytest.mark.parametrize("name", MINE)
def test_registered_and_exports_records(name):
    assert name in primitive_names()
    primitive = get_primitive(name)
    assert isinstance(primitive, Primitive) and primitive.name == name
    assert "records" in primitive.export_formats


@pytest.mark.parametrize("name", MINE)
def test_unknown_format_names_the_field(name):
    primitive = get_primitive(name)
    settings = primitive.parse_settings(
        {"spans": {"labels": ["A"]}, "grade": {"rubric": [{"id": "x"}]}}.get(name, {})
    )
    with pytest.raises(InvalidInput) as err:
        list(primitive.export_rows("no-such-format", settings, record_view({}, None)))
    assert err.value.field == "format"


def test_did_you_mean():
    with pytest.raises(InvalidInput) as err:
        get_primitive("trajectroy")
    assert "did you mean 'trajectory'" in err.value.message


def test_primitives_import_only_what_the_layer_rule_allows():
    import ast
    from pathlib import Path

    import datafab.primitives as package

    allowed = ("datafab.errors", "datafab.parsing", "datafab.registry", "datafab.primitives",
               "datafab.quality")
    for path in Path(package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                module = node.module
            elif isinstance(node, ast.Import):
                module = node.names[0].name
            else:
                continue
            if module.startswith("datafab"):
                assert module.startswith(allowed), f"{path.name} imports {module}"
            assert not module.startswith(("sqlalchemy", "fastapi", "httpx")), path.name
