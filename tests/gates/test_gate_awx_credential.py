"""Gate: the AWX credential type (docs/awx/credential_type.yml) is enough for a job to reach the API.

AWX renders the credential type's injector templates with the credential's
inputs (Jinja2, sandboxed, strict undefined) and runs the job with the result
in its environment.  This test does the same with test inputs pointing at a
running simulator, then runs a real ansible-playbook whose tasks name no
connection option at all, in an environment holding nothing else of ours.
"""

from __future__ import annotations

import json
import pathlib
import sys
import textwrap

import pytest
import yaml
from gate_helpers import ROOT, run, tail
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

CREDENTIAL_TYPE = ROOT / "docs" / "awx" / "credential_type.yml"
INJECTED = {"BTSYNC_API_URL", "BTSYNC_API_USER", "BTSYNC_API_PASSWORD"}

PLAYBOOK = textwrap.dedent(
    """\
    ---
    - name: AWX job, the API login comes from the credential only
      hosts: localhost
      connection: local
      gather_facts: false
      vars:
        # In AWX the execution environment's Python runs the module.
        ansible_python_interpreter: "{{ ansible_playbook_python }}"
      tasks:
        - name: Read the node's version through the API
          syncops.btsync.btsync_facts:
            gather_subset: [version]

        - name: The API answered
          ansible.builtin.assert:
            that:
              - ansible_facts.btsync.version is defined
              - ansible_facts.btsync.version | string | length > 0
    """
)


def credential_type() -> dict:
    return yaml.safe_load(CREDENTIAL_TYPE.read_text(encoding="utf-8"))


def render_injectors(cred_type: dict, inputs: dict[str, str]) -> dict[str, str]:
    """The environment AWX gives a job that carries a credential of this type."""
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    return {name: env.from_string(template).render(**inputs) for name, template in cred_type["injectors"]["env"].items()}


def job_env(injected: dict[str, str], home: pathlib.Path) -> dict[str, str]:
    """A bare environment: what any process needs, where the collection is, and the credential's variables."""
    env = {
        "PATH": f"{pathlib.Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / "build" / "collections"),
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
    }
    env.update(injected)
    return env


def test_credential_type_shape():
    cred_type = credential_type()
    assert cred_type["kind"] == "cloud", "AWX only accepts custom credential types of kind cloud or net"
    fields = {f["id"]: f for f in cred_type["inputs"]["fields"]}
    assert set(fields) == {"api_url", "api_user", "api_password"}
    assert fields["api_password"].get("secret") is True
    assert not fields["api_url"].get("secret") and not fields["api_user"].get("secret")
    assert set(cred_type["inputs"]["required"]) == set(fields)
    assert set(cred_type["injectors"]) == {"env"}
    assert set(cred_type["injectors"]["env"]) == INJECTED


@pytest.fixture
def simulator(tmp_path):
    sys.path.insert(0, str(ROOT / "tests" / "simulator"))
    try:
        from btsync_sim.harness import SimulatorProcess  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "tests" / "simulator"))
    request_log = tmp_path / "requests.jsonl"
    sim = SimulatorProcess(
        tmp_path / "sim",
        login="awx-job",
        password="credential-secret-7f3a",
        extra_args=["--request-log", str(request_log)],
    )
    sim.start()
    try:
        yield sim, request_log
    finally:
        sim.stop()


@pytest.mark.slow
def test_job_with_only_the_injected_environment_reaches_the_api(simulator, tmp_path):
    sim, request_log = simulator
    if not (ROOT / "build" / "collections" / "ansible_collections" / "syncops" / "btsync").exists():
        pytest.fail("build/collections is missing: run 'make venv' first")
    playbook = tmp_path / "job.yml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    assert "api_" not in PLAYBOOK, "the job must take its login from the environment only"
    home = tmp_path / "home"
    home.mkdir()
    cmd = [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", str(playbook)]

    inputs = {"api_url": sim.url, "api_user": sim.login, "api_password": sim.password}
    injected = render_injectors(credential_type(), inputs)
    assert injected == {"BTSYNC_API_URL": sim.url, "BTSYNC_API_USER": sim.login, "BTSYNC_API_PASSWORD": sim.password}
    env = job_env(injected, home)
    assert not {k for k in env if k.startswith("BTSYNC_")} - INJECTED

    proc = run(cmd, timeout=300, env=env, cwd=tmp_path)
    assert proc.returncode == 0, f"the AWX-style job failed (exit {proc.returncode}):\n{tail(proc.stdout)}"
    assert sim.password not in proc.stdout, "the job printed the credential's password"
    methods = [json.loads(line)["method"] for line in request_log.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert "get_version" in methods, f"the simulator saw no get_version call, only {methods}"

    # The same job with a wrong password in the credential is refused by the API,
    # so the variables are what the module used.
    wrong = render_injectors(credential_type(), dict(inputs, api_password="not-the-password"))
    proc = run(cmd, timeout=300, env=job_env(wrong, home), cwd=tmp_path)
    assert proc.returncode != 0, f"a job with a wrong password succeeded:\n{tail(proc.stdout)}"
    assert "authentication" in proc.stdout.lower(), f"no authentication error in:\n{tail(proc.stdout)}"
    assert "not-the-password" not in proc.stdout, "the job printed the credential's password"
