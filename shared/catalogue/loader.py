"""Read the catalogue data files: one office per `<office id>.yaml`.

The directory is the argument to `load_catalogue`, else the `SLRT_CATALOGUE_DIR`
environment variable, else `<repo root>/catalogue`. Every problem is reported as
`<file>: <field path>: <message>` in a `CatalogueError`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from shared.catalogue.messages import MessageCatalogue, build_messages
from shared.catalogue.model import Catalogue, CatalogueError, Office

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_VAR = "SLRT_CATALOGUE_DIR"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (a common editing slip)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"key {key!r} appears twice",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def default_catalogue_dir() -> Path:
    """`SLRT_CATALOGUE_DIR` if set, else `<repo root>/catalogue`."""
    configured = os.environ.get(ENV_VAR)
    return Path(configured) if configured else REPO_ROOT / "catalogue"


def _display(path: Path) -> str:
    """The path relative to the working directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def _read_yaml(path: Path, shown: str) -> Any:
    try:
        with path.open(encoding="utf-8") as stream:
            return yaml.load(stream, Loader=_StrictLoader)  # noqa: S506
    except OSError as exc:
        raise CatalogueError(f"{shown}: cannot read: {exc}", file=shown) from exc
    except yaml.YAMLError as exc:
        message = f"{shown}: not valid YAML: {' '.join(str(exc).split())}"
        raise CatalogueError(message, file=shown) from exc


def load_office_file(path: str | Path) -> Office:
    """Read and validate one office file; its stem must equal the office id."""
    path = Path(path)
    shown = _display(path)
    raw = _read_yaml(path, shown)
    if not isinstance(raw, dict):
        message = f"{shown}: (top level): expected a mapping with one office"
        raise CatalogueError(message, file=shown)
    try:
        office = Office.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"{shown}: {_field_path(error['loc'])}: {error['msg']}" for error in exc.errors()
        ]
        raise CatalogueError("\n".join(problems), file=shown, problems=problems) from exc
    if office.id != path.stem:
        message = f"{shown}: id: office id {office.id!r} differs from the file name {path.stem!r}"
        raise CatalogueError(message, file=shown)
    return office


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Load every `*.yaml` office file of the catalogue directory."""
    directory = Path(path) if path is not None else default_catalogue_dir()
    if not directory.is_dir():
        shown = _display(directory)
        raise CatalogueError(f"{shown}: catalogue directory not found", file=shown)
    offices: dict[str, Office] = {}
    origin: dict[str, str] = {}
    for file in sorted(directory.glob("*.yaml")):
        office = load_office_file(file)
        shown = _display(file)
        if office.id in offices:
            message = f"{shown}: id: office {office.id!r} is already defined in {origin[office.id]}"
            raise CatalogueError(message, file=shown)
        offices[office.id] = office
        origin[office.id] = shown
    if not offices:
        shown = _display(directory)
        raise CatalogueError(f"{shown}: no office files (*.yaml) found", file=shown)
    return Catalogue(offices=offices, messages=load_messages(directory, offices))


MESSAGES = "messages"
DEFAULT_MESSAGES = "default.yaml"


def load_messages(directory: Path, offices: dict[str, Office]) -> MessageCatalogue:
    """What citizens are told: `<directory>/messages/default.yaml` and each office's
    `<office id>.yaml` there (`shared.catalogue.messages`). A catalogue directory without
    a `messages/` folder of its own (a test's) uses the repository's."""
    folder = directory / MESSAGES
    borrowed = not (folder / DEFAULT_MESSAGES).is_file()
    if borrowed:
        folder = REPO_ROOT / "catalogue" / MESSAGES
    default = folder / DEFAULT_MESSAGES
    own = [
        (_display(f), f.stem, _read_yaml(f, _display(f)))
        for f in sorted(folder.glob("*.yaml"))
        if f.name != DEFAULT_MESSAGES and (not borrowed or f.stem in offices)
    ]
    return build_messages((_display(default), _read_yaml(default, _display(default))), own, offices)


@lru_cache(maxsize=1)
def default_messages() -> MessageCatalogue:
    """The repository's message catalogue (`catalogue/messages/`), for callers that are
    handed no catalogue (unit tests of a message's wording)."""
    messages = load_catalogue(REPO_ROOT / "catalogue").messages
    assert messages is not None  # load_catalogue always loads them
    return messages
