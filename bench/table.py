"""The run's one table: plain text for the terminal, Markdown for the file.

The file is rewritten on every run but for its "## Profile findings" section: everything
from that heading on is kept, so findings written by hand survive reruns.
"""

from pathlib import Path

from bench.figures import Figure
from bench.rss import MEMORY

COLUMNS = ("section", "figure", "value", "unit", "target", "met", "×limit", "×baseline", "note")
FINDINGS = "## Profile findings"
NO_FINDINGS = (
    f"{FINDINGS}\n\n(None yet. Write them here by hand: this section is kept when the "
    "benchmark rewrites the file.)\n"
)
RATIOS = (
    "×limit: the figure over the same figure for the machine's limit at the same connections "
    "(throughput: the lower of pgbench and the no-op endpoint; latency: the higher of the two). "
    "×baseline: over the plain FastAPI + eventsourcing design at the same connections."
)


def ordered(figures: list[Figure]) -> list[Figure]:
    """Memory figures come from every part that runs a server; they read best together,
    last. The order of everything else is the order of the parts."""
    return sorted(figures, key=lambda figure: figure.section == MEMORY)


def rows(figures: list[Figure]) -> list[tuple[str, ...]]:
    return [
        (
            figure.section,
            figure.name,
            number(figure.value),
            figure.unit,
            figure.target or "—",
            {True: "yes", False: "no", None: "—"}[figure.met],
            ratio(figure.ratio_to_limit()),
            ratio(figure.ratio_to_baseline()),
            figure.note,
        )
        for figure in ordered(figures)
    ]


def number(value: float) -> str:
    if value != value:  # NaN: nothing was measured
        return "n/a"
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) < 1 else f"{value:.1f}"


def ratio(value: float | None) -> str:
    if value is None or value != value:  # no reference, or nothing measured
        return "—"
    return f"{value:.2f}" if value < 10 else f"{value:.0f}"


def text(figures: list[Figure]) -> str:
    """Aligned columns; the section is printed once, as a heading, where it changes."""
    all_rows = rows(figures)
    widths = [max(len(row[i]) for row in [COLUMNS, *all_rows]) for i in range(1, 8)]
    lines: list[str] = []
    section = None
    for row in all_rows:
        if row[0] != section:
            section = row[0]
            lines += ["", f"== {section}", _aligned(COLUMNS[1:], widths)]
        lines.append(_aligned(row[1:], widths))
    return "\n".join(lines).strip("\n")


def _aligned(cells: tuple[str, ...], widths: list[int]) -> str:
    numeric = {1, 5, 6}  # value, ×limit, ×baseline: right-aligned
    padded = [
        cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
        for i, cell in enumerate(cells[:7])
    ]
    return "  ".join([*padded, *cells[7:]]).rstrip()


def markdown(figures: list[Figure]) -> str:
    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    aligns = ("---", "---", "--:", "---", "---", ":-:", "--:", "--:", "---")
    return "\n".join([line(COLUMNS), line(aligns), *(line(row) for row in rows(figures))])


def write(
    path: Path, title: str, header: list[str], figures: list[Figure], notes: list[str]
) -> None:
    """Write the file, keeping its profile findings (from their heading on) if it has them."""
    old = path.read_text() if path.exists() else ""
    findings = old[old.index(FINDINGS) :] if FINDINGS in old else NO_FINDINGS
    body = [
        f"# {title}",
        "",
        *header,
        "",
        RATIOS,
        "",
        markdown(figures),
        "",
    ]
    if notes:
        body += ["Notes:", "", *(f"- {note}" for note in notes), ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(body) + "\n" + findings)
