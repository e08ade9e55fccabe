"""The ministry co-participation network and the persons-forums network, built from query rows, and their
serialisations (JSON, GraphML, GEXF 1.3, a CSV edge list). Nothing here knows HTTP: :mod:`ruhrkg.server.web.network`
serves them.

- Ministries: ministries as nodes, an edge between two ministries weighted by the number of forums they share.
  ``mode=all``: both led or took part in the forum (as the saved query ``ministry-co-participation``);
  ``mode=lead``: one of them led the forum and the other took part, i.e. the edges run from each forum's lead
  ministry to each of its participating ministries, and two ministries that merely took part together are not
  joined. Interested ministries ("MWIDE ist interessiert") never count; units such as Stk/Sport count as their
  ministry.
- Persons: bipartite, persons and forums, an edge for each moderation (weight 1).

The builders take ``select(name)``, which returns the rows (``{variable: value}``) of the query
``graph/rq/NAME.rq`` (``network-ministries``, ``network-persons``) on the current build, and ``href(iri)``, the
link to an entity's page.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations

from ruhrkg.mappings.vocab import ID

Select = Callable[[str], list[dict[str, str]]]
Href = Callable[[str], str]

KINDS = ("ministries", "persons")
MODES = {"ministries": ("all", "lead"), "persons": ("moderation",)}
EDGE_SEPARATOR = "~"
GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
GEXF_NS = "http://gexf.net/1.3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
#: The download formats and their media types.
DOWNLOADS = {
    "json": "application/json",
    "graphml": "application/graphml+xml; charset=utf-8",
    "gexf": "application/gexf+xml; charset=utf-8",
    "csv": "text/csv; charset=utf-8; header=present",
}

DEFINITIONS = {
    ("ministries", "all"): {
        "de": "Alle Beteiligungen: Eine Kante verbindet zwei Ressorts, die federführend oder beteiligt im selben "
        "Themenforum mitwirkten; ihr Gewicht ist die Zahl solcher Foren (wie in der gespeicherten Abfrage "
        "ministry-co-participation). Interessierte Ressorts zählen nicht; Einheiten wie Stk/Sport zählen als "
        "ihr Ressort.",
        "en": "All participation: an edge joins two ministries that led or took part in the same forum; its weight "
        "is the number of such forums (as in the saved query ministry-co-participation). Interested ministries "
        "do not count; units such as Stk/Sport count as their ministry.",
    },
    ("ministries", "lead"): {
        "de": "Nur Federführung: Eine Kante verbindet das federführende Ressort eines Themenforums mit jedem daran "
        "beteiligten Ressort; ihr Gewicht ist die Zahl der Foren, in denen eines der beiden federführend war und "
        "das andere beteiligt. Zwei nur beteiligte Ressorts sind nicht verbunden.",
        "en": "Lead only: an edge joins a forum's lead ministry with each ministry taking part in it; its weight is "
        "the number of forums in which one of the two led and the other took part. Two ministries that merely "
        "took part together are not joined.",
    },
    ("persons", "moderation"): {
        "de": "Personen und Themenforen: Eine Kante verbindet eine Person mit jedem Themenforum, das sie moderiert "
        "hat (mit Funktion und vertretener Organisation, wie gedruckt).",
        "en": "Persons and forums: an edge joins a person with each forum they moderated (with the position and the "
        "organisation represented, as printed).",
    },
}
MODE_NAMES = {
    "all": {"de": "Alle Beteiligungen", "en": "All participation"},
    "lead": {"de": "Nur Federführung", "en": "Lead only"},
    "moderation": {"de": "Moderation", "en": "Moderation"},
}


# --------------------------------------------------------------------------- the networks


@dataclass
class Network:
    """Nodes and weighted, undirected edges, with the forums they refer to (numbers -> forum records)."""

    kind: str
    mode: str
    nodes: dict[str, dict] = field(default_factory=dict)
    edges: dict[str, dict] = field(default_factory=dict)
    forums: dict[int, dict] = field(default_factory=dict)
    #: exported attributes: (name, GraphML type, GEXF type), values taken from node/edge ``attrs``
    node_attributes: tuple[tuple[str, str, str], ...] = ()
    edge_attributes: tuple[tuple[str, str, str], ...] = ()

    def edge_id(self, a: str, b: str) -> str:
        return EDGE_SEPARATOR.join(sorted((a, b)))

    def resolve(self, focus: str | None) -> tuple[str | None, str | None]:
        """(``"node"``/``"edge"``/None, the normalised id) for a ``focus=`` value; unknown ids give (None, None)."""
        if not focus:
            return None, None
        if EDGE_SEPARATOR in focus:
            a, _, b = focus.partition(EDGE_SEPARATOR)
            eid = self.edge_id(a.strip(), b.strip())
            return ("edge", eid) if eid in self.edges else (None, None)
        return ("node", focus) if focus in self.nodes else (None, None)


def _curie(iri: str) -> str:
    """``https://w3id.org/ruhrkg/id/person/x`` -> ``person:x`` (the prefixes of :data:`PREFIXES`)."""
    kind, _, key = iri[len(ID) :].partition("/")
    return f"{kind}:{key}"


def _forum(number: int, iri: str, title: str, href: Href) -> dict:
    return {"number": number, "key": f"{number:02d}", "title": title, "iri": iri, "url": href(iri)}


MINISTRY_NODE_ATTRIBUTES = (
    ("label", "string", "string"),
    ("name_de", "string", "string"),
    ("name_en", "string", "string"),
    ("iri", "string", "string"),
    ("forums_led", "string", "string"),
    ("forums_participating", "string", "string"),
    ("forum_count", "int", "integer"),
)
PERSON_NODE_ATTRIBUTES = (
    ("label", "string", "string"),
    ("kind", "string", "string"),
    ("iri", "string", "string"),
    ("title", "string", "string"),
    ("lead_ministry", "string", "string"),
    ("forum_count", "int", "integer"),
)
EDGE_ATTRIBUTES = (("weight", "double", None), ("forums", "string", "string"))
PERSON_EDGE_ATTRIBUTES = (*EDGE_ATTRIBUTES, ("position", "string", "string"), ("organization", "string", "string"))


def ministry_network(mode: str, select: Select, href: Href) -> Network:
    """The ministry network for ``mode`` (``all`` or ``lead``), see the module docstring; ``select(name)`` gives
    the rows of ``graph/rq/NAME.rq``, ``href(iri)`` the link to an entity's page."""
    net = Network("ministries", mode, node_attributes=MINISTRY_NODE_ATTRIBUTES, edge_attributes=EDGE_ATTRIBUTES)
    members = _ministries(net, select("network-ministries"), href)
    for number, roles in sorted(members.items()):
        if mode == "all":
            pairs = combinations(sorted(roles["lead"] | roles["participating"]), 2)
        else:
            pairs = ((lead, other) for lead in roles["lead"] for other in roles["participating"] if other != lead)
        for a, b in pairs:
            eid = net.edge_id(a, b)
            source, target = eid.split(EDGE_SEPARATOR)
            edge = net.edges.setdefault(eid, {"id": eid, "source": source, "target": target, "forums": []})
            if number not in edge["forums"]:
                edge["forums"].append(number)
    net.nodes = dict(sorted(net.nodes.items()))
    _finish(net)
    for node in net.nodes.values():
        node["forums"] = sorted(set(node["lead"]) | set(node["participating"]))
        node["attrs"] = {"label": node["label"], "name_de": node["names"]["de"], "name_en": node["names"]["en"],
                         "iri": node["iri"], "forums_led": _numbers(node["lead"]),
                         "forums_participating": _numbers(node["participating"]),
                         "forum_count": len(node["forums"])}  # fmt: skip
    return net


def _ministries(net: Network, rows: list[dict[str, str]], href: Href) -> dict[int, dict[str, set[str]]]:
    """The forums and ministry nodes of ``rows`` added to ``net``; the ministries of each forum by role."""
    members: dict[int, dict[str, set[str]]] = {}
    seen: set[tuple] = set()
    for row in rows:
        number, code, role = int(row["number"]), row["code"], row["role"]
        if (number, code, role) in seen:  # a second label or title gives a second row
            continue
        seen.add((number, code, role))
        if number not in net.forums:
            net.forums[number] = _forum(number, row["forum"], row["title"], href) | {"lead": []}
        node = net.nodes.setdefault(code, _ministry_node(row, href))
        node[role].append(number)
        if role == "lead":
            net.forums[number]["lead"].append(code)
        members.setdefault(number, {"lead": set(), "participating": set()})[role].add(code)
    return members


def _ministry_node(row: dict[str, str], href: Href) -> dict:
    code = row["code"]
    names = {"de": row.get("nameDe", code), "en": row.get("nameEn", row.get("nameDe", code))}
    return {"id": code, "label": code, "kind": "ministry", "names": names, "iri": row["ministry"],
            "url": href(row["ministry"]), "lead": [], "participating": []}  # fmt: skip


def person_network(select: Select, href: Href) -> Network:
    """Persons and forums, an edge per moderation (``select`` and ``href`` as for :func:`ministry_network`)."""
    net = Network("persons", "moderation", node_attributes=PERSON_NODE_ATTRIBUTES,
                  edge_attributes=PERSON_EDGE_ATTRIBUTES)  # fmt: skip
    persons: dict[str, dict] = {}
    for row in select("network-persons"):
        number, fid, pid = int(row["number"]), _curie(row["forum"]), _curie(row["person"])
        if number not in net.forums:
            lead = [row["lead"]] if "lead" in row else []
            net.forums[number] = _forum(number, row["forum"], row["title"], href) | {"lead": lead}
            net.nodes[fid] = _forum_node(number, row, href)
        eid = net.edge_id(pid, fid)
        if eid in net.edges:  # a second label or title gives a second row
            continue
        persons.setdefault(pid, _person_node(pid, row, href))["forums"].append(number)
        net.edges[eid] = {"id": eid, "source": pid, "target": fid, "forums": [number],
                          "position": row.get("position", ""), "organization": row.get("organization", "")}  # fmt: skip
    net.nodes = dict(sorted(net.nodes.items(), key=lambda kv: kv[1]["forums"][0])) | dict(
        sorted(persons.items(), key=lambda kv: kv[1]["label"])
    )
    _finish(net)
    for node in net.nodes.values():
        node["attrs"] = {"label": node["label"] if node["kind"] == "person" else node["names"]["de"],
                         "kind": node["kind"], "iri": node["iri"], "title": node.get("title", ""),
                         "lead_ministry": node.get("lead_ministry", ""), "forum_count": len(node["forums"])}  # fmt: skip
    for edge in net.edges.values():
        edge["attrs"]["position"] = edge["position"]
        edge["attrs"]["organization"] = edge["organization"]
    return net


def _forum_node(number: int, row: dict[str, str], href: Href) -> dict:
    names = {"de": f"Themenforum {number:02d}", "en": f"Thematic forum {number:02d}"}
    return {"id": _curie(row["forum"]), "label": f"{number:02d}", "kind": "forum", "names": names,
            "title": row["title"], "iri": row["forum"], "url": href(row["forum"]), "forums": [number],
            "lead_ministry": row.get("lead", "")}  # fmt: skip


def _person_node(pid: str, row: dict[str, str], href: Href) -> dict:
    return {"id": pid, "label": row["name"], "kind": "person", "names": {"de": row["name"], "en": row["name"]},
            "iri": row["person"], "url": href(row["person"]), "forums": []}  # fmt: skip


def _numbers(numbers) -> str:
    return ";".join(str(n) for n in sorted(numbers))


def _finish(net: Network) -> None:
    """Weights, edge order (heaviest first, then by ids), degrees."""
    for edge in net.edges.values():
        edge["forums"].sort()
        edge["weight"] = len(edge["forums"])
        edge["attrs"] = {"weight": float(edge["weight"]), "forums": _numbers(edge["forums"])}
    net.edges = dict(sorted(net.edges.items(), key=lambda kv: (-kv[1]["weight"], kv[1]["source"], kv[1]["target"])))
    for node in net.nodes.values():
        node["degree"] = node["strength"] = 0
    for edge in net.edges.values():
        for end in (edge["source"], edge["target"]):
            net.nodes[end]["degree"] += 1
            net.nodes[end]["strength"] += edge["weight"]


# --------------------------------------------------------------------------- serialisations


def as_json(net: Network, *, version: str, downloads: dict[str, str]) -> dict:
    """The network as a JSON document (language-independent), with the dataset ``version`` and the URLs of the
    ``downloads`` by format."""

    def public(item: dict) -> dict:
        return {k: v for k, v in item.items() if k != "attrs"}

    return {
        "network": net.kind,
        "mode": net.mode,
        "modes": {m: {"name": MODE_NAMES[m], "definition": DEFINITIONS[(net.kind, m)]} for m in MODES[net.kind]},
        "version": version,
        "nodes": [public(n) for n in net.nodes.values()],
        "edges": [public(e) for e in net.edges.values()],
        "forums": {str(n): f for n, f in sorted(net.forums.items())},
        "downloads": downloads,
    }


def as_graphml(net: Network) -> bytes:
    ET.register_namespace("", GRAPHML_NS)
    ET.register_namespace("xsi", XSI_NS)
    root = ET.Element(
        f"{{{GRAPHML_NS}}}graphml",
        {f"{{{XSI_NS}}}schemaLocation": f"{GRAPHML_NS} http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd"},
    )
    for scope, attributes in (("node", net.node_attributes), ("edge", net.edge_attributes)):
        for name, gtype, _ in attributes:
            ET.SubElement(
                root,
                f"{{{GRAPHML_NS}}}key",
                {"id": f"{scope[0]}_{name}", "for": scope, "attr.name": name, "attr.type": gtype},
            )
    graph = ET.SubElement(
        root, f"{{{GRAPHML_NS}}}graph", {"id": f"ruhrkg-{net.kind}-{net.mode}", "edgedefault": "undirected"}
    )
    for node in net.nodes.values():
        el = ET.SubElement(graph, f"{{{GRAPHML_NS}}}node", {"id": node["id"]})
        _graphml_data(el, "n", net.node_attributes, node["attrs"])
    for edge in net.edges.values():
        el = ET.SubElement(
            graph, f"{{{GRAPHML_NS}}}edge", {"id": edge["id"], "source": edge["source"], "target": edge["target"]}
        )
        _graphml_data(el, "e", net.edge_attributes, edge["attrs"])
    return _xml(root)


def _graphml_data(el: ET.Element, scope: str, attributes, values: dict) -> None:
    for name, _, _ in attributes:
        value = values.get(name)
        if value not in (None, ""):
            ET.SubElement(el, f"{{{GRAPHML_NS}}}data", {"key": f"{scope}_{name}"}).text = str(value)


def as_gexf(net: Network, *, version: str, built: str) -> bytes:
    """GEXF 1.3 (Gephi's native format); the edge weight is GEXF's own ``weight``. ``version`` and ``built`` (an
    ISO date) go into its metadata."""
    ET.register_namespace("", GEXF_NS)
    ET.register_namespace("xsi", XSI_NS)
    root = ET.Element(
        f"{{{GEXF_NS}}}gexf",
        {"version": "1.3", f"{{{XSI_NS}}}schemaLocation": f"{GEXF_NS} http://gexf.net/1.3/gexf.xsd"},
    )
    meta = ET.SubElement(root, f"{{{GEXF_NS}}}meta", {"lastmodifieddate": built[:10]})
    ET.SubElement(meta, f"{{{GEXF_NS}}}creator").text = f"ruhrkg {version}"
    ET.SubElement(meta, f"{{{GEXF_NS}}}keywords").text = "Ruhr-Konferenz, Themenforen, " + net.kind
    ET.SubElement(meta, f"{{{GEXF_NS}}}description").text = DEFINITIONS[(net.kind, net.mode)]["en"]
    graph = ET.SubElement(root, f"{{{GEXF_NS}}}graph", {"defaultedgetype": "undirected", "mode": "static"})
    for scope, attributes in (("node", net.node_attributes), ("edge", net.edge_attributes)):
        attrs = ET.SubElement(graph, f"{{{GEXF_NS}}}attributes", {"class": scope, "mode": "static"})
        for name, _, xtype in attributes:
            if xtype and name != "label":
                ET.SubElement(attrs, f"{{{GEXF_NS}}}attribute", {"id": name, "title": name, "type": xtype})
    nodes = ET.SubElement(graph, f"{{{GEXF_NS}}}nodes")
    for node in net.nodes.values():
        el = ET.SubElement(nodes, f"{{{GEXF_NS}}}node", {"id": node["id"], "label": str(node["attrs"]["label"])})
        _gexf_values(el, net.node_attributes, node["attrs"])
    edges = ET.SubElement(graph, f"{{{GEXF_NS}}}edges")
    for edge in net.edges.values():
        el = ET.SubElement(
            edges,
            f"{{{GEXF_NS}}}edge",
            {
                "id": edge["id"],
                "source": edge["source"],
                "target": edge["target"],
                "weight": str(float(edge["weight"])),
            },
        )
        _gexf_values(el, net.edge_attributes, edge["attrs"])
    return _xml(root)


def _gexf_values(el: ET.Element, attributes, values: dict) -> None:
    present = [(n, values.get(n)) for n, _, xtype in attributes if xtype and n != "label"]
    present = [(n, v) for n, v in present if v not in (None, "")]
    if present:
        box = ET.SubElement(el, f"{{{GEXF_NS}}}attvalues")
        for name, value in present:
            ET.SubElement(box, f"{{{GEXF_NS}}}attvalue", {"for": name, "value": str(value)})


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def as_csv(net: Network) -> bytes:
    """An edge list: ``Source,Target,Weight,Forums`` (forum numbers separated by ``;``), plus edge attributes."""
    extra = [name for name, _, _ in net.edge_attributes if name not in ("weight", "forums")]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Source", "Target", "Weight", "Forums", *(name.capitalize() for name in extra)])
    for edge in net.edges.values():
        writer.writerow(
            [
                edge["source"],
                edge["target"],
                edge["weight"],
                _numbers(edge["forums"]),
                *(edge["attrs"][n] for n in extra),
            ]
        )
    return out.getvalue().encode("utf-8")


