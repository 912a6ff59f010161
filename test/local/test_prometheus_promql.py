"""local/promql.py: the names, labels and data operands the observability test reads out of PromQL,
and Grafana's variables and dashboard layouts it walks."""
from __future__ import annotations

import pytest

from local.promql import (
    PromQLSyntaxError,
    dashboard_queries,
    data_operands,
    label_names,
    metric_names,
    substitute_variables,
    templating_promql,
)


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("flight_producer_ready", {"flight_producer_ready"}),
        ('sum by (reason) (rate(flight_analytics_quarantined_records_total{reason!=""}[5m]))',
         {"flight_analytics_quarantined_records_total"}),
        # aggregations, functions and keywords are not names; neither are grouping labels
        ("histogram_quantile(0.99, sum by (le) (rate(flight_producer_batch_latency_ms_bucket[2m])))",
         {"flight_producer_batch_latency_ms_bucket"}),
        ("count(up) by (job) unless on (job) absent(x) or sum without (instance) (y) > bool 1",
         {"up", "x", "y"}),
        ("a / ignoring(reason) group_left (topic) b", {"a", "b"}),
        # {__name__="..."}, recording-rule names with colons, subqueries, offsets, exponents
        ('{__name__="kafka_server_x", topic=~"a|}"} offset 5m > -1.5e3', {"kafka_server_x"}),
        ("deriv(job:lag:sum[10m:30s]) > 0 and time() - max(batch_seconds) > 600", {"job:lag:sum", "batch_seconds"}),
        # strings hold no names, even when they look like one
        ('label_replace(up, "dst", "$1", "instance", "(.*)")', {"up"}),
    ],
)
def test_metric_names_are_the_selected_series_only(expr, names):
    assert metric_names(expr) == names


def test_label_names_are_matcher_and_grouping_labels():
    expr = 'sum by (query, topic) (lag{partition="0", __name__="lag"}) / on (query) group_left (topic) x'
    assert label_names(expr) == {"query", "topic", "partition"}


@pytest.mark.parametrize(
    ("expr", "operands"),
    [
        # no top-level comparison or set operator: the expression itself
        ("sum(rate(a[5m])) / clamp_min(sum(rate(b[5m])), 1)", ["sum(rate(a[5m])) / clamp_min(sum(rate(b[5m])), 1)"]),
        # a threshold is dropped; arithmetic binds tighter than the comparison
        ("time() - max(a) > 600", ["time() - max(a)"]),
        ("sum(a) / sum(b) >= 0.01", ["sum(a) / sum(b)"]),
        # and/unless/or split first, with their on()/ignoring() and a comparison's bool left out
        ("max by (q) (changes(a[10m])) == 0 and on () sum(rate(b[10m])) > 0",
         ["max by (q) (changes(a[10m]))", "sum(rate(b[10m]))"]),
        ("a > bool b or c", ["a", "b", "c"]),
        # parentheses around the whole, and around an operand, are looked through
        ("((a > 1) unless (b < 2))", ["a", "b"]),
        # a comparison inside a function call is not top level
        ("count(a > 1)", ["count(a > 1)"]),
        # absent(X) has data exactly when X has none, so X is what must have data
        ("absent(flight_analytics_batch_id)", ["flight_analytics_batch_id"]),
        ('absent_over_time(up{job="x"}[10m])', ['count_over_time(up{job="x"}[10m])']),
        # comparison characters inside matchers and strings are not operators
        ('a{l=~"x>1"} != -1', ['a{l=~"x>1"}']),
    ],
)
def test_data_operands_are_what_an_alert_needs_data_for(expr, operands):
    assert data_operands(expr) == operands


@pytest.mark.parametrize("expr", ['a{l="x}', "rate(a[5m)", 'a{1="x"}', "a ; b"])
def test_bad_promql_fails_with_the_query_named(expr):
    with pytest.raises(PromQLSyntaxError, match="in '"):
        metric_names(expr)


def test_grafana_variables_of_every_syntax_are_substituted():
    values = {"__rate_interval": "30s", "datasource": "prometheus", "query": "windows"}
    expr = 'rate(a{q="$query", d="${datasource}", e="${query:regex}", f="[[query]]"}[$__rate_interval])'
    assert substitute_variables(expr, values) == 'rate(a{q="windows", d="prometheus", e="windows", f="windows"}[30s])'


def test_a_variable_without_a_value_is_named():
    with pytest.raises(ValueError, match=r"\$pod .*known: \['query'\]"):
        substitute_variables('a{pod="$pod"}', {"query": "windows"})


def test_templating_queries_become_promql():
    assert templating_promql("label_values(flight_analytics_batch_id, query)") == "group by (query) (flight_analytics_batch_id)"
    assert templating_promql('label_values(up{job="x"},instance)') == 'group by (instance) (up{job="x"})'
    assert templating_promql("query_result(topk(5, a))") == "topk(5, a)"
    with pytest.raises(ValueError, match="expected label_values"):
        templating_promql("label_values(query)")


def test_dashboard_queries_walk_panels_rows_and_query_variables():
    dashboard = {
        "panels": [
            {"title": "Lag", "type": "timeseries", "targets": [{"refId": "A", "expr": "sum(lag)"}, {"refId": "B"}]},
            {"title": "Job", "type": "row", "panels": [{"title": "Batch", "targets": [{"refId": "A", "expr": "batch"}]}]},
        ],
        "rows": [{"title": "Old", "panels": [{"title": "Legacy", "targets": [{"refId": "A", "expr": "legacy"}]}]}],
        "templating": {"list": [
            {"name": "datasource", "type": "datasource", "query": "prometheus"},
            {"name": "query", "type": "query", "query": {"query": "label_values(batch, query)", "refId": "V"}},
            {"name": "topic", "type": "query", "definition": "label_values(lag, topic)", "query": ""},
        ]},
    }
    assert [(q.where, q.expr) for q in dashboard_queries(dashboard, "d.json")] == [
        ("d.json / panel 'Lag' / target A", "sum(lag)"),
        ("d.json / row 'Job' / panel 'Batch' / target A", "batch"),
        ("d.json / row 'Old' / panel 'Legacy' / target A", "legacy"),
        ("d.json / variable $query", "group by (query) (batch)"),
        ("d.json / variable $topic", "group by (topic) (lag)"),
    ]
