"""Unbound extension instances, bound to an app in create_app, so that models and services
can import them without importing the app."""

from flask_login import LoginManager
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy

from assessor.models.base import Base

db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
api = Api()
