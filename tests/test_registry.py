"""The one registry primitives and model backends are kept in: lazy, checked, and an unknown
name names the field and the closest known name."""

from __future__ import annotations

import pytest

from datafab.errors import InvalidInput
from datafab.registry import Registry

ANSWER = 42

def test_an_entry_is_imported_on_first_use_and_checked():
    registry: Registry[int] = Registry("number", "number", lambda e: isinstance(e, int))
    registry.register("answer", f"{__name__}:ANSWER")
    registry.register("module", f"{__name__}:pytest")
    assert registry.names() == ["answer", "module"] and "answer" in registry
    assert registry.get("answer") == 42
    with pytest.raises(TypeError, match="is not a number"):
        registry.get("module")

def test_an_unknown_name_says_the_closest_and_names_the_field():
    registry: Registry[int] = Registry("number", "settings.number", lambda e: True,
                                       {"answer": f"{__name__}:ANSWER"})
    with pytest.raises(InvalidInput) as err:
        registry.get("answr")
    assert "did you mean 'answer'" in err.value.message
    assert err.value.field == "settings.number"
    registry.unregister("answer")
    with pytest.raises(InvalidInput):
        registry.get("answer")

def test_a_target_must_name_module_and_attribute():
    with pytest.raises(ValueError, match="module:attribute"):
        Registry("number", "n", lambda e: True).register("x", "no_colon")

def test_primitives_and_backends_are_registries():
    from datafab import models, primitives

    assert isinstance(primitives.REGISTRY, Registry) and isinstance(models.REGISTRY, Registry)
    assert "classify" in primitives.REGISTRY and "openai" in models.REGISTRY
    with pytest.raises(InvalidInput) as err:
        models.get_backend("opena")
    assert err.value.field == "backend" and "did you mean 'openai'" in err.value.message
