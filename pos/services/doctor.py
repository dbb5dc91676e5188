"""`pos doctor --live`: does the sandbox answer the till's own requests the way Stripe does?

The same steps run against Stripe (or any Stripe-compatible server) and against the
embedded sandbox; each answer is boiled down to what the till and a Stripe engineer
care about (HTTP status, error type/code/decline_code/param, the object's status and
field names, the answering `Stripe-Version`), and the two are compared line by line.
This module only compares and renders; the Stripe adapter runs the steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Observation:
    """What one step's answer showed, in comparable form."""

    http_status: int | None = None
    error_type: str | None = None
    error_code: str | None = None
    decline_code: str | None = None
    error_param: str | None = None
    object_status: str | None = None
    fields: frozenset[str] = field(default_factory=frozenset)
    version: str | None = None
    extra: tuple[tuple[str, str], ...] = ()  # step-specific facts, e.g. ("replayed", "true")
    failure: str | None = None  # the step could not run (network, refused key)

    def facts(self) -> dict[str, str]:
        if self.failure:
            return {"failure": self.failure}
        out = {"status": str(self.http_status), "version": self.version or "—"}
        for name in ("error_type", "error_code", "decline_code", "error_param", "object_status"):
            value = getattr(self, name)
            if value is not None:
                out[name.replace("_", " ")] = value
        out.update(dict(self.extra))
        return out


@dataclass(frozen=True)
class Row:
    step: str
    fact: str
    live: str
    sandbox: str

    @property
    def agrees(self) -> bool:
        return self.live == self.sandbox


def compare(step: str, live: Observation, sandbox: Observation) -> list[Row]:
    rows = []
    live_facts, sandbox_facts = live.facts(), sandbox.facts()
    for name in dict.fromkeys([*live_facts, *sandbox_facts]):
        rows.append(Row(step, name, live_facts.get(name, "—"), sandbox_facts.get(name, "—")))
    if live.failure is None and sandbox.failure is None and (live.fields or sandbox.fields):
        only_live = sorted(live.fields - sandbox.fields)
        only_sandbox = sorted(sandbox.fields - live.fields)
        if only_live or only_sandbox:
            rows.append(
                Row(
                    step,
                    "fields",
                    "+" + ", +".join(only_live) if only_live else "(same)",
                    "+" + ", +".join(only_sandbox) if only_sandbox else "(same)",
                )
            )
        else:
            rows.append(Row(step, "fields", f"{len(live.fields)} fields", f"{len(sandbox.fields)} fields"))
    return rows


def render_table(rows: list[Row], live_name: str, sandbox_name: str = "sandbox") -> str:
    headers = ("step", "what", live_name, sandbox_name, "")
    table = [headers] + [(r.step, r.fact, r.live, r.sandbox, "ok" if r.agrees else "DIFFERS") for r in rows]
    widths = [min(max(len(row[i]) for row in table), 48) for i in range(4)]

    def cut(text: str, width: int) -> str:
        return text if len(text) <= width else text[: width - 1] + "…"

    lines = [
        "  ".join(cut(cell, widths[i]).ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4]
        for row in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  -------")
    differing = [r for r in rows if not r.agrees]
    if differing:
        lines.append(f"\n{len(differing)} of {len(rows)} checks differ:")
        lines += [f"  {r.step} / {r.fact}: {live_name} {r.live!r}, sandbox {r.sandbox!r}" for r in differing]
    else:
        lines.append(f"\n{live_name} and the sandbox agree on all {len(rows)} checks.")
    return "\n".join(lines) + "\n"
