"""Alembic migration environment, shipped inside the package.

``loka_stratum.storage.migrate`` points Alembic's ``script_location`` here, so
``loka-stratum db migrate`` works from an installed wheel with no alembic.ini.
"""
