"""``InOrder``: a response model that answers its keys in the order the service gave them.

A model serializes its fields in the order it declares them. Most services build their
dictionaries in a fixed order and the models follow it; a few answers spread JSON the database
kept (a workforce policy, an invoice's lines), whose key order PostgreSQL's JSONB chooses, not
the code. Those models remember the order of the dictionary they were made from and answer in
it, so declaring a model changes no byte of the answer on either backend."""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    ValidatorFunctionWrapHandler,
    model_serializer,
    model_validator,
)


class InOrder(BaseModel):
    _order: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _remember_order(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        made = handler(value)
        if isinstance(value, dict) and isinstance(made, InOrder):
            made._order = tuple(value)
        return made

    @model_serializer(mode="wrap")
    def _in_order(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        # No return annotation: the serialization schema stays the model's own fields.
        out = handler(self)
        if not self._order or not isinstance(out, dict):
            return out
        rank = {key: i for i, key in enumerate(self._order)}
        return dict(sorted(out.items(), key=lambda kv: rank.get(kv[0], len(rank))))
