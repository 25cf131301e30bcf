"""Unbound extension instances, bound to an app in create_app, so that models and services
can import them without importing the app."""

from collections.abc import Sequence
from typing import Any, TypeVar

from flask_login import LoginManager
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import ColumnElement, select

from assessor.models.base import Base

db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
api = Api()

T = TypeVar("T")


def rows(entity: type[T], *where: ColumnElement[bool], order_by: Sequence[Any]) -> list[T]:
    """Every row of `entity` meeting all of `where`, in `order_by` order."""
    return list(db.session.scalars(select(entity).where(*where).order_by(*order_by)))
