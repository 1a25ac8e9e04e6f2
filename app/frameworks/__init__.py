"""Questionnaire and framework files: reading, validating, coverage and loading into the database.

The files live in ``questionnaires/`` (data only); ``questionnaires/FORMAT.md`` describes them.
"""
