"""Publications (scoring.md s.6): frozen snapshots, the only way scores reach readers other
than administrators, and the administrators' shared preview of an open campaign.

Publication 1 is made when a campaign closes (by `campaigns close`, or by the first read
after its closing date passed). Later ones are made by `assessor results publish` under the
differencing rule. A publication never changes; each worker keeps the few it has read
decoded in memory, keyed by what makes them unique, so no worker can serve another's numbers.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import timedelta
from threading import Lock
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import exists, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from assessor.config import json_dumps
from assessor.extensions import db, rows
from assessor.models import (
    Campaign,
    Publication,
    PublicationRow,
    Response,
    ResultsPreview,
    utcnow,
)
from assessor.models.campaign import AUDIENCES
from assessor.results.cells import remove_from_followers
from assessor.results.compute import REVISED, RULES, compute
from assessor.results.snapshot import RESULT_AUDIENCES, Snapshot

#: Features that publish numbers of their own with a campaign (action plans' verdicts): name
#: -> function(campaign, the section as the latest publication froze it, or None) -> a JSON
#: object keyed by organisation code, frozen into each publication beside each
#: organisation's row. Registered by the feature, so results never imports it.
SECTIONS: dict[str, Callable[[Campaign, dict[str, Any] | None], dict[str, Any]]] = {}


class PublicationError(ValueError):
    """A publication that cannot be made; the message says why."""


_CACHE: OrderedDict[tuple, Snapshot] = OrderedDict()
_CACHE_SIZE = 8
_LOCK = Lock()


def _cached(key: tuple, load: callable) -> Snapshot:  # type: ignore[valid-type]
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    snapshot = load()
    with _LOCK:
        _CACHE[key] = snapshot
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return snapshot


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()


def publications_of(campaign: Campaign) -> list[Publication]:
    return list(
        db.session.scalars(
            select(Publication)
            .options(defer(Publication.data), defer(Publication.refs))
            .where(Publication.campaign_id == campaign.id)
            .order_by(Publication.number)
        )
    )


def rules_of(publication: Publication) -> int:
    """The rule set of scoring.md a publication was computed with (1 before it was kept)."""
    return int(snapshot_of(publication).meta.get("rules", "1"))


def latest(campaign: Campaign) -> Publication | None:
    return db.session.scalar(
        select(Publication)
        .options(defer(Publication.data), defer(Publication.refs))
        .where(Publication.campaign_id == campaign.id)
        .order_by(Publication.number.desc())
        .limit(1)
    )


def numbered(campaign: Campaign, number: int) -> Publication | None:
    return db.session.scalar(
        select(Publication)
        .options(defer(Publication.data), defer(Publication.refs))
        .where(Publication.campaign_id == campaign.id, Publication.number == number)
    )


def _row_loader(publication_id: int):  # type: ignore[no-untyped-def]
    def load(indices: Sequence[int]) -> dict[int, bytes]:
        query = select(PublicationRow.org_index, PublicationRow.data).where(
            PublicationRow.publication_id == publication_id
        )
        wanted = list(indices)
        if len(wanted) < 500:
            query = query.where(PublicationRow.org_index.in_(wanted))
        return {int(i): bytes(data) for i, data in db.session.execute(query)}

    return load


def _key(publication: Publication) -> tuple:
    return ("publication", publication.id, publication.campaign_id, publication.made_at)


def _head_bytes(publication_id: int) -> bytes:
    """A publication's stored head. On PostgreSQL read in binary: as text, a national head
    (0.7 MB) took 3.2 ms to fetch against 1.0 ms."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        with connection.connection.driver_connection.cursor(binary=True) as cursor:  # type: ignore[union-attr]
            cursor.execute("SELECT data FROM publication WHERE id = %s", (publication_id,))
            return bytes(cursor.fetchone()[0])
    return db.session.scalar(select(Publication.data).where(Publication.id == publication_id))


def snapshot_of(publication: Publication) -> Snapshot:
    """The publication's head, decoded once per worker; its organisations' rows are read
    as they are asked for."""
    return _cached(
        _key(publication),
        lambda: Snapshot.from_bytes(
            _head_bytes(publication.id),
            _row_loader(publication.id),
        ),
    )


def responses_of(publication: Publication) -> np.ndarray:
    """Each organisation's responses by audience (O x audiences) as the publication froze
    them. Taken from this worker's decoded head if it has one, else from that one array of
    the stored head: a list of campaigns then never decodes a whole head, whose meta (names,
    regions, ...) grows with the organisations."""
    with _LOCK:
        found = _CACHE.get(_key(publication))
    if found is not None:
        return found["responses"]
    data = _head_bytes(publication.id)
    return Snapshot.head_array(data, "responses")


def _voided_since(campaign: Campaign, number: int) -> list[Response]:
    """Responses voided after publication `number` was made."""
    return rows(
        Response,
        Response.campaign_id == campaign.id,
        Response.status == "voided",
        Response.voided_after >= number,
        order_by=[Response.seq],
    )


def published_section(campaign: Campaign, name: str, org_code: str) -> Any:
    """One organisation's part of a feature's section as the campaign's latest publication
    froze it (None before, or when the section has nothing for it): reads only its row."""
    last = latest(campaign) if campaign.status == "closed" else None
    if last is None:
        return None
    snapshot = snapshot_of(last)
    if "sections" in snapshot.meta:  # made before sections were stored per organisation
        return _legacy_sections(snapshot.meta["sections"]).get(name, {}).get(org_code)
    i = snapshot.index(org_code)
    if i is None:
        return None
    raw = db.session.scalar(
        select(PublicationRow.sections).where(
            PublicationRow.publication_id == last.id, PublicationRow.org_index == i
        )
    )
    return json.loads(raw).get(name) if raw else None


def _all_sections(publication: Publication, snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    """Every section of a publication as {name: {organisation code: value}}."""
    if "sections" in snapshot.meta:
        return _legacy_sections(snapshot.meta["sections"])
    found: dict[str, dict[str, Any]] = {}
    for i, raw in db.session.execute(
        select(PublicationRow.org_index, PublicationRow.sections).where(
            PublicationRow.publication_id == publication.id, PublicationRow.sections.is_not(None)
        )
    ):
        for name, value in json.loads(raw).items():
            found.setdefault(name, {})[snapshot.orgs[i]] = value
    return found


def _legacy_sections(sections: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Sections as publications before migration 0006 froze them in the head, keyed
    "organisation:key", regrouped by organisation."""
    regrouped: dict[str, dict[str, Any]] = {}
    for name, section in sections.items():
        for key, value in section.items():
            org_code, _, rest = key.partition(":")
            regrouped.setdefault(name, {}).setdefault(org_code, {})[rest] = value
    return regrouped


def baseline_of(campaign: Campaign) -> Snapshot | None:
    """The previous campaign's latest publication: a trend's `before` shows only what it
    shows (scoring.md s.6)."""
    previous = campaign.previous
    last = latest(previous) if previous is not None else None
    return snapshot_of(last) if last is not None else None


def revision_pending(campaign: Campaign) -> bool:
    """Whether anything changed since the latest publication (a void), so that a new
    publication is due; shown to administrators only."""
    last = latest(campaign)
    if last is None:
        return False
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Response.campaign_id == campaign.id,
                    Response.status == "voided",
                    Response.voided_after >= last.number,
                )
            )
        )
    )


def _newly_revised(snapshot: Snapshot, before: Snapshot | None) -> int:
    """Organisations with a measure suppressed by the differencing rule now and not before."""
    names = [f"{a}.reason" for a in RESULT_AUDIENCES] + [
        f"trend.{a}.reason" for a in RESULT_AUDIENCES
    ]
    names += [f"rung.{a}.reason" for a in AUDIENCES] + [f"item.{a}.reason" for a in AUDIENCES]
    hit = np.zeros(len(snapshot.orgs), dtype=bool)
    for name in names:
        now = snapshot[name] == REVISED
        if before is not None:
            now &= before[name] != REVISED
        hit |= now.reshape(len(snapshot.orgs), -1).any(axis=1)
    return int(hit.sum())


def publish(campaign: Campaign, reason: str | None = None) -> Publication:
    """Make the campaign's next publication from its current responses (flushes)."""
    if campaign.status != "closed":
        raise PublicationError(
            f"campaign {campaign.slug!r} is {campaign.status}: results are published when it closes"
        )
    last = latest(campaign)
    now = utcnow()
    if last is None:
        reason = None
        previous = None
    else:
        if not reason or not reason.strip():
            raise PublicationError("a revision needs a reason (--reason TEXT)")
        refs = db.session.scalar(select(Publication.refs).where(Publication.id == last.id))
        previous = snapshot_of(last).with_refs(refs)
        earlier = previous.meta.get("rules", "1")
        if earlier != RULES:  # scoring.md s.6: a republication says which rules it uses
            reason = (
                f"{reason.strip()} (computed with rule set {RULES}; publication {last.number}"
                f" used rule set {earlier})"
            )
        remove_from_followers(campaign, _voided_since(campaign, last.number))
    snapshot = compute(campaign, previous, baseline_of(campaign))
    frozen = _all_sections(last, previous) if last is not None and previous is not None else {}
    by_org: dict[str, dict[str, Any]] = {}
    for name, section in SECTIONS.items():
        for org_code, value in section(campaign, frozen.get(name)).items():
            by_org.setdefault(org_code, {})[name] = value
    publication = Publication(
        campaign_id=campaign.id,
        number=1 if last is None else last.number + 1,
        published_on=now.date(),
        made_at=now,
        reason=reason,
        organisations_revised=_newly_revised(snapshot, previous),
        data=snapshot.head_to_bytes(),
        refs=snapshot.refs_to_bytes(),
    )
    db.session.add(publication)
    db.session.flush()
    db.session.execute(
        PublicationRow.__table__.insert(),
        [
            {
                "publication_id": publication.id,
                "org_index": i,
                "data": raw,
                "sections": json_dumps(by_org[code]) if code in by_org else None,
            }
            for i, (code, raw) in enumerate(
                zip(snapshot.orgs, snapshot.rows_to_bytes(), strict=True)
            )
        ],
    )
    return publication


def publish_first(campaign: Campaign) -> Publication | None:
    """The latest publication of a closed campaign, making number 1 if its closing date has
    passed and none exists yet; None while it is not closed. A write: called by closing a
    campaign and the job that publishes due campaigns, never by a read. Two workers racing
    to make it agree: on PostgreSQL through the unique (campaign, number) and a savepoint;
    on SQLite, whose writers are serialised anyway, by taking the write lock first."""
    if campaign.status != "closed":
        return None
    found = latest(campaign)
    if found is not None:
        return found
    if _dialect() != "postgresql":
        # pysqlite would make a SAVEPOINT outside a transaction commit on release.
        _take_write_lock(campaign)
        return latest(campaign) or publish(campaign)
    try:
        with db.session.begin_nested():
            publish(campaign)
    except IntegrityError:
        pass
    return latest(campaign)


def _take_write_lock(campaign: Campaign) -> None:
    db.session.execute(
        update(Campaign).where(Campaign.id == campaign.id).values(title=Campaign.title)
    )


def preview(campaign: Campaign) -> Snapshot:
    """The current numbers of a campaign that is not published, recomputed at most every
    `PREVIEW_SECONDS` and shared by every worker through the database."""
    max_age = timedelta(seconds=current_app.config["PREVIEW_SECONDS"])
    row = db.session.execute(
        select(ResultsPreview.computed_at).where(ResultsPreview.campaign_id == campaign.id)
    ).first()
    now = utcnow()
    if row is not None and now - row.computed_at < max_age:
        key = ("preview", campaign.id, campaign.created_at, row.computed_at)
        return _cached(
            key,
            lambda: Snapshot.from_bytes(
                db.session.scalar(
                    select(ResultsPreview.data).where(ResultsPreview.campaign_id == campaign.id)
                )
            ),
        )
    snapshot = compute(campaign, baseline=baseline_of(campaign))
    values = {"campaign_id": campaign.id, "computed_at": now, "data": snapshot.to_bytes()}
    upsert = (postgresql_insert if _dialect() == "postgresql" else sqlite_insert)(ResultsPreview)
    db.session.execute(
        upsert.values(**values).on_conflict_do_update(
            index_elements=["campaign_id"],
            set_={"computed_at": values["computed_at"], "data": values["data"]},
        )
    )
    return snapshot


def _dialect() -> str:
    return db.session.connection().dialect.name
