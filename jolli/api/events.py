"""Blueprint placeholder: filled in by the source-events work."""

from flask import Blueprint

bp = Blueprint("events", __name__)
