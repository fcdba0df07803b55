"""Statistics for municipalities (`/console/statistics`, issue 19): how many people Lotsen
helped each week, in which languages and channels, on which topics, how often it could
not answer, how long people waited for a person, the messages and callbacks left, and
the feedback on answers.

Aggregates only — counts, shares, minutes — never message text or who wrote, and any
number resting on fewer than five conversations is shown as "<5" (`privacy.py`), so the
page and its CSV can be shared with a municipality's management.

    weeks.py     ISO weeks in Stockholm time, as UTC bounds for the queries
    measures.py  the measures and their raw amounts (counts, shares, wait times)
    queries.py   the live SQLAlchemy Core aggregates, on SQLite and PostgreSQL alike
    models.py    frozen weeks (raw amounts kept past retention) and the indexes (0012)
    rollup.py    freezing finished weeks and reading them back
    privacy.py   the one place that decides what may be shown
    report.py    raw amounts → shown cells, for one municipality or several combined
    charts.py    server-rendered SVG charts
    page.py      the page's sections: heading, chart, the chart's numbers as a table
    export.py    the CSV
    routes.py    the page, the CSV and who may see what
"""
