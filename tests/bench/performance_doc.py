"""Renders the measured figures of `make bench` into docs/performance.md (between markers,
so the hand-written analysis around them stays)."""
from __future__ import annotations

import re
from pathlib import Path

from tests.bench.edge_doc import edge_tables, fanout_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def _row(*cells: object) -> str:
    return "| " + " | ".join("—" if c is None else str(c) for c in cells) + " |"


def channels_table(channels: dict) -> list[str]:
    """Issue 14: the SMS burst through Kannel and the portal burst (tests/bench/channels.py)."""
    sms, web = channels.get("sms", {}), channels.get("portal", {})
    return [f"Written channels (run {channels.get('finished_at', '?')}): {sms.get('sent')} SMS through Kannel "
            f"(fakesmsc offering {sms.get('rate_offered_per_s')}/s) and {web.get('submitted')} portal submissions "
            "(20 at a time), each into a console on its own PostgreSQL.", "",
            _row("Measure", "SMS (Kannel)", "Portal"), _row("---", "---", "---"),
            _row("Sent / submitted", sms.get("sent"), web.get("submitted")),
            _row("Stored (SMS: messages; portal: tickets)", sms.get("stored"), web.get("tickets")),
            _row("Tickets (SMS: one per sender, the rest follow-ups)",
                 f"{sms.get('tickets')} (+{sms.get('follow_ups')} follow-ups)", web.get("tickets")),
            _row("Lost", sms.get("lost"), web.get("lost")),
            _row("Doubled", sms.get("doubled"), web.get("doubled")),
            _row("Time until all are tickets (s)", sms.get("all_stored_s"), web.get("all_tickets_s")),
            _row("Throughput (per s)", sms.get("per_s"), web.get("per_s")),
            _row("Answers back at the SMSC / codes returned", sms.get("answers_at_smsc"), web.get("distinct_codes"))]


def surge_callback_table(run: dict) -> list[str]:
    """Issue 13: the surge with keep-place callbacks (tests/bench/surge_callback.py)."""
    p, wait = run.get("params", {}), run.get("request_to_reached_s") or {}
    return [f"Surge with callbacks: {p.get('rate_cps')} callers/s for {p.get('duration_s')} s ({p.get('callers')} "
            f"callers), {p.get('agents')} sipp agents talking {p.get('talk_s')} s, patience {p.get('patience_s')} s, "
            f"then {p.get('callback_share')} of the callers still waiting press `*1`; a sipp UAS answers every "
            f"callback (run {run.get('started_at', '?')}, load average at start {p.get('loadavg_at_start')}; "
            f"drained {run.get('drain_s')} s of at most {p.get('drain_limit_s')} s).", "",
            _row("Measure", "Value"), _row("---", "---"),
            _row("Callers (sipp) / answered by an agent / abandoned", f"{run.get('callers')} / {run.get('answered')} / "
                 f"{run.get('abandoned')}"),
            _row("Callbacks requested / reached (connected)", f"{run.get('requests')} / {run.get('called_back')}"),
            _row("Requests by state at the end", ", ".join(
                f"{state} {n}" for state, n in sorted((run.get("requests_by_state") or {}).items())) or None),
            _row("Callback calls the citizens' trunk (sipp UAS) completed",
                 ((run.get("sipp") or {}).get("citizen_trunk") or {}).get("successful")),
            _row("Requests whose caller's own record is not `callback_requested`",
                 len(run.get("requests_whose_call_is_not_callback_requested") or [])),
            _row("Share of callers answered or called back", run.get("answered_or_called_back_share")),
            _row("Request → citizen reached, median / p90 / max (s)",
                 f"{wait.get('median')} / {wait.get('p90')} / {wait.get('max')}"),
            _row("Still pending at the end", run.get("pending_at_end")),
            _row("Requests lost", run.get("requests_lost"))]


def surge_table(surge: dict) -> list[str]:
    on, bare = surge.get("controller_on", {}), surge.get("bare_asterisk", {})
    params = surge.get("params", {})

    def cpu(phase: dict, part: str):
        return (phase.get("cpu_seconds_per_1000_calls") or {}).get(part)

    lines = [f"Surge: {params.get('rate_cps')} calls/s, {params.get('max_calls')} calls, {params.get('agents')} sipp "
             f"agents talking {params.get('talk_s')} s, callers holding at most {params.get('hold_s')} s "
             f"(run {surge.get('started_at', '?')}, load average at start {params.get('loadavg_at_start')}).", "",
             _row("Measure", "Controller on", "Bare Asterisk (ceiling)"), _row("---", "---", "---")]
    for label, key in (("Attempted", "attempted"), ("Completed", "completed"), ("Failed", "failed")):
        lines.append(_row(label, on.get("calls", {}).get(key), bare.get("calls", {}).get(key)))
    lines += [
        _row("Arrival rate reached (calls/s)", on.get("achieved_rate_cps"), bare.get("achieved_rate_cps")),
        _row("Peak concurrent calls", on.get("peak_concurrent_calls"), bare.get("peak_concurrent_calls")),
        _row("CPU-s / 1,000 calls: Asterisk", cpu(on, "asterisk"), cpu(bare, "asterisk")),
        _row("CPU-s / 1,000 calls: controller", cpu(on, "controller"), cpu(bare, "controller")),
        _row("CPU-s / 1,000 calls: PostgreSQL", cpu(on, "postgres"), cpu(bare, "postgres")),
        _row("Records lost", on.get("records_lost"), "n/a"),
        _row("AMI event → committed row p50 / p99 (ms)",
             _pair(on.get("event_to_row_ms"), "p50", "p99"), "n/a"),
        _row("AMI event → WebSocket p50 / p99 (ms)", _pair(on.get("event_to_websocket_ms"), "p50", "p99"), "n/a"),
    ]
    summary = surge.get("summary", {})
    if summary:
        lines += ["", f"Controller CPU ÷ Asterisk CPU: **{summary.get('controller_cpu_vs_asterisk')}** "
                      f"(target ≤ 0.15). Controller on ÷ bare: {summary.get('controller_vs_bare')}."]
    if "knee" in surge:
        lines += ["", f"Knee (highest arrival rate with no failed call): **{surge['knee'].get('knee_rate_cps')} "
                      f"calls/s**; steps: {_knee_steps(surge['knee'])}."]
    return lines


def _pair(stats, a: str, b: str):
    if not isinstance(stats, dict):
        return stats
    return f"{stats.get(a)} / {stats.get(b)}"


def _knee_steps(knee: dict) -> str:
    steps = knee.get("steps") or []
    return ", ".join(f"{s.get('rate_cps')}/s → {(s.get('calls') or {}).get('failed')} failed" for s in steps) or "—"


def reports_table(reports: dict) -> list[str]:
    if "year_rollup" in reports:
        return rollup_table(reports)
    lines = [f"Reports: {reports.get('calls')} calls, {reports.get('wrapups')} wrap-ups and "
             f"{reports.get('agent_states')} agent states in a month; the monthly summary "
             f"(every measure, by day and by branch) takes (run {reports.get('finished_at', '?')}, "
             f"load average {reports.get('load_average_1m')}):", "",
             _row("Runs", "Median (s)", "Max (s)", "PostgreSQL CPU median (s)", "Load (s)"),
             _row("---", "---", "---", "---", "---"),
             _row(reports.get("runs"), reports.get("summary_median_s"), reports.get("summary_max_s"),
                  reports.get("backend_cpu_median_s"), reports.get("load_s"))]
    return lines


def rollup_table(reports: dict) -> list[str]:
    """The year and month summaries from the per-day roll-up, the raw query beside them."""
    lines = [f"Reports: {reports.get('calls')} calls, {reports.get('wrapups')} wrap-ups, {reports.get('agent_states')} "
             f"agent states and {reports.get('tickets')} tickets without a call over a year, generated in SQL "
             f"(load {reports.get('load_s')} s, roll-up rebuilt from them in {reports.get('rebuild_s')} s: "
             f"{reports.get('report_contact_days')} contact cells, {reports.get('report_agent_days')} agent cells); "
             f"run {reports.get('finished_at', '?')}, load average at start {reports.get('load_average_at_start')}:",
             "", _row("Summary", "Source", "Runs", "Median (s)", "Max (s)", "PostgreSQL CPU median (s)",
                      "Same figures as raw", "Goal"),
             _row("---", "---", "---", "---", "---", "---", "---", "---")]
    for span, goal in (("year", "≤ 1 s"), ("month", "≤ 0.1 s")):
        for source in ("rollup", "raw"):
            figures = reports.get(f"{span}_{source}") or {}
            lines.append(_row(span, "roll-up" if source == "rollup" else "raw rows", figures.get("runs"),
                              figures.get("median_s"), figures.get("max_s"), figures.get("backend_cpu_median_s"),
                              reports.get(f"{span}_rollup_equals_raw") if source == "rollup" else "",
                              goal if source == "rollup" else ""))
    day = reports.get("intraday") or {}
    for slot_min in (60, 15):
        figures = day.get(f"slot_{slot_min}") or {}
        lines.append(_row(f"intraday {day.get('day', '?')} ({day.get('received', '?')} contacts), {slot_min} min",
                          "raw rows", figures.get("runs"), figures.get("median_s"), figures.get("max_s"),
                          figures.get("backend_cpu_median_s"), "", "≤ 0.2 s"))
    return lines


def render(results: dict, doc: Path = DOC) -> None:
    lines = [BEGIN, "", f"Measured by `make bench` on {results.get('machine', {}).get('description', 'this machine')} "
             f"at {results.get('finished_at', '?')}; raw figures in `tests/bench/results.json`.", ""]
    if "reports" in results:
        lines += reports_table(results["reports"]) + [""]
    if "surge" in results:
        lines += surge_table(results["surge"]) + [""]
    if "surge_callback" in results:
        lines += surge_callback_table(results["surge_callback"]) + [""]
    if "channels" in results:
        lines += channels_table(results["channels"]) + [""]
    if "edge" in results:
        lines += edge_tables(results["edge"]) + [""]
    if "fanout" in results:
        lines += fanout_table(results["fanout"]) + [""]
    lines.append(END)
    block = "\n".join(lines)
    text = doc.read_text() if doc.exists() else f"# Performance\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text:
        text += f"\n{BEGIN}\n{END}\n"
    doc.write_text(re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S))
