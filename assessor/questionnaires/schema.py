"""The shape of a questionnaire file, as a marshmallow schema.

The schema checks each field on its own (types, required keys, unknown keys, allowed values);
the checks that need the whole file (declared domains and rungs, duplicates, skip logic) are
in `checks.py`, so that every failure can be reported together, naming the item it concerns.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from assessor.questionnaires.definition import ITEM_TYPES

#: Every audience the results are computed for (scoring.md section 3).
KNOWN_AUDIENCES = ("staff", "patient_leader")
#: A file may be a draft or published; retiring is done in the database.
FILE_STATUSES = ("draft", "published")

_SLUG = validate.Regexp(
    r"^[a-z0-9][a-z0-9-]*$", error="must be lower-case letters, digits and hyphens"
)
_KEY = validate.Regexp(
    r"^[a-z][a-z0-9_]*$", error="must be lower-case letters, digits and underscores"
)
_LINK_ID = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    error="must be letters, digits, '.', '_' or '-' (at most 64 characters)",
)
_CONCEPT = validate.Regexp(
    r"^[a-z0-9][a-z0-9_.-]*$",
    error="must be a lower-case slug such as 'governance.patient-leaders-on-board'",
)
_NON_EMPTY = validate.Length(min=1, error="must not be empty")
_PRINCIPLE_KEY = validate.Regexp(
    r"^[a-z0-9][a-z0-9_-]*$", error="must be lower-case letters, digits, '_' and '-'"
)


def _text(**kwargs: object) -> fields.String:
    return fields.String(validate=_NON_EMPTY, **kwargs)  # type: ignore[arg-type]


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class _Keyed(_Strict):
    """An entry named by a lower-case key: a rung, a domain or an option."""

    key = fields.String(required=True, validate=_KEY)


class RungSchema(_Keyed):
    label = _text(required=True)
    description = fields.String(load_default="")


class DomainSchema(_Keyed):
    title = _text(required=True)
    description = fields.String(load_default="")


class OptionSchema(_Keyed):
    label = _text(required=True)


class PrincipleSchema(_Strict):
    key = fields.String(required=True, validate=_PRINCIPLE_KEY)
    framework = fields.String(required=True, validate=_PRINCIPLE_KEY)
    label = _text(required=True)


class EnableWhenSchema(_Strict):
    link_id = fields.String(required=True, validate=_LINK_ID)
    answer = _text(required=True)


class ItemSchema(_Strict):
    link_id = fields.String(required=True, validate=_LINK_ID)
    concept = fields.String(required=True, validate=_CONCEPT)
    type = fields.String(
        required=True,
        validate=validate.OneOf(ITEM_TYPES, error="must be one of: {choices}"),
    )
    text = _text(required=True)
    domain = fields.String(load_default=None, allow_none=True)
    rung = fields.String(load_default=None, allow_none=True)
    options = fields.List(fields.Nested(OptionSchema), load_default=None, allow_none=True)
    text_for = fields.Dict(keys=fields.String(), values=_text(), load_default=dict)
    help = fields.String(load_default=None, allow_none=True)
    required = fields.Boolean(load_default=False, truthy={True}, falsy={False})
    enable_when = fields.Nested(EnableWhenSchema, load_default=None, allow_none=True)
    principles = fields.List(fields.String(validate=_NON_EMPTY), load_default=list)
    #: an item this one only makes sense after (documentation for unscored items; refused on
    #: scored ones, which must stand alone). Not stored in the definition.
    depends_on = fields.String(load_default=None, allow_none=True, validate=_LINK_ID)


class QuestionnaireFileSchema(_Strict):
    key = fields.String(required=True, validate=_SLUG)
    version = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, error="must be a whole number from 1 up"),
    )
    title = _text(required=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf(
            FILE_STATUSES,
            error="must be one of: {choices} (retire a version with "
            "`assessor questionnaires retire KEY VERSION`)",
        ),
    )
    revises = fields.Integer(strict=True, load_default=None, allow_none=True)
    audiences = fields.List(
        fields.String(validate=validate.OneOf(KNOWN_AUDIENCES, error="must be one of: {choices}")),
        required=True,
        validate=validate.Length(min=1, error="must name at least one audience"),
    )
    threshold = fields.Float(
        required=True,
        validate=validate.Range(
            min=0, max=1, min_inclusive=False, error="must be more than 0 and at most 1"
        ),
    )
    rungs = fields.List(
        fields.Nested(RungSchema),
        required=True,
        validate=validate.Length(min=1, error="must declare at least one rung"),
    )
    domains = fields.List(
        fields.Nested(DomainSchema),
        required=True,
        validate=validate.Length(min=1, error="must declare at least one domain"),
    )
    items = fields.List(
        fields.Nested(ItemSchema),
        required=True,
        validate=validate.Length(min=1, error="must contain at least one item"),
    )
    # From version 3 on (questionnaire-format.md); the loader checks which versions may
    # use them and how items refer to them.
    not_happening = fields.Boolean(load_default=False, truthy={True}, falsy={False})
    definitions = fields.Dict(keys=fields.String(validate=_KEY), values=_text(), load_default=dict)
    principles = fields.List(fields.Nested(PrincipleSchema), load_default=list)
    #: phrases joined by "and"/"or" that name one thing, reviewed once for the version; the
    #: one-statement check ignores them.
    fixed_phrases = fields.List(fields.String(validate=_NON_EMPTY), load_default=list)
