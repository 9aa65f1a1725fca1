#!/usr/bin/env python3
"""Checks that the Terraform under terraform/ and the Rust code agree.

    python scripts/infra/consistency.py [ROOT]

Runs with python-hcl2 (scripts/infra-check installs it into .venv-hcl). Prints one line per
disagreement and exits 1 if there is any:

- every function crate (functions/* except local) has a service, and every service a crate;
  the Dockerfile's `-p fn-<name>` and `target/release/<name>` fit each crate;
- a function's type fits what its code serves: a kind function runs `Function::Kind`, a
  function that serves only /internal/* routes is internal (not public, internal ingress);
- every push subscription and the scheduler call a route that the target function's code
  serves; each kind's step subscription filters on the attribute the dispatcher publishes;
  the tokens' audience is the URL the service accepts (FACTORY_OIDC_AUDIENCE);
- every environment variable a service gets is read by the code (shared/src/config.rs, or an
  env::var elsewhere under shared/src), and every variable production needs is set;
- every Firestore query in shared/src/store/firestore.rs has its composite index, and the
  indexes and TTL fields agree with docs/firestore.indexes.json;
- no internal service is publicly invokable;
- every log-based metric filters on a message and fields the code really logs.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from pathlib import Path

import hcl2

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))
from crates import Crate, discover  # noqa: E402

OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)

# Settings the production deployment cannot run without, set on every service.
REQUIRED_EVERYWHERE = {
    "FACTORY_STORE": "firestore:",
    "FACTORY_OBJECTS": "gs://",
    "FACTORY_DISPATCH": "pubsub:",
    "FACTORY_INTERNAL_AUTH": "oidc",
    "FACTORY_OIDC_ALLOWED_EMAILS": "",
    "GOOGLE_CLOUD_PROJECT": "",
}
# Set per function (its own URL).
REQUIRED_PER_FUNCTION = {"FACTORY_OIDC_AUDIENCE"}
INTERNAL_INGRESS = {"INGRESS_TRAFFIC_INTERNAL_ONLY", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"}
PUBLIC_MEMBERS = {"allUsers", "allAuthenticatedUsers"}
RUN_IAM_TYPES = {
    "google_cloud_run_v2_service_iam_member",
    "google_cloud_run_v2_service_iam_binding",
    "google_cloud_run_v2_service_iam_policy",
    "google_cloud_run_service_iam_member",
    "google_cloud_run_service_iam_binding",
    "google_cloud_run_service_iam_policy",
}


class Problems(list):
    def add(self, message: str) -> None:
        self.append(message)


# --- Reading the Terraform ----------------------------------------------------------------


class Terraform:
    def __init__(self, directory: Path):
        self.locals: dict = {}
        self.variables: dict = {}
        self.resources: dict[str, dict[str, dict]] = {}
        self.files: dict[str, str] = {}
        for path in sorted(directory.glob("*.tf")):
            self.files[path.name] = path.read_text()
            with path.open() as handle:
                parsed = hcl2.load(handle, serialization_options=OPTIONS)
            for block in parsed.get("locals", []):
                self.locals.update({k: v for k, v in block.items() if k != "__comments__"})
            for block in parsed.get("variable", []):
                self.variables.update(block)
            for block in parsed.get("resource", []):
                for rtype, named in block.items():
                    for name, body in named.items():
                        self.resources.setdefault(rtype, {})[name] = body

    def of_type(self, rtype: str) -> dict[str, dict]:
        return self.resources.get(rtype, {})


def unwrap(expression) -> str:
    """`${...}` → `...` for a whole-string interpolation."""
    if isinstance(expression, str) and expression.startswith("${") and expression.endswith("}"):
        inner = expression[2:-1]
        if "${" not in inner or inner.count("{") == inner.count("}"):
            return inner
    return expression if isinstance(expression, str) else ""


def first(block):
    """Nested blocks come as lists of one dict."""
    if isinstance(block, list):
        return block[0] if block else {}
    return block or {}


class Functions:
    """local.functions merged with local.function_types, and the for-expression filters."""

    def __init__(self, tf: Terraform, problems: Problems):
        self.entries: dict[str, dict] = tf.locals.get("functions", {}) or {}
        types: dict[str, dict] = tf.locals.get("function_types", {}) or {}
        self.settings: dict[str, dict] = {}
        for name, entry in self.entries.items():
            base = types.get(entry.get("type"))
            if base is None:
                problems.add(f"terraform: function {name!r} has unknown type {entry.get('type')!r}")
                base = {}
            self.settings[name] = {**base, **entry}
        self.tf = tf

    def evaluate_set(self, expression: str) -> set[str] | None:
        """The function names a `for_each` over a local selects, or None if not understood."""
        expression = unwrap(expression)
        if expression in ("local.functions", "local.settings"):
            return set(self.settings)
        match = re.fullmatch(r"local\.(\w+)", expression)
        if match and match.group(1) in self.tf.locals:
            return self.evaluate_set(self.tf.locals[match.group(1)])
        match = re.fullmatch(
            r"\{for (\w+), (\w+) in local\.(functions|settings) : \1 => \2 if (.+)\}", expression
        )
        if match:
            key, value, source, condition = match.groups()
            selected = set()
            for name, settings in self.settings.items():
                item = self.entries[name] if source == "functions" else settings
                if self._holds(condition, key, name, value, item):
                    selected.add(name)
            return selected
        return None

    def _holds(self, condition: str, key: str, name: str, value: str, item: dict) -> bool:
        python = condition.replace("&&", " and ").replace("||", " or ")
        python = re.sub(r"!(?!=)", " not ", python)
        python = re.sub(rf"\blocal\.function_types\[{value}\.type\]\.(\w+)", r'T[V["type"]]["\1"]', python)
        python = re.sub(rf"\b{value}\.(\w+)", r'V.get("\1")', python)
        python = re.sub(rf"\b{key}\b", "K", python)
        types = self.tf.locals.get("function_types", {})
        return bool(eval(python, {"__builtins__": {}}, {"V": item, "K": name, "T": types}))  # noqa: S307


# --- Reading the code ----------------------------------------------------------------------


def rust_items(text: str) -> dict[str, str]:
    """fn name → body text (up to the next fn at the same or lower indentation)."""
    items = {}
    starts = list(re.finditer(r"(?m)^\s*(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?fn\s+(\w+)", text))
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        items[match.group(1)] = text[match.start() : end]
    return items


class Code:
    def __init__(self, root: Path, problems: Problems):
        self.root = root
        self.problems = problems
        self.shared = root / "shared" / "src"
        self.sources = {p: p.read_text() for p in self.shared.rglob("*.rs")}
        self.routes_by_variant = self._routes_by_variant()
        self.env_read, self.env_read_prefixes = self._env_read()

    def read(self, relative: str) -> str:
        path = self.root / relative
        if not path.exists():
            self.problems.add(f"code: {relative} not found (moved? update scripts/infra/consistency.py)")
            return ""
        return path.read_text()

    def _routes_by_variant(self) -> dict[str, set[str]]:
        """Function variant → the paths its router serves (shared/src/http/mod.rs `routes`)."""
        mod = self.read("shared/src/http/mod.rs")
        body = rust_items(mod).get("routes", "")
        if not body:
            self.problems.add("code: fn routes not found in shared/src/http/mod.rs")
        routers: dict[str, dict[str, set[str]]] = {}
        result: dict[str, set[str]] = {}
        for arm in re.finditer(r"Self::(\w+)(?:\([^)]*\))?\s*=>\s*(.*?)(?=\n\s*Self::|\n\s*\}\s*\n)", body, re.S):
            variant, expression = arm.groups()
            paths: set[str] = set()
            for module, function in re.findall(r"\b(\w+)::(\w+)\(", expression):
                if module not in routers:
                    source = self.read(f"shared/src/http/routes/{module}.rs") if module != "Kind" else ""
                    routers[module] = {
                        name: set(re.findall(r'\.route\(\s*&?(?:format!\(\s*)?"([^"]+)"', item))
                        for name, item in rust_items(source).items()
                    }
                paths |= routers[module].get(function, set())
            result[variant] = paths
        if not result:
            self.problems.add("code: no `Self::<Function> => <router>` arms found in shared/src/http/mod.rs")
        return result

    def _env_read(self) -> tuple[set[str], set[str]]:
        """Variable names the code reads, and prefixes of names it builds (FACTORY_MODEL_<KIND>)."""
        names: set[str] = set()
        prefixes: set[str] = set()
        config = self.read("shared/src/config.rs").split("#[cfg(test)]")[0]
        names |= set(re.findall(r'"([A-Z][A-Z0-9_]{2,})"', config))
        prefixes |= set(re.findall(r'format!\(\s*"([A-Z][A-Z0-9_]*_)\{', config))
        for path, text in self.sources.items():
            text = text.split("#[cfg(test)]")[0]
            names |= set(re.findall(r'env::var(?:_os)?\(\s*"([A-Z][A-Z0-9_]+)"', text))
        # RUST_LOG is read by tracing-subscriber's EnvFilter::try_from_default_env.
        if any("try_from_default_env" in t for t in self.sources.values()):
            names.add("RUST_LOG")
        if not names:
            self.problems.add("code: no environment variable reads found under shared/src")
        return names, prefixes

    def is_read(self, name: str) -> bool:
        return name in self.env_read

    def published_attributes(self) -> set[str]:
        text = self.read("shared/src/dispatch/pubsub.rs")
        block = re.search(r'"attributes"\s*:\s*\{([^}]*)\}', text)
        return set(re.findall(r'"(\w+)"\s*:', block.group(1))) if block else set()

    def logs_message(self, message: str, prefix: bool = False) -> list[str]:
        """The tracing macro calls (text) whose message is `message` (or starts with it)."""
        pattern = re.escape(message) + ("[^\"]*" if prefix else "")
        calls = []
        for text in self.sources.values():
            for match in re.finditer(rf'"{pattern}"\s*\)', text):
                start = text.rfind("tracing::", 0, match.start())
                start = max(start, text.rfind("info!(", 0, match.start()) - 1)
                calls.append(text[start : match.end()])
        return calls

    def span_fields(self) -> set[str]:
        fields = set()
        for text in self.sources.values():
            for attribute in re.findall(r"#\[tracing::instrument\((.*?)\)\]\s*\n", text, re.S):
                inner = re.search(r"fields\((.*)\)", attribute, re.S)
                if inner:
                    fields |= set(re.findall(r"(\w+)\s*=", inner.group(1)))
        return fields

    def struct_fields(self) -> set[str]:
        return {f for text in self.sources.values() for f in re.findall(r"pub (\w+):", text)}


# --- The checks ----------------------------------------------------------------------------


def check_functions(crates: list[Crate], functions: Functions, code: Code, problems: Problems) -> None:
    names = {c.name for c in crates}
    for name in sorted(names - set(functions.entries)):
        problems.add(f"functions/{name} has no entry in local.functions (terraform/functions.tf): it would never be deployed")
    for name in sorted(set(functions.entries) - names):
        problems.add(f"terraform: function {name!r} has no crate under functions/")
    dockerfile = code.read("Dockerfile")
    if '-p "fn-${FUNCTION}"' not in dockerfile or 'target/release/${FUNCTION}' not in dockerfile:
        problems.add("Dockerfile: the builder no longer builds `-p fn-${FUNCTION}` into target/release/${FUNCTION}")
    for crate in crates:
        if crate.package != f"fn-{crate.name}":
            problems.add(f"functions/{crate.name}: package is {crate.package!r}, the Dockerfile builds 'fn-{crate.name}'")
        if crate.name not in crate.binaries:
            problems.add(f"functions/{crate.name}: no binary named {crate.name!r} (the Dockerfile copies target/release/{crate.name})")
        settings = functions.settings.get(crate.name)
        if settings is None:
            continue
        routes = code.routes_by_variant.get(crate.variant)
        if routes is None:
            problems.add(f"functions/{crate.name}: runs Function::{crate.variant}, which shared/src/http/mod.rs does not route")
            continue
        if crate.is_kind != (settings.get("type") == "kind"):
            problems.add(f"function {crate.name!r}: type {settings.get('type')!r} in terraform, but its main.rs runs Function::{crate.variant}")
        internal_only = bool(routes) and all(p.startswith("/internal/") for p in routes)
        if internal_only and settings.get("public"):
            problems.add(f"function {crate.name!r} serves only internal routes {sorted(routes)} but its terraform settings make it public")
        if internal_only and settings.get("ingress") not in INTERNAL_INGRESS:
            problems.add(f"function {crate.name!r} serves only internal routes but its ingress is {settings.get('ingress')!r}")


def push_target(endpoint: str, for_each: str | None, functions: Functions) -> tuple[set[str], str] | None:
    """(functions a push endpoint reaches, path) for `${google_cloud_run_v2_service.function[K].uri}/path`."""
    match = re.fullmatch(r'\$\{google_cloud_run_v2_service\.function\[([^\]]+)\]\.uri\}(/\S*)', endpoint or "")
    if not match:
        return None
    key, path = match.groups()
    if key == "each.key":
        selected = functions.evaluate_set(for_each or "")
        return (selected, path) if selected is not None else None
    return ({key.strip('"')}, path)


def check_routes(crates: list[Crate], functions: Functions, tf: Terraform, code: Code, problems: Problems) -> None:
    by_name = {c.name: c for c in crates}
    covered_kinds: set[str] = set()
    attributes = code.published_attributes()

    def served(function: str, path: str, what: str) -> None:
        crate = by_name.get(function)
        if crate is None:
            problems.add(f"{what}: pushes to {function!r}, which has no crate")
            return
        routes = code.routes_by_variant.get(crate.variant, set())
        if path not in routes:
            problems.add(f"{what}: calls {path} on {function!r}, which serves {sorted(routes)}")

    def audience(token: dict, key: str, what: str) -> None:
        expected = f"${{local.service_url[{key}]}}"
        if token.get("audience") != expected:
            problems.add(f"{what}: OIDC audience {token.get('audience')!r} is not the service's FACTORY_OIDC_AUDIENCE ({expected})")
        if "google_service_account.invoker.email" not in str(token.get("service_account_email")):
            problems.add(f"{what}: OIDC token not signed as the invoker account (FACTORY_OIDC_ALLOWED_EMAILS)")

    for name, subscription in tf.of_type("google_pubsub_subscription").items():
        push = first(subscription.get("push_config"))
        if not push:
            continue
        what = f"google_pubsub_subscription.{name}"
        target = push_target(push.get("push_endpoint", ""), subscription.get("for_each"), functions)
        if target is None:
            problems.add(f"{what}: push endpoint {push.get('push_endpoint')!r} is not a function's URL plus a path")
            continue
        reached, path = target
        for function in sorted(reached):
            served(function, path, what)
        token = first(push.get("oidc_token"))
        if not token:
            problems.add(f"{what}: push without an OIDC token")
        else:
            key = "each.key" if "[each.key]" in push["push_endpoint"] else re.search(r"\[([^\]]+)\]", push["push_endpoint"]).group(1)
            audience(token, key, what)
        if path == "/internal/steps":
            covered_kinds |= reached
            flt = subscription.get("filter", "")
            attribute = re.fullmatch(r'attributes\.(\w+) = "\$\{each\.key\}"', flt)
            if not attribute:
                problems.add(f"{what}: step subscription filter {flt!r} does not select its own kind")
            elif attribute.group(1) not in attributes:
                problems.add(f"{what}: filters on attribute {attribute.group(1)!r}, the dispatcher publishes {sorted(attributes)}")
            if not first(subscription.get("dead_letter_policy")):
                problems.add(f"{what}: step subscription without a dead-letter policy")
        if not first(subscription.get("retry_policy")):
            problems.add(f"{what}: push subscription without a retry policy")
    for crate in crates:
        if crate.is_kind and crate.name in functions.entries and crate.name not in covered_kinds:
            problems.add(f"kind {crate.name!r} has no push subscription to its /internal/steps")

    jobs = tf.of_type("google_cloud_scheduler_job")
    maintenance = [c for c in crates if c.variant == "Maintenance"]
    scheduled = set()
    for name, job in jobs.items():
        http = first(job.get("http_target"))
        target = push_target(http.get("uri", ""), None, functions)
        what = f"google_cloud_scheduler_job.{name}"
        if target is None:
            problems.add(f"{what}: uri {http.get('uri')!r} is not a function's URL plus a path")
            continue
        reached, path = target
        for function in reached:
            served(function, path, what)
            scheduled.add((function, path))
        token = first(http.get("oidc_token"))
        if not token:
            problems.add(f"{what}: calls without an OIDC token")
        else:
            audience(token, re.search(r"\[([^\]]+)\]", http["uri"]).group(1), what)
    for crate in maintenance:
        sweep = sorted(p for p in code.routes_by_variant.get("Maintenance", set()) if p.endswith("/maintenance"))
        if not any(function == crate.name and path in sweep for function, path in scheduled):
            problems.add(f"no Cloud Scheduler job calls the maintenance route {sweep} on {crate.name!r}")


def check_environment(crates: list[Crate], functions: Functions, tf: Terraform, code: Code, problems: Problems) -> None:
    env_locals = {k: v for k, v in tf.locals.items() if k.startswith("env_")}
    if not env_locals:
        problems.add("terraform: no env_* locals (terraform/environment.tf)")
    set_names: dict[str, str] = {}
    templated: set[str] = set()
    for local, value in env_locals.items():
        if isinstance(value, dict):
            for name in value:
                set_names[name] = local
        else:
            text = str(value)
            for name in re.findall(r"\b([A-Z][A-Z0-9_]{2,})\s*=(?!=)", text):
                set_names[name] = local
            templated |= set(re.findall(r'"([A-Z][A-Z0-9_]*_)\$\{', text))
    secret_names = set((tf.locals.get("secret_scope") or {}).keys())
    for name in sorted(set(set_names) | secret_names):
        if not code.is_read(name):
            where = set_names.get(name, "secret_scope")
            problems.add(f"env {name} (local.{where}) is set on a service but no code under shared/src reads it")
    for prefix in sorted(templated):
        if prefix not in code.env_read_prefixes:
            kinds = [c.name for c in crates if c.is_kind]
            missing = [f"{prefix}{k.upper().replace('-', '_')}" for k in kinds if not code.is_read(f"{prefix}{k.upper().replace('-', '_')}")]
            if missing:
                problems.add(f"env {prefix}<KIND> is set per kind but the code reads no such names ({missing[:3]}...)")
    every = env_locals.get("env_every_service")
    if not isinstance(every, dict):
        problems.add("terraform: local.env_every_service (a map of literal names) is missing")
        every = {}
    for name, prefix in REQUIRED_EVERYWHERE.items():
        if not code.is_read(name):
            problems.add(f"production setting {name} is not read by the code any more (update scripts/infra/consistency.py)")
        value = every.get(name)
        if value is None:
            problems.add(f"env {name} is needed in production but not set on every service (local.env_every_service)")
        elif prefix and not selects(str(value), prefix):
            problems.add(f"env {name} = {value!r} does not select the cloud setting ({prefix}...)")
    per_function = str(env_locals.get("env_per_function", ""))
    for name in REQUIRED_PER_FUNCTION:
        if not re.search(rf"\b{name}\s*=\s*local\.service_url\[name\]", per_function):
            problems.add(f"env {name} must be each function's own URL (local.service_url[name]) in local.env_per_function")
    service_env = unwrap(str(tf.locals.get("service_env", "")))
    if not re.search(r"merge\(local\.env_every_service,", service_env) or "local.env_per_function[name])" not in service_env:
        problems.add("terraform: local.service_env must merge local.env_every_service and local.env_per_function[name] for every function")
    for name, service in tf.of_type("google_cloud_run_v2_service").items():
        containers = first(first(service.get("template")).get("containers"))
        envs = containers.get("dynamic", []) if isinstance(containers, dict) else []
        sources = [str(first(d.get("env", {})).get("for_each", "")) for d in envs if "env" in d]
        if "${local.service_env[each.key]}" not in sources:
            problems.add(f"google_cloud_run_v2_service.{name}: env does not come from local.service_env[each.key]")
        if "PORT" in json.dumps(containers):
            if re.search(r'"name":\s*"PORT"', json.dumps(containers)):
                problems.add(f"google_cloud_run_v2_service.{name}: PORT is set by Cloud Run and must not be set")


def selects(value: str, prefix: str) -> bool:
    """A literal starting with `prefix`, or a conditional whose every branch does."""
    if value.startswith(prefix):
        return True
    branches = re.findall(r'"([^"$]*)', unwrap(value))
    branches = [b for b in branches if re.match(r"^[a-z]+:", b)]
    return bool(branches) and all(b.startswith(prefix) for b in branches)


def required_indexes(firestore_rs: str, problems: Problems) -> list[tuple[str, str, frozenset, tuple]]:
    """(fn, collection, equality fields, ((field, direction), ...)) of every query that needs a
    composite index."""
    constants = dict(re.findall(r'const (\w+): &str = "([^"]+)";', firestore_rs))
    needed = []
    queries = 0
    for name, body in rust_items(firestore_rs).items():
        source = re.search(r"\.select\(\)\s*\.from\((\w+)\)", body)
        if not source:
            continue
        queries += 1
        collection = constants.get(source.group(1), source.group(1))
        mandatory, optional, ranges = set(), set(), set()
        for match in re.finditer(r'q\.field\("(\w+)"\)\.(\w+)\(', body):
            field, operator = match.groups()
            before = body[max(0, match.start() - 80) : match.start()]
            is_optional = "and_then(" in before.split("q.field(")[-1]
            if operator in ("eq", "is_in", "array_contains", "array_contains_any"):
                (optional if is_optional else mandatory).add(field)
            else:
                ranges.add((field, is_optional))
        orders = tuple(
            (field, "DESCENDING" if direction == "descending" else "ASCENDING")
            for field, direction in re.findall(r'o\.field\("(\w+)"\)\.(ascending|descending)\(\)', body)
        )
        optional_ranges = [r for r in ranges if r[1]]
        mandatory_ranges = {r[0] for r in ranges if not r[1]}
        for count in range(len(optional) + 1):
            for chosen in itertools.combinations(sorted(optional), count):
                for range_count in range(len(optional_ranges) + 1):
                    for chosen_ranges in itertools.combinations(optional_ranges, range_count):
                        equality = frozenset(mandatory | set(chosen))
                        inequality = mandatory_ranges | {r[0] for r in chosen_ranges}
                        order = list(orders)
                        for field in sorted(inequality):
                            if field not in [o[0] for o in order]:
                                order.insert(0, (field, "ASCENDING"))
                        involved = set(equality) | {o[0] for o in order}
                        if len(involved) <= 1 or not order:
                            continue  # single-field indexes (or index merging) serve it
                        needed.append((name, collection, equality, tuple(order)))
    if queries == 0:
        problems.add("code: no queries found in shared/src/store/firestore.rs (moved? update scripts/infra/consistency.py)")
    return needed


def index_serves(index: tuple[str, list[tuple[str, str]]], collection: str, equality: frozenset, order: tuple) -> bool:
    index_collection, fields = index
    if index_collection != collection or len(fields) != len(equality) + len(order):
        return False
    head, tail = fields[: len(equality)], fields[len(equality) :]
    return {f for f, _ in head} == set(equality) and tuple(tail) == order


def check_firestore(tf: Terraform, code: Code, problems: Problems) -> None:
    declared = {
        name: (spec.get("collection"), [(f.get("path"), f.get("order")) for f in spec.get("fields", [])])
        for name, spec in (tf.locals.get("firestore_indexes") or {}).items()
    }
    if not declared:
        problems.add("terraform: local.firestore_indexes is missing or empty (terraform/firestore.tf)")
    for function, collection, equality, order in required_indexes(code.read("shared/src/store/firestore.rs"), problems):
        if not any(index_serves(index, collection, equality, order) for index in declared.values()):
            wanted = [*(f"{f} =" for f in sorted(equality)), *(f"{f} {d}" for f, d in order)]
            problems.add(f"firestore: query {function} on {collection} needs a composite index ({', '.join(wanted)}) that terraform does not declare")
    committed = json.loads(code.read("docs/firestore.indexes.json") or "{}")
    documented = {
        (i["collectionGroup"], tuple((f["fieldPath"], f["order"]) for f in i["fields"]))
        for i in committed.get("indexes", [])
    }
    in_terraform = {(c, tuple(map(tuple, f))) for c, f in declared.values()}
    for missing in sorted(documented - in_terraform):
        problems.add(f"firestore: docs/firestore.indexes.json has index {missing} that terraform does not declare")
    for extra in sorted(in_terraform - documented):
        problems.add(f"firestore: terraform declares index {extra} missing from docs/firestore.indexes.json")
    ttl_documented = {o["collectionGroup"] for o in committed.get("fieldOverrides", []) if o.get("ttl") and o["fieldPath"] == "expire_at"}
    ttl_terraform = set(unwrap_list(tf.locals.get("firestore_ttl_collections")))
    if ttl_documented != ttl_terraform:
        problems.add(f"firestore: TTL on expire_at for {sorted(ttl_terraform)} in terraform, {sorted(ttl_documented)} in docs/firestore.indexes.json")
    fields = tf.of_type("google_firestore_field").get("expire_at", {})
    if not first(fields.get("ttl_config")) and "ttl_config" not in fields:
        problems.add("firestore: google_firestore_field.expire_at has no ttl_config")


def unwrap_list(value) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return re.findall(r'"([^"]+)"', str(value))


def check_not_public(crates: list[Crate], functions: Functions, tf: Terraform, code: Code, problems: Problems) -> None:
    internal = {
        c.name for c in crates
        if (routes := code.routes_by_variant.get(c.variant)) and all(p.startswith("/internal/") for p in routes)
    }
    for name in sorted(internal):
        settings = functions.settings.get(name, {})
        if settings.get("public"):
            problems.add(f"internal function {name!r} is public in terraform")
    for rtype in RUN_IAM_TYPES:
        for name, grant in tf.of_type(rtype).items():
            members = grant.get("members") or [grant.get("member")]
            policy = str(grant.get("policy_data", ""))
            if not (set(map(str, members)) & PUBLIC_MEMBERS or any(m in policy for m in PUBLIC_MEMBERS)):
                continue
            target = str(grant.get("name") or grant.get("service") or "")
            literal = re.search(r'function\["([^"]+)"\]', target)
            if literal:
                reached = {literal.group(1)}
            elif "[each.key]" in target:
                reached = functions.evaluate_set(grant.get("for_each", ""))
                if reached is None:
                    problems.add(f"{rtype}.{name}: grants {members} over a for_each this check cannot evaluate")
                    continue
            else:
                problems.add(f"{rtype}.{name}: grants {members} to a service this check cannot resolve")
                continue
            for function in sorted(reached & internal):
                problems.add(f"internal function {function!r} is publicly invokable ({rtype}.{name} grants {members[0]})")
    for name, service in tf.of_type("google_cloud_run_v2_service").items():
        if unwrap(service.get("ingress", "")) != "local.settings[each.key].ingress":
            problems.add(f"google_cloud_run_v2_service.{name}: ingress {service.get('ingress')!r} does not come from the function's settings")
        if service.get("invoker_iam_disabled") not in (None, False, "false"):
            problems.add(f"google_cloud_run_v2_service.{name}: invoker_iam_disabled lets anyone invoke every function")


def camel_to_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def check_log_metrics(tf: Terraform, code: Code, problems: Problems) -> None:
    metrics = {**(tf.locals.get("counter_metrics") or {}), **(tf.locals.get("distribution_metrics") or {})}
    if not metrics:
        problems.add("terraform: no log-based metrics (local.counter_metrics / local.distribution_metrics)")
    span_fields = code.span_fields()
    struct_fields = code.struct_fields()
    for name, metric in metrics.items():
        expressions = " ".join([metric.get("filter", ""), metric.get("value", ""), *(metric.get("labels") or {}).values()])
        message = re.search(r'jsonPayload\.message(=~?)"(\^?)([^"]+)"', metric.get("filter", ""))
        if not message:
            problems.add(f"log metric {name}: filter does not name a log message")
            continue
        calls = code.logs_message(message.group(3), prefix=message.group(1) == "=~")
        if not calls:
            problems.add(f"log metric {name}: no code logs the message {message.group(3)!r}")
            continue
        for field in set(re.findall(r"jsonPayload\.([\w.]+)", expressions)) - {"message"}:
            if field.startswith("span."):
                if field[5:] not in span_fields:
                    problems.add(f"log metric {name}: span field {field[5:]!r} is not recorded by any #[tracing::instrument(fields(...))]")
                continue
            snake = camel_to_snake(field)
            pattern = rf"(?:\b{snake}\s*=|[%?]{snake}\b|[(,]\s*{snake}\s*,)"
            if not any(re.search(pattern, call) for call in calls):
                problems.add(f"log metric {name}: field jsonPayload.{field} ({snake}) is not logged with {message.group(3)!r}")
        for inner in re.findall(r'REGEXP_EXTRACT\([^,]+,\s*"(\w+):', expressions):
            if inner not in struct_fields:
                problems.add(f"log metric {name}: extracts {inner!r}, which no logged struct has")


def run(root: Path) -> Problems:
    problems = Problems()
    tf = Terraform(root / "terraform")
    code = Code(root, problems)
    crates = discover(root)
    if not crates:
        problems.add("no function crates under functions/")
    functions = Functions(tf, problems)
    check_functions(crates, functions, code, problems)
    check_routes(crates, functions, tf, code, problems)
    check_environment(crates, functions, tf, code, problems)
    check_firestore(tf, code, problems)
    check_not_public(crates, functions, tf, code, problems)
    check_log_metrics(tf, code, problems)
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[0]).resolve() if argv else Path(__file__).resolve().parents[2]
    problems = run(root)
    for problem in problems:
        print(f"consistency: {problem}")
    if problems:
        print(f"consistency: {len(problems)} disagreement(s) between terraform/ and the code")
        return 1
    print("consistency: terraform/ and the code agree")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
