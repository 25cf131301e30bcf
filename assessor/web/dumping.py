"""Dumping marshmallow schemas without marshmallow's per-field overhead.

A page of 100 results items is about 23,000 field values; marshmallow spends most of a
page's time looking each one up and calling its field. `CompiledDumpSchema` keeps the
schema as the one description of the shape (the OpenAPI document and loading are
marshmallow's) and dumps with a plan built once from its own fields: for each field, a
plain function doing what that field's `_serialize` does. A field type, option or hook the
plan does not know is dumped by marshmallow itself, so the output is always exactly
`ma.Schema.dump`'s (tests/api/test_dumping.py compares the two on real and generated data).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from marshmallow import fields
from marshmallow.decorators import POST_DUMP, PRE_DUMP
from marshmallow.utils import ensure_text_type, missing

#: One value, already looked up, to its dumped form (a field's `_serialize`).
Convert = Callable[[Any], Any]
#: One object to its dumped dict (a schema's `dump` with many=False).
Dump = Callable[[Any], dict[str, Any]]


def _string(value: Any) -> Any:
    if value is None:
        return None
    return value if value.__class__ is str else ensure_text_type(value)


def _integer(value: Any) -> Any:
    return None if value is None else int(value)


def _float(value: Any) -> Any:
    return None if value is None else float(value)


def _same(value: Any) -> Any:
    return value


def _or_none(convert: Convert) -> Convert:
    def run(value: Any) -> Any:
        return None if value is None else convert(value)

    return run


def _list_of(inner: Convert) -> Convert:
    def run(value: Any) -> Any:
        return None if value is None else [inner(each) for each in value]

    return run


def _dict_of(key: Convert | None, inner: Convert | None) -> Convert:
    def run(value: Any) -> Any:
        if value is None:
            return None
        if key is None and inner is None:
            return dict(value)
        if inner is None:
            # marshmallow maps every key first, so a later one mapped to the same name wins.
            keys = {k: key(k) for k in value}  # type: ignore[misc]
            return {keys[k]: v for k, v in value.items()}
        if key is None:
            return {k: inner(v) for k, v in value.items()}
        keys = {k: key(k) for k in value}
        return {keys[k]: inner(v) for k, v in value.items()}

    return run


def _temporal(field: fields.Date | fields.DateTime) -> Convert:
    data_format = field.format or field.DEFAULT_FORMAT
    function = field.SERIALIZATION_FUNCS.get(data_format)
    if function is not None:
        return _or_none(function)
    return _or_none(lambda value: value.strftime(data_format))


class _Compiler:
    """Builds the plans of one schema and the schemas nested in it, each once."""

    def __init__(self) -> None:
        self.plans: dict[int, Dump | None] = {}
        #: Schema classes being planned: one nested in itself (a tree) is left to
        #: marshmallow, which builds each level's schema only when there is a value.
        self.building: set[type] = set()

    def schema(self, schema: ma.Schema) -> Dump | None:
        """A dump of one object with `schema`, or None when marshmallow must do it."""
        key = id(schema)
        if key in self.plans:
            return self.plans[key]
        kind = type(schema)
        if kind in self.building or not _plain_schema(schema):
            return None
        self.building.add(kind)
        plan = []
        for attr_name, field in schema.dump_fields.items():
            name = field.data_key if field.data_key is not None else attr_name
            source = attr_name if field.attribute is None else field.attribute
            convert = self.field(field)
            simple = convert is not None and field._CHECK_ATTRIBUTE and "." not in source
            plan.append((name, source, convert if simple else None, field, attr_name))
        self.building.discard(kind)
        dump = _schema_dump(schema, plan)
        self.plans[key] = dump
        return dump

    def field(self, field: fields.Field) -> Convert | None:
        """What `field._serialize(value, ...)` does, or None when it is not known here."""
        kind = type(field)
        if kind is fields.String:
            return _string
        if kind is fields.Integer and not field.as_string:  # type: ignore[attr-defined]
            return _integer
        if kind is fields.Float and not field.as_string:  # type: ignore[attr-defined]
            return _float
        if kind in (fields.Boolean, fields.Raw):
            return _same
        if kind in (fields.Date, fields.DateTime):
            return _temporal(field)  # type: ignore[arg-type]
        if kind is fields.Nested:
            return self.nested(field)  # type: ignore[arg-type]
        if kind is fields.List:
            inner = self.field(field.inner)  # type: ignore[attr-defined]
            return None if inner is None else _list_of(inner)
        if kind is fields.Dict:
            return self.mapping(field)  # type: ignore[arg-type]
        return None

    def nested(self, field: fields.Nested) -> Convert | None:
        schema = field.schema
        dump = self.schema(schema)
        if dump is None:
            return None
        if schema.many or field.many:
            return _list_of(dump)
        return _or_none(dump)

    def mapping(self, field: fields.Dict) -> Convert | None:
        key = value = None
        if field.key_field is not None:
            key = self.field(field.key_field)
            if key is None:
                return None
        if field.value_field is not None:
            value = self.field(field.value_field)
            if value is None:
                return None
        return _dict_of(key, value)


def _plain_schema(schema: ma.Schema) -> bool:
    """Whether `schema.dump` is marshmallow's own: no hooks, no overridden lookup."""
    kind = type(schema)
    return (
        not schema._hooks[PRE_DUMP]
        and not schema._hooks[POST_DUMP]
        and kind.get_attribute is ma.Schema.get_attribute
        and kind._serialize is ma.Schema._serialize
        and kind.dump in (ma.Schema.dump, CompiledDumpSchema.dump)
        and schema.dict_class is dict
    )


def _schema_dump(schema: ma.Schema, plan: list[tuple]) -> Dump:
    accessor = schema.get_attribute
    defaults = {name: field.dump_default for name, _, _, field, _ in plan}

    def dump(obj: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        mapping = hasattr(obj, "__getitem__")
        for name, source, convert, field, attr_name in plan:
            if convert is None:
                value = field.serialize(attr_name, obj, accessor=accessor)
                if value is not missing:
                    out[name] = value
                continue
            if mapping:
                try:
                    value = obj[source]
                except (KeyError, IndexError, TypeError, AttributeError):
                    value = getattr(obj, source, missing)
            else:
                value = getattr(obj, source, missing)
            if value is missing:
                default = defaults[name]
                value = default() if callable(default) else default
                if value is missing:
                    continue
            out[name] = convert(value)
        return out

    return dump


class CompiledDumpSchema(ma.Schema):
    """A schema that dumps through a plan compiled from its fields on first use."""

    _compiled: Dump | None

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        plan = self.__dict__.get("_compiled", missing)
        if plan is missing:
            plan = self._compiled = _Compiler().schema(self)
        if plan is None:
            return super().dump(obj, many=many)
        many = self.many if many is None else bool(many)
        if many and obj is not None:
            return [plan(each) for each in obj]
        return plan(obj)
