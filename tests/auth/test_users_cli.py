"""`assessor users create|set-password` and the password service."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from assessor.auth.passwords import (
    UserError,
    authenticate,
    check_password,
    create_user,
    find_user,
    set_password,
)
from assessor.auth.users_cli import users
from assessor.extensions import db as _db
from assessor.models import User

GOOD = "correct horse battery"


def _users() -> int:
    return _db.session.scalar(select(func.count()).select_from(User))


def test_create_with_prompt(runner, db) -> None:
    result = runner.invoke(
        users,
        ["create", "Board.Member@Example.NHS.uk", "--role", "admin"],
        input=f"{GOOD}\n{GOOD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin board.member@example.nhs.uk." in result.output
    assert GOOD not in result.output  # hidden input is not echoed
    user = find_user("board.member@example.nhs.uk")
    assert user is not None and user.role == "admin"
    assert user.password_hash != GOOD and GOOD not in user.password_hash
    assert check_password(user, GOOD)
    assert not check_password(user, GOOD.upper())


def test_prompt_asks_again_when_the_two_entries_differ(runner, db) -> None:
    result = runner.invoke(
        users,
        ["create", "a@example.org", "--role", "viewer"],
        input=f"{GOOD}\n{GOOD}x\n{GOOD}\n{GOOD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert check_password(find_user("a@example.org"), GOOD)


def test_create_with_password_stdin(runner, db) -> None:
    result = runner.invoke(
        users,
        ["create", "viewer@example.org", "--role", "viewer", "--password-stdin"],
        input=f"{GOOD}  \nsecond line ignored\n",
    )
    assert result.exit_code == 0, result.output
    user = find_user("viewer@example.org")
    assert user.role == "viewer"
    assert check_password(user, f"{GOOD}  ")  # only the line ending is removed


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["x@example.org", "--role", "viewer"], "short\n", "at least 12 characters"),
        (["x@example.org", "--role", "viewer"], "", "no password on standard input"),
        (["x@example.org", "--role", "viewer"], "\n", "no password on standard input"),
        (["not-an-address", "--role", "viewer"], f"{GOOD}\n", "'not-an-address' is not an e-mail"),
        (["x@example.org", "--role", "owner"], f"{GOOD}\n", "'owner' is not one of"),
        (["x@example.org"], f"{GOOD}\n", "Missing option '--role'"),
    ],
)
def test_create_refuses(runner, db, args: list[str], stdin: str, message: str) -> None:
    result = runner.invoke(users, ["create", *args, "--password-stdin"], input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert _users() == 0


def test_duplicate_email_is_a_clear_error(runner, db) -> None:
    args = ["create", "dup@example.org", "--role", "viewer", "--password-stdin"]
    assert runner.invoke(users, args, input=f"{GOOD}\n").exit_code == 0
    again = runner.invoke(users, [*args[:1], "DUP@example.org", *args[2:]], input=f"{GOOD}\n")
    assert again.exit_code == 1
    assert "Error: a user with e-mail 'dup@example.org' already exists" in again.output
    assert _users() == 1


def test_set_password(runner, db) -> None:
    runner.invoke(
        users,
        ["create", "b@example.org", "--role", "viewer", "--password-stdin"],
        input=f"{GOOD}\n",
    )
    new = "a different passphrase"
    result = runner.invoke(users, ["set-password", "B@example.org"], input=f"{new}\n{new}\n")
    assert result.exit_code == 0, result.output
    assert "Password changed for b@example.org." in result.output
    _db.session.expire_all()
    user = find_user("b@example.org")
    assert check_password(user, new)
    assert not check_password(user, GOOD)

    short = runner.invoke(users, ["set-password", "b@example.org", "--password-stdin"], input="x\n")
    assert short.exit_code == 1
    assert "at least 12 characters" in short.output
    _db.session.expire_all()
    assert check_password(find_user("b@example.org"), new)


def test_set_password_for_unknown_user(runner, db) -> None:
    result = runner.invoke(
        users, ["set-password", "nobody@example.org", "--password-stdin"], input=f"{GOOD}\n"
    )
    assert result.exit_code == 1
    assert "no user with e-mail 'nobody@example.org'" in result.output


def test_service(db) -> None:
    user = create_user(" Lead@Example.org ", "admin", GOOD)
    assert (user.email, user.role) == ("lead@example.org", "admin")
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    with pytest.raises(UserError, match="already exists"):
        create_user("lead@example.org", "viewer", GOOD)
    with pytest.raises(UserError, match="role must be one of viewer, editor, admin"):
        create_user("other@example.org", "root", GOOD)
    with pytest.raises(UserError, match="at least 12"):
        create_user("other@example.org", "viewer", "x" * 11)
    create_user("other@example.org", "viewer", "x" * 12)

    assert authenticate("LEAD@example.org", GOOD) is user
    assert authenticate("lead@example.org", "wrong password!") is None
    assert authenticate("ghost@example.org", GOOD) is None
    set_password(user, "another long one")
    assert authenticate("lead@example.org", "another long one") is user
