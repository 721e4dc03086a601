"""Probes used by the hidden checks of assignment 04 (see :mod:`tl_helpers.grading.probes`).

Classes need ``get_state()``, ``set_state(state)`` and ``from_state(state)`` (plain data);
functions take and return plain data (or objects that stay in the kernel).
"""

from __future__ import annotations

__all__: list[str] = []
