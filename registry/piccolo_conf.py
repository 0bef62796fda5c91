"""Piccolo's configuration module; `registry.db.bind` sets DB to the engine the settings choose."""

from piccolo.conf.apps import AppRegistry

DB = None
APP_REGISTRY = AppRegistry(apps=["registry.piccolo_app"])
