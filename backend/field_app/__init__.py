"""The field app: the installable offline web app for phones and tablets, served at /thiet-bi/.

Its sources are in ``frontend/`` (npm dependencies from the registry, with a lock file); ``make``
builds them into ``frontend/dist``, which this package serves. See ``docs/field-app.md``.
"""
