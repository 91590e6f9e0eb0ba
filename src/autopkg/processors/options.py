"""Processor options: what a job body may set for one processor, validated and canonical.

A processor declares a pydantic model (``Processor.options_model``, a
:class:`~autopkg.domain.options.ProcessorOptions`); one without options accepts none.
Options are stored, compared and recorded in ``autopkg:inputs`` in their canonical
form: the validated model without its defaults, so a request that spells out every
default is the same request as one that gives no options.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar, get_args

from pydantic import Field, ValidationError, ValidationInfo, field_validator

from autopkg.domain.options import ProcessorOptions
from autopkg.errors import UnprocessableError

T = TypeVar("T")


def canonical_options(
    processor_id: str, model: type[ProcessorOptions], raw: Mapping[str, Any]
) -> dict[str, Any]:
    """Validate ``raw`` options of ``processor_id`` and return their canonical form.

    Raises:
        UnprocessableError: naming the processor and the first bad field.
    """
    try:
        parsed = model.model_validate(dict(raw))
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "options"
        raise UnprocessableError(f"options of {processor_id}: {field}: {error['msg']}") from None
    return parsed.model_dump(mode="json", exclude_defaults=True)


def ordered(chosen: Iterable[T], allowed: tuple[T, ...], *, what: str) -> tuple[T, ...]:
    """Return the ``chosen`` subset of ``allowed`` in ``allowed``'s order, once each.

    Selections are kept in one order so that the same choice always has the same
    canonical form (and so dedups with an earlier request).

    Raises:
        ValueError: ``chosen`` is empty or holds a value not in ``allowed``.
    """
    picked = set(chosen)
    unknown = picked - set(allowed)
    if unknown:
        shown = ", ".join(sorted(str(value) for value in unknown))
        raise ValueError(f"unknown {what}: {shown}; choose from {list(allowed)}")
    if not picked:
        raise ValueError(f"choose at least one {what}")
    return tuple(value for value in allowed if value in picked)


class Selections(ProcessorOptions):
    """Options whose every field chooses a subset of a fixed list: the field's default.

    Each field's value is kept in its default's order, once each (:func:`ordered`), and
    a value outside it, or no value, is refused naming the field in the singular
    (``return_periods``: "unknown return period: 7").
    """

    @field_validator("*")
    @classmethod
    def _in_default_order(cls, value: tuple[Any, ...], info: ValidationInfo) -> tuple[Any, ...]:
        name = str(info.field_name)
        allowed: tuple[Any, ...] = cls.model_fields[name].default
        return ordered(value, allowed, what=name.removesuffix("s").replace("_", " "))


def every(choices: Any, description: str) -> Any:
    """A :class:`Selections` field over the values of the ``Literal`` ``choices``, all by default.

    ``variables: tuple[Variable, ...] = every(Variable, "…")``: the values are stated
    once, in the ``Literal``, and the default keeps their order.
    """
    return Field(get_args(choices), description=description)
