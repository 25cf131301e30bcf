"""Publishing questionnaire files: frozen by checksum, drafts free, retiring, and the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from assessor.cli import main
from assessor.models.questionnaire import QuestionnaireVersion
from assessor.questionnaires.loader import QuestionnaireError, load_directory
from assessor.questionnaires.publishing import (
    definition_of,
    frozen_problems,
    get_version,
    publish,
    publish_directory,
    publish_file,
    retire,
    usable_for_campaign,
)

SHIPPED = Path(__file__).resolve().parents[2] / "questionnaires"
KEY = "engagement-maturity"
GOV_3_RUNG = (
    "link_id: gov-3\n    concept: governance.patient-leaders-on-board\n"
    "    domain: governance\n    rung: co_design"
)


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    """A copy of the shipped questionnaires that a test may edit."""
    copy = tmp_path / "questionnaires"
    shutil.copytree(SHIPPED, copy)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def add_v4(root: Path, status: str = "draft") -> Path:
    """The shipped v3 again as a new version 4 (a draft unless told otherwise)."""
    text = (root / KEY / "v3.yaml").read_text()
    text = text.replace("version: 3\n", "version: 4\n").replace("revises: 2\n", "revises: 3\n")
    text = text.replace("status: published\n", f"status: {status}\n")
    path = root / KEY / "v4.yaml"
    path.write_text(text)
    return path


def rows(db) -> list[QuestionnaireVersion]:  # type: ignore[no-untyped-def]
    return list(
        db.session.scalars(
            select(QuestionnaireVersion).order_by(QuestionnaireVersion.version)
        ).all()
    )


def test_publish_directory_stores_each_version_frozen(db) -> None:  # type: ignore[no-untyped-def]
    lines = publish_directory(SHIPPED)
    assert lines == [f"published {KEY} v1", f"published {KEY} v2", f"published {KEY} v3"]
    loaded = load_directory(SHIPPED)
    stored = rows(db)
    assert [(r.key, r.version, r.status, r.revises) for r in stored] == [
        (KEY, 1, "published", None),
        (KEY, 2, "published", 1),
        (KEY, 3, "published", 2),
    ]
    for row, q in zip(stored, loaded, strict=True):
        assert row.checksum == q.checksum() and len(row.checksum) == 64
        assert row.definition == q.to_dict()
        assert row.title == q.title
        assert row.source_path == f"questionnaires/{KEY}/v{q.version}.yaml"
        assert row.published_at is not None and row.retired_at is None
        assert usable_for_campaign(row)
        assert definition_of(row) == q


def test_republishing_unchanged_files_changes_nothing(db) -> None:  # type: ignore[no-untyped-def]
    publish_directory(SHIPPED)
    db.session.commit()
    first = {r.version: (r.id, r.checksum, r.published_at) for r in rows(db)}
    assert publish_directory(SHIPPED) == [
        f"unchanged {KEY} v1",
        f"unchanged {KEY} v2",
        f"unchanged {KEY} v3",
    ]
    assert {r.version: (r.id, r.checksum, r.published_at) for r in rows(db)} == first


def test_changed_published_file_is_refused(db, root: Path) -> None:  # type: ignore[no-untyped-def]
    publish_directory(root)
    db.session.commit()
    before = get_version(KEY, 1).checksum  # type: ignore[union-attr]
    edit(root / KEY / "v1.yaml", "Patient leaders deliver or co-deliver training", "Patients train")
    draft = add_v4(root)  # a valid new draft alongside: stored only if nothing is refused
    with pytest.raises(QuestionnaireError) as info:
        publish_directory(root)
    (message,) = info.value.messages
    assert message.startswith(f"questionnaires/{KEY}/v1.yaml: top level: field 'version': ")
    assert f"{KEY} v1 is published and frozen" in message
    assert "add a new version instead: v5.yaml with version: 5 and revises: 4" in message
    db.session.rollback()
    assert get_version(KEY, 1).checksum == before  # type: ignore[union-attr]
    assert get_version(KEY, 4) is None
    assert draft.exists()


def test_publish_refuses_a_changed_questionnaire(db, root: Path) -> None:  # type: ignore[no-untyped-def]
    publish_directory(root)
    edit(root / KEY / "v2.yaml", "title: Patient leadership", "title: Patient-leadership")
    (q,) = [q for q in load_directory(root) if q.version == 2]
    problems = frozen_problems(q, "somewhere/v2.yaml")
    assert len(problems) == 1 and "v4.yaml with version: 4 and revises: 3" in problems[0]
    with pytest.raises(QuestionnaireError, match="published and frozen"):
        publish(q, "somewhere/v2.yaml")


def test_a_published_version_cannot_return_to_draft(db, root: Path) -> None:  # type: ignore[no-untyped-def]
    publish_directory(root)
    edit(root / KEY / "v2.yaml", "status: published\n", "status: draft\n")
    with pytest.raises(QuestionnaireError) as info:
        publish_directory(root)
    assert info.value.messages == [
        f"questionnaires/{KEY}/v2.yaml: top level: field 'status': {KEY} v2 is already "
        "published; a published version cannot return to draft (set status: published, "
        "or add a new version)"
    ]


def test_drafts_change_freely_and_are_not_usable(db, root: Path) -> None:  # type: ignore[no-untyped-def]
    publish_directory(root)
    path = add_v4(root)
    assert publish_directory(root)[-1] == f"draft {KEY} v4 stored"
    row = get_version(KEY, 4)
    assert row is not None and row.status == "draft" and row.published_at is None
    assert not usable_for_campaign(row)
    first_checksum = row.checksum
    old_help = definition_of(row).item("gov-2").help

    edit(path, "by scoring bids,", "by scoring proposals,")
    assert publish_directory(root)[-1] == f"draft {KEY} v4 updated"
    assert row.checksum != first_checksum
    assert definition_of(row).item("gov-2").help == old_help.replace("bids", "proposals")
    assert publish_directory(root)[-1] == f"unchanged {KEY} v4 (draft)"

    edit(path, "status: draft\n", "status: published\n")
    assert publish_directory(root)[-1] == f"published {KEY} v4"
    assert row.status == "published" and row.published_at is not None
    assert row.definition["status"] == "published"
    assert usable_for_campaign(row)


def test_publishing_a_draft_keeps_its_checksum(db, root: Path) -> None:  # type: ignore[no-untyped-def]
    """Only the status changes when a draft is published; the checksum leaves status out."""
    publish_directory(root)
    path = add_v4(root)
    publish_directory(root)
    draft_checksum = get_version(KEY, 4).checksum  # type: ignore[union-attr]
    edit(path, "status: draft\n", "status: published\n")
    publish_directory(root)
    assert get_version(KEY, 4).checksum == draft_checksum  # type: ignore[union-attr]


def test_publish_file_and_invalid_directory(db, root: Path) -> None:  # type: ignore[no-untyped-def]
    assert publish_file(root / KEY / "v1.yaml") == f"published {KEY} v1"
    assert get_version(KEY, 1).source_path.endswith(f"{KEY}/v1.yaml")  # type: ignore[union-attr]
    edit(root / KEY / "v2.yaml", GOV_3_RUNG, GOV_3_RUNG.replace("co_design", "co_thing"))
    with pytest.raises(QuestionnaireError, match="'co_thing' is not a declared rung"):
        publish_directory(root)
    db.session.rollback()
    assert get_version(KEY, 2) is None


def test_retire(db) -> None:  # type: ignore[no-untyped-def]
    publish_directory(SHIPPED)
    row = retire(KEY, 1)
    assert row.status == "retired" and row.retired_at is not None
    assert not usable_for_campaign(row)
    retired_at = row.retired_at
    assert retire(KEY, 1).retired_at == retired_at  # retiring twice is harmless
    assert publish_directory(SHIPPED) == [
        f"unchanged {KEY} v1 (retired)",
        f"unchanged {KEY} v2",
        f"unchanged {KEY} v3",
    ]
    assert get_version(KEY, 1).status == "retired"  # type: ignore[union-attr]
    with pytest.raises(QuestionnaireError, match="no such questionnaire version"):
        retire(KEY, 9)


def test_a_draft_cannot_be_retired(db, root: Path) -> None:  # type: ignore[no-untyped-def]
    add_v4(root)
    publish_directory(root)
    with pytest.raises(QuestionnaireError, match="is a draft"):
        retire(KEY, 4)


def test_a_retired_file_that_changed_is_still_refused(db, root: Path) -> None:  # type: ignore[no-untyped-def]
    publish_directory(root)
    retire(KEY, 1)
    edit(root / KEY / "v1.yaml", "title: Patient leadership", "title: Patient-leadership")
    with pytest.raises(QuestionnaireError, match=f"{KEY} v1 is retired and frozen"):
        publish_directory(root)


def test_definition_of_is_cached_by_id_and_checksum(db) -> None:  # type: ignore[no-untyped-def]
    publish_directory(SHIPPED)
    row = get_version(KEY, 2)
    assert row is not None
    first = definition_of(row)
    assert definition_of(row) is first
    assert definition_of(get_version(KEY, 1)) is not first  # type: ignore[arg-type]
    assert first.version == 2 and len(first.scored_items) == 31


def test_no_row_is_not_usable() -> None:
    assert usable_for_campaign(None) is False


# -- the command line ------------------------------------------------------------------


def invoke(runner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(main, list(args))


def test_cli_validate_default_directory(runner) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, "questionnaires", "validate")
    assert result.exit_code == 0, result.output
    assert "engagement-maturity v1 (published), 33 items, 30 scored" in result.output
    assert "engagement-maturity v2 (published), 35 items, 31 scored" in result.output
    assert "engagement-maturity v3 (published), 71 items, 67 scored" in result.output


def test_cli_validate_reports_every_problem(runner, root: Path) -> None:  # type: ignore[no-untyped-def]
    edit(root / KEY / "v2.yaml", GOV_3_RUNG, GOV_3_RUNG.replace("co_design", "co_thing"))
    data = yaml.safe_load((root / KEY / "v1.yaml").read_text())
    data["version"] = 5
    (root / KEY / "v5.yaml").write_text(yaml.safe_dump(data))
    result = invoke(runner, "questionnaires", "validate", str(root))
    assert result.exit_code == 1
    errors = result.stderr
    assert f"questionnaires/{KEY}/v2.yaml: item gov-3: field 'rung': 'co_thing'" in errors
    assert f"questionnaires/{KEY}/v5.yaml: top level: field 'version': version 5 of" in errors
    assert "problems found." in errors


def test_cli_validate_reports_a_changed_published_file(runner, root: Path) -> None:  # type: ignore[no-untyped-def]
    assert invoke(runner, "questionnaires", "publish", str(root)).exit_code == 0
    edit(root / KEY / "v1.yaml", "title: Patient leadership", "title: Patient-leadership")
    result = invoke(runner, "questionnaires", "validate", str(root))
    assert result.exit_code == 1
    assert "v1 is published and frozen" in result.stderr
    # One file on its own validates too.
    single = invoke(runner, "questionnaires", "validate", str(root / KEY / "v2.yaml"))
    assert single.exit_code == 0, single.output


def test_cli_publish_list_and_retire(runner, db) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, "questionnaires", "publish")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"published {KEY} v{v}" for v in (1, 2, 3)]
    db.session.remove()  # the command committed: a fresh session sees its rows
    assert [r.status for r in rows(db)] == ["published", "published", "published"]

    again = invoke(runner, "questionnaires", "publish")
    assert again.output.splitlines() == [f"unchanged {KEY} v{v}" for v in (1, 2, 3)]

    retired = invoke(runner, "questionnaires", "retire", KEY, "1")
    assert retired.exit_code == 0, retired.output
    assert retired.output.startswith(f"retired {KEY} v1 (since ")

    listing = invoke(runner, "questionnaires", "list")
    assert listing.exit_code == 0
    header, first, second, _ = listing.output.splitlines()
    assert header.split() == ["key", "version", "status", "checksum", "published_at"]
    v1 = get_version(KEY, 1)
    assert first.split()[:4] == [KEY, "1", "retired", v1.checksum[:12]]  # type: ignore[union-attr]
    assert second.split()[:3] == [KEY, "2", "published"]


def test_cli_refusals_exit_1_and_store_nothing(runner, db, root: Path) -> None:  # type: ignore[no-untyped-def]
    assert invoke(runner, "questionnaires", "publish", str(root)).exit_code == 0
    edit(root / KEY / "v2.yaml", "title: Patient leadership", "title: Patient-leadership")
    add_v4(root)
    result = invoke(runner, "questionnaires", "publish", str(root))
    assert result.exit_code == 1
    assert "v2 is published and frozen" in result.stderr
    assert "1 problem found." in result.stderr
    db.session.remove()
    assert get_version(KEY, 4) is None

    missing = invoke(runner, "questionnaires", "retire", KEY, "7")
    assert missing.exit_code == 1
    assert "no such questionnaire version" in missing.stderr


def test_cli_list_when_empty(runner) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, "questionnaires", "list")
    assert result.exit_code == 0
    assert "No questionnaire versions" in result.output


def test_init_publishes_the_shipped_questionnaires(runner) -> None:  # type: ignore[no-untyped-def]
    result = invoke(runner, "init")
    assert result.exit_code == 0, result.output
    assert f"published {KEY} v1" in result.output
    assert f"published {KEY} v2" in result.output
