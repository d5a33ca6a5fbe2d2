"""Masking of names for displays and logs: 张三明 -> 张*明, Li Wei -> L*i."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """Keep the first and last character, hide the middle; two characters keep the first."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
