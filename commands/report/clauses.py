"""The clause map of the audit report (clauses.yaml): which ISO 44001 clause each section evidences."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def sections() -> tuple[dict[str, Any], ...]:
    """The report's sections in order, each with its `id`, `title`, `evidence` and clause `label`."""
    data = yaml.safe_load(resources.files(__package__).joinpath("clauses.yaml").read_text(encoding="utf-8"))
    out = []
    for section in data["sections"]:
        clause = section.get("clause", data["clause"])
        label = f"{data['standard']} clause {clause} {data['clause_title']} · step {section['step']}: " \
                f"{section['step_title']}"
        if section.get("see_also"):
            label += f" (see also {section['see_also']})"
        out.append({**section, "clause": str(clause), "label": label})
    return tuple(out)
