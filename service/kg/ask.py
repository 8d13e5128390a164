"""Ask a named question: resolve each argument to one entity, bind it, run the query.

The one path from "compensators, muscle=glute med" to an answer. The web view, the gate's
comparison of answers before and after an extension, the tests and the benchmark all call it:
``resolve_arguments`` turns user-supplied values into entity IRIs (service.kg.labels), and ``ask``
runs the query with them bound as terms (never pasted into the text) over the asserted graphs,
since named queries report sourced claims.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from service.kg.catalog import MissingParameter, NamedQuery, Parameter
from service.kg.labels import AmbiguousEntity, EntityNotFound, LabelIndex


class UnknownParameters(ValueError):
    """Arguments named parameters the query does not have."""

    def __init__(self, query: NamedQuery, names: list[str]):
        self.query = query
        self.names = names
        super().__init__(f"query {query.name!r} has no parameter {', '.join(map(repr, names))}")


class UnresolvedArgument(LookupError):
    """One argument named no entity of an accepted type, or several; ``cause`` says which."""

    def __init__(self, parameter: Parameter, value: str, cause: EntityNotFound | AmbiguousEntity):
        self.parameter = parameter
        self.value = value
        self.cause = cause
        super().__init__(f"{parameter.name}: {cause}")


def resolve_arguments(query: NamedQuery, arguments: Mapping[str, str], index: LabelIndex,
                      ignored: Iterable[str] = ()) -> dict[str, str]:
    """Return each parameter's entity IRI, resolved from ``arguments`` (labels, synonyms, CURIEs, IRIs).

    Names in ``ignored`` are not parameters and are passed over (``format`` on the web). Raises
    UnknownParameters, MissingParameter or UnresolvedArgument.
    """
    unknown = sorted(set(arguments) - {p.name for p in query.parameters} - set(ignored))
    if unknown:
        raise UnknownParameters(query, unknown)
    iris: dict[str, str] = {}
    for parameter in query.parameters:
        value = (arguments.get(parameter.name) or "").strip()
        if not value:
            raise MissingParameter(query, parameter)
        try:
            iris[parameter.name] = index.resolve(value, parameter.type_iris or None).iri
        except (EntityNotFound, AmbiguousEntity) as err:
            raise UnresolvedArgument(parameter, value, err) from None
    return iris


def ask(kb, query: NamedQuery, arguments: Mapping[str, str]):
    """Answer a named query over a knowledge base's asserted graphs, in pyoxigraph's result shapes."""
    iris = resolve_arguments(query, arguments, kb.labels)
    return kb.store.query(query.text, substitutions=query.bind(iris) if iris else None)
