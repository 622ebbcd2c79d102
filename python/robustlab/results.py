"""The results database (robustlab.db) that every robustlab command writes."""
from . import _robustlab as _c


def _frame(rows):
    try:
        import pandas
    except ImportError:
        return rows
    return pandas.DataFrame(rows)


def runs(db="robustlab.db", dataframe=True):
    """Every run: id, command, config, seed, version, start, end, status, message, environment.
    A pandas DataFrame when pandas is installed and dataframe is True, else a list of dicts."""
    rows = _c.store_runs(str(db))
    return _frame(rows) if dataframe else rows


def results(db="robustlab.db", run=None, metric=None, dataframe=True):
    """The stored numbers (run_id, model, dataset, condition, metric, value, count), optionally of
    one run and one metric. Values are floats; an attack that failed stores inf."""
    rows = _c.store_results(str(db), run, metric)
    for row in rows:  # the JSON export spells non-finite values "inf", "-inf", "nan"
        if isinstance(row["value"], str):
            row["value"] = float(row["value"])
    return _frame(rows) if dataframe else rows
