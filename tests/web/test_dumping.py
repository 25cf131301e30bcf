"""The compiled dump (assessor.web.dumping) is marshmallow's own dump, exactly: on the demo
data set (suppressed cells, trends, gaps, previews, publications), through the API, on
generated results, and on the field options and hooks it leaves to marshmallow.

Dumps are compared by `repr`, which tells key order, int from float from bool, numpy
scalars from Python numbers and NaN apart, where `==` would not.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from assessor.auth.tokens import create_token
from assessor.campaigns.service import get_campaign
from assessor.demo import load_demo
from assessor.models.campaign import AUDIENCES
from assessor.results import read
from assessor.results.records import (
    Gap,
    GapMeasure,
    ItemShare,
    Measure,
    OrgRef,
    OrgResult,
    PublicationRef,
    RungShare,
    Scoring,
    Trend,
    TrendMeasure,
)
from assessor.results.schemas import ResultDetailSchema, ResultSchema
from assessor.results.snapshot import GROUP_BYS, RESULT_AUDIENCES
from assessor.web.dumping import CompiledDumpSchema
from tests.support.factories import publish_shipped

SLUGS = ("2024-assessment", "2025-assessment", "2026-assessment")


def marshmallow_dump(schema: ma.Schema, obj: Any, many: bool | None = None) -> Any:
    """What marshmallow alone makes of `obj` (the compiled plan bypassed)."""
    return ma.Schema.dump(schema, obj, many=many)


def assert_same(fast: Any, slow: Any) -> None:
    assert repr(fast) == repr(slow)


# --------------------------------------------------------------------------- demo data


def test_demo_results_dump_as_marshmallow_dumps_them(db, client) -> None:
    publish_shipped()
    db.session.commit()
    load_demo(seed=2026, echo=lambda _: None, organisations=40)
    db.session.commit()
    schema = ResultSchema(many=True)
    seen: list[dict] = []
    for slug in SLUGS:
        campaign = get_campaign(slug)
        for admin in (False, True):
            view = read(campaign, admin=admin)
            for audience in RESULT_AUDIENCES:
                items, _, _ = view.page(audience)
                fast = schema.dump(items)
                assert_same(fast, marshmallow_dump(schema, items))
                seen += fast
            detail = ResultDetailSchema()
            for code in view.snapshot.orgs[:3]:
                one = view.for_org(code, "staff", profiles=True)
                assert_same(detail.dump(one), marshmallow_dump(detail, one))
    db.session.commit()

    # The data covered every kind of value the schemas carry.
    overall = [item["overall"] for item in seen]
    assert any(m["suppressed"] for m in overall) and any(not m["suppressed"] for m in overall)
    assert {m["reason"] for m in overall} >= {None, "campaign_open"}
    assert any(m["reason"] not in (None, "campaign_open") for m in overall)
    assert any(item["trend"]["overall"]["delta"] is not None for item in seen)
    assert any(item["gap"]["overall"]["staff_minus_patient_leader"] is not None for item in seen)
    assert any(item["publication"] is not None for item in seen)
    assert any(item["publication"] is None for item in seen)
    assert any(item["preview"] for item in seen)
    assert any(item["response_rate"]["patient_leader"] is None for item in seen)

    # Through the API: the page envelope dumps its items with the compiled plan.
    _, token = create_token("dumping", ["results:read"], None)
    db.session.commit()
    response = client.get(
        "/api/v1/campaigns/2025-assessment/results?limit=25&audience=staff",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    items, _, _ = read(get_campaign("2025-assessment")).page("staff", limit=25)
    expected = marshmallow_dump(ResultSchema(), items, many=True)
    assert response.get_json()["items"] == expected


# --------------------------------------------------------------------------- generated

numbers = st.one_of(
    st.none(),
    st.floats(),
    st.floats(allow_nan=False).map(np.float64),
    st.integers(-(2**40), 2**40),
)
integers = st.one_of(
    st.none(), st.integers(), st.integers(-1000, 1000).map(np.int64), st.booleans()
)
texts = st.one_of(st.none(), st.text(max_size=6), st.integers(-9, 9))
flags = st.one_of(st.none(), st.booleans(), st.integers(0, 1))
intervals = st.one_of(st.none(), st.lists(numbers, max_size=3))
keys = st.one_of(st.text(max_size=4), st.integers(0, 3))


def by_group(values: st.SearchStrategy) -> st.SearchStrategy:
    """A dict by grouping; a missing key is left out of the dump, an extra one ignored."""
    return st.dictionaries(st.sampled_from([*GROUP_BYS, "other"]), values, max_size=4)


measures = st.builds(
    Measure,
    score=numbers,
    level=integers,
    level_key=texts,
    n=integers,
    ci95=intervals,
    suppressed=flags,
    reason=texts,
    percentile=by_group(numbers),
    funnel=by_group(texts),
)
gap_measures = st.builds(
    GapMeasure,
    staff_minus_patient_leader=numbers,
    ci95=intervals,
    significant=flags,
    suppressed=flags,
    reason=texts,
)
trend_measures = st.builds(
    TrendMeasure,
    before=numbers,
    now=numbers,
    delta=numbers,
    ci95=intervals,
    significant=flags,
    suppressed=flags,
    reason=texts,
)
organisations = st.one_of(
    st.builds(OrgRef, code=texts, name=texts, region=texts, peer_group=texts),
    st.dictionaries(st.sampled_from(["code", "name", "region", "peer_group"]), texts),
)
audience_counts = st.dictionaries(st.sampled_from([*AUDIENCES, "combined"]), integers)
audience_rates = st.dictionaries(st.sampled_from([*AUDIENCES, "combined"]), numbers)
scorings = st.builds(
    Scoring,
    questionnaire=texts,
    version=integers,
    rules=texts,
    min_respondents=integers,
    groups=texts,
    computed_at=texts,
)
publication_refs = st.one_of(
    st.none(),
    st.builds(
        PublicationRef,
        number=integers,
        published_on=st.one_of(st.dates(), st.datetimes()),
        reason=texts,
    ),
)
rung_shares = st.builds(RungShare, met_share=numbers, n=integers, suppressed=flags, reason=texts)
item_shares = st.builds(
    ItemShare,
    dont_know=numbers,
    not_happening=numbers,
    n=integers,
    suppressed=flags,
    reason=texts,
)
audience_profiles = st.fixed_dictionaries(
    {
        "rungs": st.dictionaries(keys, st.dictionaries(keys, rung_shares, max_size=3), max_size=3),
        "items": st.dictionaries(keys, item_shares, max_size=3),
    }
)
results = st.builds(
    OrgResult,
    organisation=organisations,
    audience=texts,
    preview=flags,
    responses=audience_counts,
    response_rate=audience_rates,
    scoring=scorings,
    publication=publication_refs,
    overall=measures,
    domains=st.dictionaries(keys, measures, max_size=3),
    gap=st.builds(
        Gap,
        overall=gap_measures,
        domains=st.dictionaries(keys, gap_measures, max_size=3),
        reason=texts,
    ),
    trend=st.builds(
        Trend,
        previous=texts,
        comparable_fraction=numbers,
        comparable_domains=st.lists(texts, max_size=3),
        reason=texts,
        overall=trend_measures,
        domains=st.dictionaries(keys, trend_measures, max_size=3),
    ),
    profiles=st.dictionaries(st.sampled_from([*AUDIENCES, "other"]), audience_profiles),
)


# 75 lists of up to four deep results: every field kind and optional shape is drawn many
# times over; more examples only repeat them (the demo test dumps real results too).
@settings(max_examples=75, deadline=None)
@given(items=st.lists(results, max_size=4))
def test_generated_results_dump_as_marshmallow_dumps_them(items: list[OrgResult]) -> None:
    schema = ResultSchema(many=True)
    assert_same(schema.dump(items), marshmallow_dump(schema, items))
    assert schema._compiled is not None  # the plan, not marshmallow, made the first dump
    detail = ResultDetailSchema()
    for item in items:
        assert_same(detail.dump(item), marshmallow_dump(detail, item))


# --------------------------------------------------------------------------- what it leaves


class Hooked(ma.Schema):
    value = ma.fields.Integer()

    @ma.post_dump
    def double(self, data: dict, **kwargs: Any) -> dict:
        return {**data, "doubled": 2 * data.get("value", 0)}


class Node(ma.Schema):
    name = ma.fields.String()
    children = ma.fields.List(ma.fields.Nested(lambda: Node()))


class Odd(CompiledDumpSchema):
    """Options and fields the plan does not handle itself, or handles specially."""

    renamed = ma.fields.String(data_key="other_name")
    sourced = ma.fields.Integer(attribute="source")
    dotted = ma.fields.String(attribute="inner.name")
    defaulted = ma.fields.Integer(dump_default=7)
    called = ma.fields.String(dump_default=lambda: "made")
    as_string = ma.fields.Float(as_string=True)
    method = ma.fields.Method("shout")
    when = ma.fields.DateTime()
    day = ma.fields.Date(format="%d/%m/%Y")
    hooked = ma.fields.Nested(Hooked)
    tree = ma.fields.Nested(Node)
    many = ma.fields.Nested(Hooked(many=True))
    plain = ma.fields.Dict()
    keyed = ma.fields.Dict(keys=ma.fields.String())
    raw = ma.fields.Raw()
    decimal = ma.fields.Decimal(as_string=True)
    only = ma.fields.Nested(Node, only=("name",))

    def shout(self, obj: Any) -> str:
        return str(obj.get("renamed", "")).upper()


def test_fields_and_hooks_it_leaves_to_marshmallow_dump_alike() -> None:
    objects = [
        {
            "renamed": "a",
            "source": 3,
            "inner": {"name": "deep"},
            "as_string": 1.5,
            "when": dt.datetime(2026, 1, 2, 3, 4, 5),
            "day": dt.date(2026, 1, 2),
            "hooked": {"value": 4},
            "tree": {"name": "root", "children": [{"name": "leaf", "children": []}]},
            "many": [{"value": 1}, {}],
            "plain": {"x": 1},
            "keyed": {1: "one", "1": "string one"},
            "raw": object,
            "decimal": "1.10",
            "only": {"name": "n", "children": None},
        },
        {"hooked": None, "tree": None, "many": None, "keyed": None, "when": None},
        {},
    ]
    schema = Odd(many=True)
    assert_same(schema.dump(objects), marshmallow_dump(schema, objects))
    assert schema.dump(objects)[2] == {"defaulted": 7, "called": "made", "method": ""}
