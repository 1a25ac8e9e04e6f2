"""Reports and exports: one data context for a cycle (``data.cycle_data``) feeds the workbook,
the CSV files and the API (``exports``; the views in ``routes``). Reading only: nothing here
writes but the audit record of a download."""

from flask import Blueprint

bp = Blueprint("reports", __name__)
