"""Adjudication counts for the release card: how many gold labels an adjudicator decided, per target and per rule.

A gold record with a `rule` is an adjudicator's decision made in a target's review project (`stance-corpus
adjudicate`, docs/annotation.md "Adjudication"): the rule is the guidelines section (a `###` heading of the card's
"Annotation guidelines") the decision rests on. Gold decided by majority has no rule and is not counted.

    decisions_per_rule(gold)     {target id: {rule: decisions}}, targets sorted, rules by count then name
    decisions_table(counts)      the same as Markdown table lines (rule, then one column per target, then total)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from stance_corpus.corpus.schema import Annotation


def decisions_per_rule(gold: Iterable[Annotation]) -> dict[str, dict[str, int]]:
    """target id -> rule -> how many gold records of that target rest on that rule (records without a rule left
    out); targets in sorted order, rules most frequent first (ties by name)."""
    counts: dict[str, Counter[str]] = {}
    for record in gold:
        if record.rule is not None:
            counts.setdefault(record.target, Counter())[record.rule] += 1
    return {
        target: dict(sorted(rules.items(), key=lambda item: (-item[1], item[0])))
        for target, rules in sorted(counts.items())
    }


def decisions_table(counts: Mapping[str, Mapping[str, int]]) -> list[str]:
    """Markdown lines of a table of `decisions_per_rule`: one row per rule (most decisions first), one column per
    target and a total; no lines when there is no decision."""
    targets = list(counts)
    totals: Counter[str] = Counter()
    for rules in counts.values():
        totals.update(rules)
    if not totals:
        return []
    lines = [
        "| Rule | " + " | ".join(f"`{target}`" for target in targets) + " | Total |",
        "|---|" + "---:|" * (len(targets) + 1),
    ]
    for rule, total in sorted(totals.items(), key=lambda item: (-item[1], item[0])):
        cells = [str(counts[target].get(rule, 0)) for target in targets]
        lines.append(f"| {rule} | " + " | ".join(cells) + f" | {total} |")
    column_totals = [str(sum(counts[target].values())) for target in targets]
    lines.append("| **All decisions** | " + " | ".join(column_totals) + f" | {sum(totals.values())} |")
    return lines
