"""The boards' charts: each a Plotly figure with a sentence saying what it shows, alt text and
a plain table of the same numbers (also the CSV download), built from the results read model
(assessor.results.reading) and never from raw answers.

- `common`: the Chart, its Table, the Filters, the figure dict, layout, colours and wording.
- `national`: the national page (levels, heat map, ranked scores, response counts); its
  funnel plot in `funnel`.
- `organisation`: one organisation's page (profile, rungs, "don't know" answers, percentiles,
  responses); its gap and trend charts in `gap_trend`.
"""
