"""The results service between the database and the engine: `cells` (the write path),
`scores` (respondents scored for the cells), `rebuilding` (cells from raw answers),
`compute` (cells -> a snapshot), `publications` (frozen snapshots and the shared preview),
`snapshot` (the read model's arrays) and `reading` (who sees what, as typed results)."""

from assessor.results.cells import initialise_cells, record_response
from assessor.results.publications import (
    SECTIONS,
    PublicationError,
    latest,
    publications_of,
    publish,
    publish_first,
    published_section,
    revision_pending,
)
from assessor.results.reading import ResultsView, is_published, read
from assessor.results.rebuilding import rebuild
from assessor.results.scores import measures_of, respondent_scores
from assessor.results.snapshot import GROUP_BYS, RESULT_AUDIENCES

__all__ = [
    "GROUP_BYS",
    "RESULT_AUDIENCES",
    "SECTIONS",
    "PublicationError",
    "ResultsView",
    "initialise_cells",
    "is_published",
    "latest",
    "measures_of",
    "published_section",
    "publications_of",
    "publish",
    "publish_first",
    "read",
    "rebuild",
    "record_response",
    "respondent_scores",
    "revision_pending",
]
