"""Blueprint placeholder: filled in by the source-events work."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__)
