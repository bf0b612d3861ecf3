"""The source tree shows the design (issue 21): cloud code lives in ``costctl/clouds/<cloud>/`` only.

Every module under ``costctl/`` outside ``clouds/`` is parsed with ``ast`` and every import in it,
at module level, under ``TYPE_CHECKING`` or inside a function, is checked: no cloud SDK (boto3,
botocore, azure.*, google.*) and no ``costctl.clouds.<cloud>`` module. The registry is the one
exception: it names cloud modules as strings (the built-in entry points and export formats) and
imports them on demand, so a dotted ``costctl.clouds.`` string anywhere else is refused too.
"""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "costctl"
CLOUDS = PACKAGE / "clouds"
REGISTRY = PACKAGE / "providers" / "registry.py"
SDKS = ("boto3", "botocore", "azure", "google")
# A string that is a cloud module's dotted path (``module`` or ``module:attr``), as import tables hold them.
MODULE_PATH = re.compile(r"\s*costctl\.clouds\.\w+(\.\w+)*(:\w+)?\s*")


def cross_cloud_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if CLOUDS not in p.parents)


def imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, dotted module) of every import in the tree, ``from a import b`` giving ``a.b`` too."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return found


def violation(module: str) -> str | None:
    top = module.split(".")[0]
    if top in SDKS:
        return f"imports the cloud SDK {top!r}"
    parts = module.split(".")
    if parts[:2] == ["costctl", "clouds"] and len(parts) > 2:
        return f"imports the cloud module {module!r} (go through costctl.providers.registry)"
    return None


def test_the_string_check_knows_a_module_path_from_prose() -> None:
    assert MODULE_PATH.fullmatch("costctl.clouds.aws.cur_sql")
    assert MODULE_PATH.fullmatch("costctl.clouds.gcp.provider:GcpProvider")
    assert not MODULE_PATH.fullmatch("cloud code lives in costctl.clouds.<cloud>")


def test_the_checker_sees_imports_inside_functions_and_type_checking_blocks() -> None:
    tree = ast.parse("if TYPE_CHECKING:\n    import botocore\n"
                     "def f():\n    from costctl.clouds.aws.idle import scan\n    from costctl.clouds import gcp\n")
    bad = sorted({v for _, m in imported_names(tree) if (v := violation(m))})
    assert bad == ["imports the cloud SDK 'botocore'",
                   "imports the cloud module 'costctl.clouds.aws.idle' (go through costctl.providers.registry)",
                   "imports the cloud module 'costctl.clouds.aws.idle.scan' (go through costctl.providers.registry)",
                   "imports the cloud module 'costctl.clouds.gcp' (go through costctl.providers.registry)"]


def test_no_module_outside_clouds_imports_a_cloud_sdk_or_a_cloud_package() -> None:
    problems = []
    for path in cross_cloud_modules():
        for line, module in imported_names(ast.parse(path.read_text(), filename=str(path))):
            reason = violation(module)
            if reason:
                problems.append(f"{path.relative_to(ROOT)}:{line}: {reason}")
    assert not problems, "\n".join(sorted(set(problems)))


def test_only_the_registry_names_cloud_modules_in_strings() -> None:
    """``importlib.import_module("costctl.clouds.aws...")`` or a lazy-import table would bypass the rule."""
    problems = []
    for path in cross_cloud_modules():
        if path == REGISTRY:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and MODULE_PATH.fullmatch(node.value):
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert not problems, "\n".join(problems)


def test_each_cloud_package_imports_on_its_own_and_loads_no_sdk_until_used() -> None:
    probe = ("import sys\nimport costctl.clouds.aws, costctl.clouds.azure, costctl.clouds.gcp, costctl.clouds.files\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'azure', 'google')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("cloud", ["aws", "azure", "gcp", "files"])
def test_every_built_in_provider_lives_in_its_cloud_package(cloud: str) -> None:
    from costctl.providers import registry

    module, _, attr = registry.BUILTIN[cloud].partition(":")
    assert module == f"costctl.clouds.{cloud}.provider"
    assert getattr(importlib.import_module(module), attr) is registry.load(cloud)


def test_the_entry_points_in_pyproject_match_the_registry() -> None:
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    from costctl.providers import registry

    assert data["project"]["entry-points"]["costctl.providers"] == registry.BUILTIN


def test_no_cloud_named_module_is_left_in_the_cross_cloud_folders() -> None:
    """The old flat layout (providers/aws_*.py, idle/azure*.py, formats/gcp_*.py...) is gone, shims included."""
    left = [str(p.relative_to(ROOT)) for folder in ("providers", "idle", "formats")
            for p in (PACKAGE / folder).glob("*.py") if p.stem.split("_")[0] in ("aws", "azure", "gcp", "files")]
    assert left == []
