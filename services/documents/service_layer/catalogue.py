"""The catalogue this process serves, loaded once (it is versioned data, not state)."""

from __future__ import annotations

from functools import lru_cache

from shared.catalogue import Catalogue, load_catalogue
from shared.settings import get_settings


@lru_cache(maxsize=1)
def get_catalogue() -> Catalogue:
    return load_catalogue(get_settings().slrt_catalogue_dir)
