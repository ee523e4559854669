"""Parameter values made without pydantic, for the kinds of parameter deskterm has.

Typer (0.29, pinned in pyproject.toml) turns each value into its annotated type with a
pydantic TypeAdapter, and so imports pydantic on every command that takes an option:
about 0.2 s of CPU, as much as the rest of `deskterm case show` beyond SQLAlchemy.
deskterm's parameters are of three kinds only (tests/cli/test_bad_input.py keeps it so):
text, a flag, or a value read by one of the parsers of deskterm.cli.params (alone or
repeated). For those, the value is the text as typed or what the parser returns, which
is what the adapter would give; any other kind still goes through typer's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from typer import core
from typer._coercion import RuntimeParam, TypeDescriptor
from typer._coercion import build_runtime_param as typer_runtime_param

if TYPE_CHECKING:
    from typer._click import Context
    from typer.core import _TyperParameter


@dataclass(frozen=True)
class _Text(RuntimeParam):
    """Text as the shell gave it."""

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Context) -> Any:
        if isinstance(value, str):
            return value
        return _fallback(self, value, param, ctx)


@dataclass(frozen=True)
class _Flag(RuntimeParam):
    """A flag: already True or False."""

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Context) -> Any:
        if isinstance(value, bool):
            return value
        return _fallback(self, value, param, ctx)


@dataclass(frozen=True)
class _Parsed(RuntimeParam):
    """A value read by its parser (deskterm.cli.params), as the adapter would call it."""

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Context) -> Any:
        parser = self.parameter_info.parser
        assert parser is not None
        return parser(value)


@dataclass(frozen=True)
class _ParsedEach(RuntimeParam):
    """A repeated option: each value read by its parser."""

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Context) -> Any:
        parser = self.parameter_info.parser
        assert parser is not None
        items = value if isinstance(value, (list, tuple)) else [value]
        return [parser(item) for item in items]


def _fallback(light: RuntimeParam, value: Any, param: _TyperParameter, ctx: Context) -> Any:
    descriptor = TypeDescriptor(light.annotation, light.parameter_info, None)
    return typer_runtime_param(descriptor)._coerce_value(value, param, ctx)


def runtime_param(descriptor: TypeDescriptor) -> RuntimeParam:
    """The coercion of one parameter: deskterm's light one where it applies, else typer's."""
    info, annotation = descriptor.parameter_info, descriptor.annotation
    if descriptor.is_file or descriptor.is_tuple or descriptor.is_choice:
        return typer_runtime_param(descriptor)
    if info.parser is not None:
        kind = _ParsedEach if descriptor.is_list else _Parsed
        return kind(parameter_info=info, annotation=annotation)
    if annotation is str:
        return _Text(parameter_info=info, annotation=annotation)
    if annotation is bool:
        return _Flag(parameter_info=info, annotation=annotation)
    return typer_runtime_param(descriptor)


def install() -> None:
    """Use `runtime_param` for every parameter of the command tree (typer asks lazily,
    when a parameter first gets a value)."""
    core.build_runtime_param = runtime_param  # type: ignore[attr-defined]  # typer.core imports it unexported; rebinding it is the point
