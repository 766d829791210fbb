"""Properties of the modules' input validation, fuzzed directly (hypothesis).

Fuzzing every module option through ansible-playbook would take hours; the
options reach the same validation functions in module_utils (and
``select_subsets`` of btsync_facts), so those are fuzzed in-process with any
JSON-like value. Each must return a normalised value or raise
``BtsyncValidationError`` (a ``BtsyncError``) -- never another exception --
with a message of one line of bounded length. The unit tests already hold
properties for secrets, single hosts, flag and number encodings, relative
paths and answers of the API (see the table of properties in
docs/reliability.md); these fill the gaps.
"""

from __future__ import annotations

import importlib
import math
import sys
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_lib import COLLECTIONS

if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

api = importlib.import_module("ansible_collections.syncops.btsync.plugins.module_utils.btsync_api")
bmod = importlib.import_module("ansible_collections.syncops.btsync.plugins.module_utils.btsync_module")
facts = importlib.import_module("ansible_collections.syncops.btsync.plugins.modules.btsync_facts")

FUZZ = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
MAX_MESSAGE = 600

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=60), st.binary(max_size=20))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=10)
urlish = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda scheme, host, port, path: f"{scheme}://{host}{port}{path}",
        st.sampled_from(["http", "https", "ftp", "HTTP", ""]),
        st.one_of(st.from_regex(r"[a-z0-9.-]{0,20}", fullmatch=True), st.just("[::1]"), st.just("user:pw@host"), st.text(max_size=10)),
        st.one_of(st.just(""), st.integers(-5, 70000).map(lambda p: f":{p}"), st.text(max_size=6).map(lambda t: ":" + t)),
        st.one_of(st.just(""), st.just("/api"), st.just("/x/api/"), st.text(max_size=10)),
    ),
)


def message_problems(exc: BaseException) -> list[str]:
    text = str(exc)
    problems = []
    if "\n" in text or "\r" in text:
        problems.append("the message spans several lines")
    if len(text) > MAX_MESSAGE:
        problems.append(f"the message has {len(text)} characters")
    return problems


def check_error(exc: BaseException, shape: bool = True) -> None:
    """A typed error; with ``shape``, of one bounded line (test_every_message_is_one_bounded_line covers every validator)."""
    assert isinstance(exc, api.BtsyncError), f"{type(exc).__name__} instead of a BtsyncError: {exc!r}"[:300]
    if shape:
        assert not message_problems(exc), message_problems(exc)


def run_property(report: Any, case_id: str, prop: Callable[[], None], what: str) -> None:
    """Run a hypothesis property, then record its verdict (a failing example fails the test and the case)."""
    try:
        prop()
    except BaseException as exc:
        report.case(case_id, "fail", f"counterexample: {str(exc).splitlines()[0][:300]}")
        raise
    report.case(case_id, "pass", f"{FUZZ.max_examples} examples: {what}")


def test_api_url(report: Any) -> None:
    @FUZZ
    @given(st.one_of(urlish, values))
    def prop(value: Any) -> None:
        try:
            url = api.normalise_api_url(value)
        except Exception as exc:
            check_error(exc)
            return
        assert url.startswith(("http://", "https://")) and url.endswith("/api"), url
        assert api.normalise_api_url(url) == url

    run_property(report, "P-api-url", prop, "an idempotent http(s) URL ending in /api, or a one-line BtsyncValidationError")


def test_folder_path(report: Any) -> None:
    @FUZZ
    @given(st.one_of(st.text(max_size=80), st.from_regex(r"(/|\\\\|[A-Za-z]:\\)[A-Za-z./\\ ]{0,30}", fullmatch=True), values))
    def prop(value: Any) -> None:
        try:
            path = api.validate_folder_path(value)
        except Exception as exc:
            check_error(exc)
            return
        assert api.validate_folder_path(path) == path

    run_property(report, "P-folder-path", prop, "an idempotent normalised path, or a one-line BtsyncValidationError")


def test_preferences_with_any_keys(report: Any) -> None:
    keys = st.one_of(st.sampled_from([*api.PREF_KEYS, *api.FOLDER_PREF_KEYS]), st.text(max_size=20))

    @FUZZ
    @given(st.one_of(st.dictionaries(keys, values, max_size=6), values), st.booleans())
    def prop(prefs: Any, folder: bool) -> None:
        validate = api.validate_folder_prefs if folder else api.validate_prefs
        known = api.FOLDER_PREF_KEYS if folder else api.PREF_TYPES
        try:
            result = validate(prefs)
        except Exception as exc:
            check_error(exc, shape=False)
            if isinstance(prefs, dict) and any(key not in known for key in prefs):
                assert "valid" in str(exc)
            return
        assert set(result) == set(prefs) and set(result) <= set(known)
        for key, value in result.items():
            kind = "bool" if folder else api.PREF_TYPES[key]
            if kind == "bool":
                assert isinstance(value, bool)
            elif kind == "str":
                assert isinstance(value, str) and value.strip()
            else:
                assert isinstance(value, int) and not isinstance(value, bool) and value >= -1
                assert not (isinstance(value, float) and math.isnan(value))

    run_property(
        report, "P-prefs-any-keys", prop, "known keys with typed, in-range values, or a BtsyncValidationError naming the valid keys (message shape: P-messages)"
    )


def test_hosts_of_any_type(report: Any) -> None:
    hostish = st.one_of(st.text(max_size=30), st.from_regex(r"[a-z0-9.\[\]:-]{1,25}:-?[0-9]{0,6}", fullmatch=True), scalars)

    @FUZZ
    @given(st.one_of(st.lists(hostish, max_size=5), values))
    def prop(hosts: Any) -> None:
        try:
            result = api.validate_hosts(hosts)
        except Exception as exc:
            check_error(exc)
            return
        assert len(result) == len(set(result))
        for host in result:
            assert api.validate_host(host) == host
            port = int(host.rsplit(":", 1)[1])
            assert 1 <= port <= 65535

    run_property(report, "P-hosts-any", prop, "normalised host:port strings with ports 1-65535, or a one-line BtsyncValidationError")


def test_client_options(report: Any) -> None:
    @FUZZ
    @given(st.one_of(urlish, st.just("http://127.0.0.1:8888")), st.one_of(scalars, st.floats(-10, 4000)), st.one_of(scalars, st.integers(-3, 30)))
    def prop(url: Any, timeout: Any, retries: Any) -> None:
        try:
            client = api.BtsyncClient(url, timeout=timeout, retries=retries)
        except Exception as exc:
            check_error(exc)
            return
        client.close()
        assert 0 < client.timeout <= 3600 and 0 <= client.retries <= 20

    run_property(report, "P-client-options", prop, "a client with a timeout of 0-3600 s and 0-20 retries, or a one-line BtsyncValidationError")


def test_folder_identification(report: Any) -> None:
    secretish = st.one_of(st.none(), st.text(max_size=60), st.from_regex(r"[A-FR][A-Z2-7]{32,40}", fullmatch=True))

    @FUZZ
    @given(st.one_of(st.none(), st.text(max_size=40)), secretish)
    def prop(path: Any, secret: Any) -> None:
        try:
            ident = bmod.FolderId(
                path=api.validate_folder_path(path) if path is not None else None,
                secret=api.validate_secret(secret) if secret is not None else None,
            )
            text = ident.describe([api.Folder(path=ident.path or "/x", secret="R" + "Q" * 32)])
        except Exception as exc:
            check_error(exc)
            text = str(exc)
        if isinstance(secret, str) and len(secret) >= 8:
            assert secret not in text

    run_property(report, "P-folder-id", prop, "a described folder or a BtsyncError, neither holding the secret")


def test_facts_subsets(report: Any) -> None:
    names = st.one_of(st.sampled_from([*facts.SUBSETS, *(f"!{n}" for n in facts.SUBSETS)]), st.text(max_size=15))

    @FUZZ
    @given(st.lists(names, max_size=6))
    def prop(subsets: list[str]) -> None:
        try:
            selected = facts.select_subsets(subsets)
        except Exception as exc:
            check_error(exc, shape=False)
            assert "valid:" in str(exc)
            return
        assert selected <= set(facts.SUBSETS) - {"all"}

    run_property(report, "P-facts-subsets", prop, "a subset of the known names, or a BtsyncValidationError listing the valid ones (message shape: P-messages)")


VALIDATORS: list[tuple[str, Callable[[Any], Any]]] = [
    ("secret_type", api.secret_type),
    ("validate_host", api.validate_host),
    ("validate_hosts", api.validate_hosts),
    ("validate_relative_path", api.validate_relative_path),
    ("validate_folder_path", api.validate_folder_path),
    ("normalise_api_url", api.normalise_api_url),
    ("validate_prefs", api.validate_prefs),
    ("validate_folder_prefs", api.validate_folder_prefs),
    ("to_bool", api.to_bool),
    ("to_int", api.to_int),
    ("select_subsets", lambda value: facts.select_subsets(value if isinstance(value, list) else [value])),
]


# Inputs that a message must not repeat as they are: long, or spanning lines.
LONG = "x" * 3000
MULTILINE = "first line\nsecond line\r\nthird"
AWKWARD = [LONG, MULTILINE, {LONG: 1}, {MULTILINE: 1}, [LONG], [MULTILINE], f"{LONG}:1", f"{MULTILINE}:1"]


def test_every_message_is_one_bounded_line(report: Any) -> None:
    """Every validator raises only BtsyncError on any input (property), and none repeats an input unbounded
    (the same long and multi-line inputs through each validator, so the finding is the same on every run)."""

    @FUZZ
    @given(st.one_of(values, st.text(min_size=100, max_size=2000), st.dictionaries(st.text(max_size=60), scalars, max_size=3)))
    def prop(value: Any) -> None:
        for name, func in VALIDATORS:
            try:
                func(value)
            except Exception as exc:
                assert isinstance(exc, api.BtsyncError), f"{name}: {type(exc).__name__}: {exc!r}"[:300]

    try:
        prop()
    except BaseException as exc:
        report.case("P-messages", "fail", f"counterexample: {str(exc).splitlines()[0][:300]}")
        raise
    found: dict[str, set[str]] = {}
    for name, func in VALIDATORS:
        for value in AWKWARD:
            try:
                func(value)
            except api.BtsyncError as exc:
                for problem in message_problems(exc):
                    found.setdefault(name, set()).add("spans lines" if "lines" in problem else f"over {MAX_MESSAGE} characters")
    if found:
        finding = "messages that repeat an input unbounded: " + "; ".join(f"{name} ({', '.join(sorted(why))})" for name, why in sorted(found.items()))
        report.case("P-messages", "finding", f"{finding}; every error is a BtsyncError ({FUZZ.max_examples} examples)", finding=finding)
    else:
        report.case("P-messages", "pass", f"{FUZZ.max_examples} examples and {len(AWKWARD)} long or multi-line inputs through {len(VALIDATORS)} validators")
