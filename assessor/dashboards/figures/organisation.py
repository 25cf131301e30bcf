"""The organisation page's charts: its profile against its peer group, response counts, rung
profiles of each voice, "don't know" answers and percentiles; the gap and trend charts are in
gap_trend.py. `charts` builds the page's list."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from assessor.dashboards.figures.common import (
    BAND_STYLE,
    CIVIDIS,
    INK,
    ORG,
    QUARTILE,
    Bar,
    Chart,
    Figure,
    Heatmap,
    Scatter,
    Table,
    house_layout,
    in_a_sentence,
    k_of,
    measure_rows,
    org_responded,
    pick,
    plain,
    titled,
    voice_label,
    wrap_label,
)
from assessor.dashboards.figures.gap_trend import gap_chart, trend_chart
from assessor.results.reading import ResultsView
from assessor.web.presentation import (
    AUDIENCE_LABELS,
    count_text,
    interval,
    level_label,
    number,
    reason_text,
)

#: The two voices of the answers chart, and how each is drawn (colour, bar pattern).
VOICES = {"staff": "Staff", "patient_leader": "Patient leaders"}
VOICE_STYLES = {"staff": (ORG, ""), "patient_leader": ("#e69f00", "/")}


@dataclass
class Profile:
    """The profile chart's columns, a value a measure: the organisation's score and interval,
    its peer group's median and quartiles (None where not shown)."""

    labels: list[str] = field(default_factory=list)
    score: list = field(default_factory=list)
    lo: list = field(default_factory=list)
    hi: list = field(default_factory=list)
    median: list = field(default_factory=list)
    q1: list = field(default_factory=list)
    q3: list = field(default_factory=list)
    suppressed: int = 0


def profile_rows(view: ResultsView, item: object, peers: object) -> tuple[Profile, Table]:
    k = k_of(view)
    p = Profile()
    table = Table(
        [
            "Measure",
            "Score",
            "95% interval",
            "Level",
            "Peer-group median",
            "Peer-group middle half (q1 to q3)",
            "Peer organisations shown",
        ]
    )
    for key, title in measure_rows(view):
        m = pick(item, key)
        g = pick(peers, key)
        p.labels.append(title if not m.suppressed else f"{title} (not shown)")
        p.score.append(m.score)
        p.lo.append(m.ci95[0] if m.ci95 else None)
        p.hi.append(m.ci95[1] if m.ci95 else None)
        p.median.append(g.median)
        p.q1.append(g.q1)
        p.q3.append(g.q3)
        p.suppressed += m.suppressed
        row = [title]
        if m.suppressed:
            row += [reason_text(m.reason, k)] * 3
        else:
            row += [number(m.score), interval(m.ci95), level_label(view.q, m.level)]
        row += [
            number(g.median) if g.median is not None else "No peers shown",
            f"{number(g.q1)} to {number(g.q3)}" if g.q1 is not None else "No peers shown",
            f"{g.n_orgs} of {g.n_orgs + g.n_suppressed}",
        ]
        table.rows.append(row)
        table.links.append(None)
    return p, table


def profile_figure(view: ResultsView, p: Profile, org_name: str) -> Figure:
    fig = Figure(layout=house_layout(view, 120 + 46 * len(p.labels), barmode="overlay"))
    width = [None if a is None or b is None else b - a for a, b in zip(p.q1, p.q3, strict=True)]
    fig.add_trace(
        Bar(
            y=p.labels,
            x=width,
            base=p.q1,
            orientation="h",
            marker={"color": QUARTILE},
            width=0.5,
            name="Peer group: middle half (q1 to q3)",
            hovertemplate="%{y}: peers' middle half from %{base:.2f}<extra></extra>",
        )
    )
    fig.add_trace(
        Scatter(
            y=p.labels,
            x=p.median,
            mode="markers",
            marker={"symbol": "line-ns-open", "size": 22, "color": INK, "line": {"width": 3}},
            name="Peer-group median",
            hovertemplate="%{y}: peer median %{x:.2f}<extra></extra>",
        )
    )
    arr = [None if s is None else h - s for s, h in zip(p.score, p.hi, strict=True)]
    arrm = [None if s is None else s - lo for s, lo in zip(p.score, p.lo, strict=True)]
    fig.add_trace(
        Scatter(
            y=p.labels,
            x=p.score,
            mode="markers",
            marker={
                "symbol": "diamond",
                "size": 12,
                "color": ORG,
                "line": {"color": INK, "width": 1},
            },
            error_x={
                "type": "data",
                "symmetric": False,
                "array": arr,
                "arrayminus": arrm,
                "color": INK,
                "thickness": 1.5,
                "width": 5,
            },
            name=f"{plain(org_name)} with 95% interval",
            hovertemplate="%{y}: %{x:.2f}<extra></extra>",
        )
    )
    fig.update_xaxes(
        title_text=f"Score (0 to {len(view.q.rungs)})",
        range=[0, len(view.q.rungs)],
        showline=True,
        linecolor=INK,
        dtick=1,
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(margin={"l": 230})
    return fig


def profile_chart(view: ResultsView, i: int, audience: str) -> Chart:
    """The organisation's scores by domain against its peer group's median and quartiles."""
    item = view.result(i, audience)
    org = item.organisation
    peers = view.group(audience, "peer_group", org.peer_group)
    rows = measure_rows(view)
    p, table = profile_rows(view, item, peers)
    title = titled(view, f"{org.name}: scores against its peer group ({org.peer_group})")
    summary = (
        f"{org.name}'s scores ({in_a_sentence(audience)}), overall and in each domain, each"
        f" diamond with its 95% interval, against the"
        f" {peers.overall.n_orgs + peers.overall.n_suppressed} organisations of its peer group:"
        f" the grey bar is their middle half and the black line their median."
        f" {org_responded(item)}. "
        + (
            f"{p.suppressed} of {len(rows)} measures are suppressed (the table says why)."
            if p.suppressed
            else "No measure is suppressed."
        )
    )
    alt = "Domain profile. " + "; ".join(
        f"{t}: {number(s_) if s_ is not None else 'not shown'}, peer median {number(m_)}"
        for (_, t), s_, m_ in zip(rows, p.score, p.median, strict=True)
    )
    fig = profile_figure(view, p, org.name)
    return Chart("profile", title, summary, alt, table, fig.to_json())


def _strongest_above(view: ResultsView, item: object, body: dict) -> str:
    """The highest met share on a rung above the first rung a domain has not met."""
    best: tuple[float, str, str] | None = None
    for d in view.q.domains:
        m = item.domains[d.key]  # type: ignore[attr-defined]
        if m.suppressed or m.level is None:
            continue
        for r in view.q.rungs[m.level + 1 :]:  # above the first rung not met
            cell = body[d.key][r.key]
            if not cell.suppressed and (best is None or cell.met_share > best[0]):
                best = (cell.met_share, d.title, r.label)
    if best is None or best[0] < 0.5:
        return ""
    return f"Strongest above a rung not yet met: {best[2]} in {best[1]}, met by {best[0]:.0%}. "


def rungs_figure(view: ResultsView, z: list[list], text: list[list[str]]) -> Figure:
    """Domains down, rungs across, each cell the share meeting it (None: not shown)."""
    fig = Figure(layout=house_layout(view, 120 + 44 * len(view.q.domains)))
    fig.add_trace(
        Heatmap(
            z=z,
            x=[wrap_label(r.label, 12) for r in view.q.rungs],
            y=[wrap_label(d.title, 18) for d in view.q.domains],
            zmin=0,
            zmax=1,
            colorscale=CIVIDIS,
            text=text,
            texttemplate="%{text}",
            hovertemplate="%{y}, %{x}: %{text}<extra></extra>",
            colorbar={"title": {"text": "Share meeting"}, "tickformat": ".0%"},
            xgap=2,
            ygap=2,
        )
    )
    # Titles over lines and a margin that fits them, so a phone clips none ("cision-making").
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(side="top", automargin=True)
    fig.update_layout(margin={"l": 10, "t": 90})
    return fig


def rungs_chart(view: ResultsView, i: int, voice: str, profiles: dict) -> Chart:
    """Share of one voice's respondents meeting each rung, per domain (scoring.md s.3)."""
    org = view.org_ref(i)
    k = k_of(view)
    rungs = view.q.rungs
    domains = view.q.domains
    body = profiles[voice]["rungs"]
    item = view.result(i, voice)
    z, text = [], []
    table = Table(["Domain", "Level reached", *(r.label for r in rungs)])
    hidden = 0
    for d in domains:
        zr, tr = [], []
        m = item.domains[d.key]
        row = [
            d.title,
            level_label(view.q, m.level) if not m.suppressed else reason_text(m.reason, k),
        ]
        for r in rungs:
            cell = body[d.key][r.key]
            if cell.suppressed:
                hidden += 1
                zr.append(None)
                tr.append("not shown")
                row.append(reason_text(cell.reason, k))
            else:
                zr.append(cell.met_share)
                tr.append(f"{cell.met_share:.0%}")
                row.append(f"{cell.met_share:.0%} of {cell.n}")
        z.append(zr)
        text.append(tr)
        table.rows.append(row)
        table.links.append(None)
    who = "staff" if voice == "staff" else "patient leaders"
    title = titled(view, f"Rungs met by domain: {AUDIENCE_LABELS[voice]}")
    n = item.responses[voice]
    summary = (
        f"For each domain and rung of the ladder, the share of {org.name}'s {who} whose answers"
        f" meet that rung ({count_text(n, k_of(view))} {who} responded). The level counts rungs"
        " from the bottom up; this profile does not, so it shows where the organisation is"
        " strong even above a rung it"
        f" has not met. {_strongest_above(view, item, body)}"
        + (
            f"{hidden} cells are suppressed (written 'not shown'; the table says why)."
            if hidden
            else "No cell is suppressed."
        )
    )
    alt = f"Rung profile of {who}. " + "; ".join(
        f"{d.title}: " + ", ".join(f"{r.label} {t}" for r, t in zip(rungs, tr, strict=True))
        for d, tr in zip(domains, text, strict=True)
    )
    fig = rungs_figure(view, z, text)
    return Chart(f"rungs-{voice}", title, summary, alt, table, fig.to_json())


def _answer_kinds(view: ResultsView) -> list[tuple[str, str]]:
    """ "Don't know", and "does not happen here" where this version offers it."""
    kinds = [("dont_know", "Don't know")]
    if any("not_happening" in it.option_keys() for it in view.q.scored_items):
        kinds.append(("not_happening", "Does not happen here"))
    return kinds


def answers_table(view: ResultsView, profiles: dict, kinds: list[tuple[str, str]]) -> Table:
    k = k_of(view)
    columns = ["Item", "Question"]
    for who in VOICES.values():
        for _, what in kinds:
            columns.append(f"{who}: {what}")
    table = Table(columns)
    for it in view.q.scored_items:
        row = [it.link_id, it.text]
        for voice in VOICES:
            cell = profiles[voice]["items"][it.link_id]
            for key, _ in kinds:
                if cell.suppressed:
                    row.append(reason_text(cell.reason, k))
                else:
                    row.append(f"{getattr(cell, key):.0%} of {cell.n}")
        table.rows.append(row)
        table.links.append(None)
    return table


def _question_labels(items: list) -> list[str]:
    """Each question in a few words (its start), unique, for the "don't know" chart's axis."""
    labels: list[str] = []
    for it in items:
        words = it.text if len(it.text) <= 42 else it.text[:40].rsplit(" ", 1)[0] + "\u2026"
        label = plain(words)
        while label in labels:  # a category axis merges equal labels
            label += "\u00a0"
        labels.append(label)
    return labels


def _by_share(profiles: dict, items: tuple, key: str = "dont_know") -> list:
    """The questions in order of their largest share (of either voice), largest first."""

    def largest(it: object) -> float:
        shares = [
            getattr(profiles[v]["items"][it.link_id], key)  # type: ignore[attr-defined]
            for v in VOICES
            if not profiles[v]["items"][it.link_id].suppressed  # type: ignore[attr-defined]
        ]
        return max((x for x in shares if x is not None), default=-1.0)

    return sorted(items, key=largest, reverse=True)


def answers_figure(view: ResultsView, profiles: dict, kinds: list[tuple[str, str]]) -> Figure:
    items = _by_share(profiles, view.q.scored_items)
    labels = _question_labels(items)
    fig = Figure(layout=house_layout(view, 140 + 22 * len(items) * len(kinds), barmode="group"))
    largest = 0.0
    for voice, who in VOICES.items():
        colour, pattern = VOICE_STYLES[voice]
        for key, what in kinds:
            xs = [getattr(profiles[voice]["items"][it.link_id], key) for it in items]
            largest = max([largest, *(x for x in xs if x is not None)])
            fig.add_trace(
                Bar(
                    y=labels,
                    x=xs,
                    orientation="h",
                    name=f"{who}: {what}",
                    marker={
                        "color": colour,
                        "pattern": {"shape": pattern, "fgcolor": INK} if pattern else None,
                        "line": {"color": INK, "width": 0.5},
                    },
                    hovertext=[plain(it.text) for it in items],
                    hovertemplate="%{x:.0%}: %{hovertext}<extra></extra>",
                )
            )
    fig.update_yaxes(autorange="reversed", type="category", automargin=True)
    # An axis to the next 10% above the largest share, not to 100%.
    fig.update_xaxes(
        title_text="Share of respondents shown the question",
        tickformat=".0%",
        range=[0, min(1.0, max(0.1, math.ceil(largest * 10 + 1e-9) / 10))],
        showline=True,
        linecolor=INK,
    )
    fig.update_layout(margin={"l": 10}, bargap=0.25)
    return fig


def _most_often(view: ResultsView, profiles: dict) -> list[str]:
    """For each voice, the question most often answered "don't know", and its share."""
    items = view.q.scored_items
    worst = []
    for voice, who in VOICES.items():
        shares = [
            (profiles[voice]["items"][it.link_id].dont_know, it.text)
            for it in items
            if not profiles[voice]["items"][it.link_id].suppressed
        ]
        if shares:
            share, text = max(shares)
            worst.append(f"{who.lower()} most often to \u201c{text}\u201d ({share:.0%})")
    return worst


def answers_chart(view: ResultsView, i: int, profiles: dict) -> Chart:
    """'Don't know' (and, where offered, 'does not happen here') shares per item."""
    org = view.org_ref(i)
    items = view.q.scored_items
    kinds = _answer_kinds(view)
    offers_not_happening = len(kinds) > 1
    title = titled(view, f'{org.name}: "don\'t know" answers by question')
    hidden = sum(profiles[v]["items"][it.link_id].suppressed for v in VOICES for it in items)
    worst = _most_often(view, profiles)
    responded = org_responded(view.result(i, "combined"))
    summary = (
        f"The share of {org.name}'s staff and patient leaders who answered \"don't know\" to each"
        " question"
        + (', and "this does not happen here"' if offers_not_happening else "")
        + f". A high share among staff is itself a finding. {responded}."
        + (f' "Don\'t know" was answered by {"; by ".join(worst)}.' if worst else "")
        + (
            f" {hidden} shares are suppressed (empty bars; the table says why)."
            if hidden
            else " No share is suppressed."
        )
        + (
            ""
            if offers_not_happening
            else " This questionnaire version does not offer 'does not happen here'."
        )
    )
    alt = "Don't know shares: answered by " + ("; by ".join(worst) if worst else "none shown") + "."
    table = answers_table(view, profiles, kinds)
    fig = answers_figure(view, profiles, kinds)
    return Chart("answers", title, summary, alt, table, fig.to_json())


def percentile_chart(view: ResultsView, i: int, audience: str) -> Chart:
    item = view.result(i, audience)
    k = k_of(view)
    groups = {
        "national": "nationally",
        "region": f"in {item.organisation.region}",
        "peer_group": f"in {item.organisation.peer_group}",
    }
    table = Table(
        ["Measure"]
        + [f"Percentile {w}" for w in groups.values()]
        + [f"Funnel band {w}" for w in groups.values()]
    )
    for key, title in measure_rows(view):
        m = pick(item, key)
        if m.suppressed:
            table.rows.append([title, *[reason_text(m.reason, k)] * 6])
        else:
            table.rows.append(
                [title]
                + [
                    f"{m.percentile[g]:.0f}" if m.percentile[g] is not None else "None"
                    for g in groups
                ]
                + [BAND_STYLE[m.funnel[g]][2] for g in groups]
            )
        table.links.append(None)
    title = titled(view, f"Percentiles: {voice_label(audience)}")
    summary = (
        "Where the organisation stands among the organisations of each group (100 is the top,"
        " 50 the middle; suppressed organisations are left out of every group), and whether its"
        f" score is inside the funnel limits of that group. {org_responded(item)}."
    )
    return Chart("percentiles", title, summary, summary, table, None)


def org_responses_chart(view: ResultsView, i: int) -> Chart:
    item = view.result(i, "combined")
    table = Table(["Who", "Responses", "Response rate"])
    for voice, who in (("staff", "Staff"), ("patient_leader", "Patient leaders")):
        rate = item.response_rate[voice]
        table.rows.append(
            [
                who,
                count_text(item.responses[voice], item.scoring.min_respondents),
                "Not known" if rate is None else f"{rate:.0%}",
            ]
        )
        table.links.append(None)
    summary = (
        f"{org_responded(item)}; the response rate is shown where the number eligible is known."
    )
    return Chart("responses", "Responses", summary, summary, table, None)


def charts(view: ResultsView, i: int, audience: str) -> list[Chart]:
    """The organisation page's charts, or while scores are hidden, its response counts alone."""
    if view.hidden:
        return [org_responses_chart(view, i)]
    profiles = view.profiles(view.snapshot.row(i))
    return [
        profile_chart(view, i, audience),
        org_responses_chart(view, i),
        rungs_chart(view, i, "staff", profiles),
        rungs_chart(view, i, "patient_leader", profiles),
        gap_chart(view, i),
        trend_chart(view, i, audience),
        answers_chart(view, i, profiles),
        percentile_chart(view, i, audience),
    ]
