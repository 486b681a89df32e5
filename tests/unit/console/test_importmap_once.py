"""The page's import map is declared by the first console component of a document only
(console.map.FqComponent): es-module-shims rejects a second declaration of ``fq/`` as an
override, which Panel logged as a console warning for every later component."""

from __future__ import annotations

from bokeh.document import Document

from console.map import IMPORTMAP, LeafletMap
from console.pages.home import AddressSearch, TerritoryStats


def _importmap(component: object, doc: Document) -> object:
    model = component.get_root(doc)  # type: ignore[attr-defined]
    return model.importmap


def test_only_the_first_component_of_a_document_declares_the_import_map() -> None:
    doc = Document()
    first = _importmap(LeafletMap(), doc)
    assert first == IMPORTMAP
    assert _importmap(TerritoryStats(), doc) == {}
    assert _importmap(AddressSearch(), doc) == {}
    assert _importmap(LeafletMap(), Document()) == IMPORTMAP  # another page declares its own
