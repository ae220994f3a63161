# SPDX-License-Identifier: Apache-2.0
"""The one Markdown table writer of the report scripts (report.py, train_results.py,
bitprune_results.py)."""


def table(head, rows):
    """A Markdown table: the head, the separator and one line per row (cells as str()), each
    line ending in a newline."""
    lines = ["| " + " | ".join(str(c) for c in head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"
