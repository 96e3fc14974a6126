"""Present evaluation `Report`s: a summary table for the terminal, and files for a team to read.

`write_report` writes, into one folder:
    results.jsonl     one JSON object per question: query, expected, ranking with scores, outcome
    results.csv       the same, flat, for a spreadsheet
    failures.jsonl    the questions without the right outcome
    metrics.json      the figures and the settings used
    thresholds.png    answered in scope vs not answered out of scope across confidence thresholds
    reliability.png   confidence against the share of questions answered right (calibration)
    report.html       one self-contained page: metrics, plots, misses, entries that attract wrong answers
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
import re
from pathlib import Path

from ..errors import AssistantError
from .evaluate import Report

# (label, Metrics attribute); "{k}" is filled with the report's k.
ROWS = (
    ("hit@1", "hit_at_1"), ("hit@3", "hit_at_3"), ("recall@{k}", "recall_at_k"), ("MRR", "mrr"),
    ("MAP", "map"), ("nDCG@{k}", "ndcg_at_k"), ("nDCG@3", "ndcg_at_3"),
    ("answered in scope", "answered_in_scope"), ("answered right in scope", "correct_in_scope"),
    ("not answered out of scope", "rejected_out_of_scope"), ("false-answer rate", "false_answer_rate"),
    ("confident wrong", "confident_wrong_rate"), ("hedged", "hedged_rate"),
    ("confidence AUROC", "confidence_auroc"), ("calibration error", "calibration_error"),
    ("accuracy", "accuracy"), ("follow-up accuracy", "follow_up_accuracy"),
)
TOP_IN_CSV = 3


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def describe(report: Report) -> str:
    """One line: what was evaluated."""
    m = report.metrics
    parts = [f"{m.questions} questions", f"{m.in_scope} in scope", f"{m.out_of_scope} out of scope"]
    if m.follow_ups:
        parts.append(f"{m.follow_ups} follow-ups")
    return f"{report.question_set}: {', '.join(parts)}; corpus {report.corpus} ({report.entries} entries)"


def summary_table(reports: list[Report]) -> str:
    """The metrics of one or more runs over the same question set, side by side."""
    k = reports[0].metrics.k
    rows = [(label.format(k=k), [_share(getattr(r.metrics, name)) for r in reports]) for label, name in ROWS]
    rows.append(("wrong outcomes", [str(len(r.failures)) for r in reports]))
    label_width = max(len(label) for label, _ in rows)
    widths = [max(len(r.config), 6) for r in reports]
    lines = [describe(reports[0]), "",
             " " * label_width + "".join(f"  {r.config:>{w}}" for r, w in zip(reports, widths))]
    for label, values in rows:
        lines.append(f"{label:<{label_width}}" + "".join(f"  {v:>{w}}" for v, w in zip(values, widths)))
    return "\n".join(lines)


# --- files ----------------------------------------------------------------------------------------


def write_report(report: Report, folder: str | Path) -> list[Path]:
    """Write every file of one run into `folder` (created if needed); returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / name for name in ("results.jsonl", "results.csv", "failures.jsonl", "metrics.json",
                                              "thresholds.png", "reliability.png", "report.html")}
    _write_jsonl(paths["results.jsonl"], [r.to_dict() for r in report.results])
    _write_csv(paths["results.csv"], report)
    _write_jsonl(paths["failures.jsonl"], [r.to_dict() for r in report.failures])
    paths["metrics.json"].write_text(json_text(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    png = threshold_plot(report)
    paths["thresholds.png"].write_bytes(png)
    calibration = reliability_plot(report)
    paths["reliability.png"].write_bytes(calibration)
    paths["report.html"].write_text(render_html(report, png, calibration), encoding="utf-8")
    return list(paths.values())


def write_reports(reports: list[Report], folder: str | Path) -> list[Path]:
    """`write_report` for one run into `folder`, or for several into one sub-folder per configuration;
    returns the folders written.

    Raises:
        AssistantError: the folder cannot be written (a file in its place, a full disk, no permission).
    """
    folder = Path(folder)
    folders = [folder] if len(reports) == 1 else [folder / _file_name(r.config) for r in reports]
    for report, target in zip(reports, folders):
        try:
            write_report(report, target)
        except OSError as exc:
            raise AssistantError(f"cannot write the report into {target}: {exc.strerror or exc}") from None
    return folders


def _file_name(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "config"


def _json_ready(value):
    """`value` with every float that is not finite as None: JSON has no NaN (Python writes a bare
    `NaN`, which other readers reject)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    return value


def json_text(value, indent: int | None = None) -> str:
    """`value` as strict JSON (no NaN or Infinity), text as it is (not \\u-escaped)."""
    return json.dumps(_json_ready(value), ensure_ascii=False, allow_nan=False, indent=indent, default=str)


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json_text(row) + "\n")


# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...), =cmd|...):
# a question, an FAQ text or a file name from the data must be shown, not run (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def _cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: a leading quote before a formula character."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _write_csv(path: Path, report: Report) -> None:
    header = ["line", "qid", "turn", "history", "query", "expected", "expected_question", "outcome", "correct",
              "confidence", "rank"]
    for i in range(1, TOP_IN_CSV + 1):
        header += [f"top{i}_entry_id", f"top{i}_question", f"top{i}_score"]
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for r in report.results:
            row = [r.line, _cell(r.qid or ""), r.turn, _cell(" | ".join(r.history)), _cell(r.query),
                   _cell(" | ".join(r.relevant)), _cell(" | ".join(dict.fromkeys(r.relevant_questions))), r.outcome,
                   r.correct, f"{r.confidence:.4f}", "" if r.rank is None else r.rank]
            for i in range(TOP_IN_CSV):
                hit = r.hits[i] if i < len(r.hits) else None
                row += [_cell(hit.entry_id), _cell(hit.question), f"{hit.score:.4f}"] if hit else ["", "", ""]
            writer.writerow(row)


def _figure():
    # The object-oriented API with the Agg canvas: no pyplot, no global backend, no display needed.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.2), dpi=100)
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _png(figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def threshold_plot(report: Report) -> bytes:
    """A PNG of answered-in-scope and not-answered-out-of-scope shares as the confidence threshold moves."""
    curve = report.curve
    x = [p.threshold for p in curve]
    figure, axes = _figure()
    if report.metrics.in_scope:
        axes.plot(x, [p.answered_in_scope for p in curve], label="in scope: answered", color="tab:blue")
        axes.plot(x, [p.correct_in_scope for p in curve], label="in scope: answered right",
                  color="tab:blue", linestyle="--")
    if report.metrics.out_of_scope:
        axes.plot(x, [p.rejected_out_of_scope for p in curve], label="out of scope: not answered",
                  color="tab:red")
    current = report.settings["min_confidence"]
    axes.axvline(current, color="grey", linestyle=":", label=f"min_confidence {current:g}")
    axes.set_xlabel("threshold on the confidence")
    axes.set_ylabel("share of questions")
    axes.set_ylim(-0.02, 1.02)
    axes.set_title(f"{Path(report.question_set).name} ({report.config})")
    axes.grid(alpha=0.3)
    # Beside the axes, not over them: the curves run through every corner of the plot.
    axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", borderaxespad=0)
    return _png(figure)


def reliability_plot(report: Report) -> bytes:
    """A PNG reliability diagram: per bin of confidence, the share of questions whose top entry
    answers them; on the diagonal, a confidence means what it says."""
    figure, axes = _figure()
    cells = report.reliability
    axes.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfectly calibrated")
    if cells:
        axes.plot([c.mean_confidence for c in cells], [c.right for c in cells], marker="o", color="tab:green",
                  label="this set")
        for c in cells:
            axes.annotate(str(c.questions), (c.mean_confidence, c.right), textcoords="offset points",
                          xytext=(4, -10), fontsize="x-small", color="#555")
    axes.set_xlabel("confidence (numbers: questions per bin)")
    axes.set_ylabel("share whose top entry answers")
    axes.set_xlim(-0.02, 1.02)
    axes.set_ylim(-0.02, 1.02)
    axes.set_title(f"Reliability: {Path(report.question_set).name} ({report.config})")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", borderaxespad=0)
    return _png(figure)


# --- HTML -----------------------------------------------------------------------------------------

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: #666; font-size: 0.9em; }
"""


def render_html(report: Report, png: bytes | None = None, calibration: bytes | None = None) -> str:
    """The report as one HTML page; the plot is embedded, so the file stands alone."""
    e = html.escape
    m = report.metrics
    parts = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Evaluation: {e(Path(report.question_set).name)} ({e(report.config)})</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Evaluation of {e(report.question_set)}</h1>",
        f"<p>{e(describe(report))}. Configuration <b>{e(report.config)}</b>.</p>",
        "<h2>Metrics</h2><table>",
    ]
    for label, name in ROWS:
        parts.append(f'<tr><th>{e(label.format(k=m.k))}</th><td class="n">{_share(getattr(m, name))}</td></tr>')
    parts.append("</table>")
    parts.append('<p class="muted">Ranking metrics count in-scope questions, ranked whether or not the '
                 "assistant answered. Answered: a confident answer (not hedged, not declined). Accuracy: in "
                 "scope, a confident right answer; out of scope, no confident answer. False-answer rate: share "
                 "of the confident answers that are wrong; confident wrong: share of all questions.</p>")

    parts.append("<h2>Answering vs declining across confidence thresholds, and calibration</h2>")
    for image, alt in ((png, "threshold curve"), (calibration, "reliability diagram")):
        if image:
            parts.append(f'<img alt="{alt}" src="data:image/png;base64,{base64.b64encode(image).decode()}">')
    best = report.best_threshold
    if best is not None:
        parts.append(f'<p class="muted">Current min_confidence {report.settings["min_confidence"]:g}. On this '
                     f"set the highest accuracy, {best.accuracy:.4f}, is reached at threshold {best.threshold:.3f}: "
                     "a threshold fitted to one set, shown for reference.</p>")

    failures = report.failures
    parts.append(f"<h2>Misses ({len(failures)})</h2>")
    if failures:
        parts.append("<table><tr><th>line</th><th>outcome</th><th>question</th><th>expected</th>"
                     "<th>rank of expected</th><th>top answers (score)</th></tr>")
        for r in failures:
            asked = e(r.query)
            if r.history:
                asked = f'<span class="muted">{e(" / ".join(r.history))} /</span> {asked}'
            expected = "<br>".join(e(q) for q in dict.fromkeys(r.relevant_questions)) or "<i>(out of scope)</i>"
            top = "<br>".join(f"{e(h.question)} ({h.score:.3f})" for h in r.hits[:3])
            top += f'<br><span class="muted">confidence {r.confidence:.2f}</span>'
            rank = "-" if r.rank is None else str(r.rank)
            parts.append(f'<tr><td class="n">{r.line}</td><td>{e(r.outcome)}</td><td>{asked}</td>'
                         f'<td>{expected}</td><td class="n">{rank}</td><td>{top}</td></tr>')
        parts.append("</table>")
    else:
        parts.append("<p>None: every question had the right outcome.</p>")

    attractors = report.attractors
    parts.append(f"<h2>Entries that attract wrong answers ({len(attractors)})</h2>")
    if attractors:
        parts.append("<table><tr><th>FAQ entry</th><th>wrong answers</th><th>given to</th></tr>")
        for a in attractors:
            asked = "<br>".join(e(q) for q in a.queries)
            parts.append(f'<tr><td>{e(a.question)}<br><span class="muted">{e(a.entry_id)}</span></td>'
                         f'<td class="n">{len(a.queries)}</td><td>{asked}</td></tr>')
        parts.append("</table>")
    else:
        parts.append("<p>None.</p>")

    parts.append("<h2>Settings</h2><table>")
    for name, value in report.settings.items():
        parts.append(f"<tr><th>{e(name)}</th><td>{e(str(value))}</td></tr>")
    parts.append("</table></body></html>")
    return "\n".join(parts) + "\n"
