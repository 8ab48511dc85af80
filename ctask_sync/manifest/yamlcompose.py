"""PyYAML's side of yamlpos.load: compose a document and walk its nodes into plain values and
positions (see yamlpos.py). Imported on the first load only (start-up)."""

from __future__ import annotations

from typing import Any

import yaml

from ctask_sync.manifest.yamlpos import MAX_DEPTH, Document, Path_, Pos, YamlProblem
from ctask_sync.yamldepth import shallow


def _pos(mark: yaml.Mark | None) -> Pos | None:
    return Pos(mark.line + 1, mark.column + 1) if mark is not None else None


class _Loader(yaml.SafeLoader):
    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.get_event()  # type: ignore[no-untyped-call]
            raise YamlProblem(
                "YAML aliases (*name) are not supported in ctask.yaml: write the value out",
                _pos(event.start_mark),
            )
        if self.depth >= MAX_DEPTH:
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise YamlProblem(
                f"the YAML nests more than {MAX_DEPTH} levels deep: "
                "no manifest needs that many; flatten the value",
                _pos(event.start_mark),
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _syntax_message(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or "invalid YAML"
    if "'\\t'" in problem:
        return "tab character: YAML indents with spaces, not tabs"
    text = f"YAML syntax error: {problem}"
    if exc.context and exc.context_mark is not None and exc.context_mark != exc.problem_mark:
        line = exc.context_mark.line + 1
        text += f" ({exc.context} at line {line})"
    return text


def _offset_pos(text: str, offset: int) -> Pos:
    line = text.count("\n", 0, offset) + 1
    return Pos(line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


def _reader_message(exc: yaml.reader.ReaderError) -> str:
    char = exc.character
    code = ord(char) if isinstance(char, str) else int(char)
    return f"control character U+{code:04X} is not allowed in YAML: remove it"


class _SharedNode(Exception):
    """The C composer resolved an alias into a shared node, or nests deeper than the Python
    loader allows: redo with the Python loader, whose messages (and depth cap) users see."""


# libyaml's composer is ~10x faster than PyYAML's (validating 10,000 manifests, issue 17). It is
# used only for printable text that it composes without error and without aliases; anything
# else goes through the Python loader, whose messages and positions are the ones users see.
_CSafeLoader: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)


def load(text: str) -> Document:
    """yamlpos.load: the fast C composer when it can, else the Python loader."""
    if (
        _CSafeLoader is not None
        and shallow(text)
        and not yaml.reader.Reader.NON_PRINTABLE.search(text)
    ):
        fast = _load_fast(text, _CSafeLoader)
        if fast is not None:
            return fast
    return _load_python(text)


def _load_fast(text: str, loader_class: type[yaml.SafeLoader]) -> Document | None:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        doc = Document(value=None)
        if node is not None:
            doc.value = _convert(node, (), doc, loader, set())
    except (yaml.YAMLError, _SharedNode):
        return None
    finally:
        loader.dispose()
    return doc


def _load_python(text: str) -> Document:
    try:
        # The reader rejects control characters as soon as it is built, hence inside the try.
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        raise YamlProblem(_reader_message(exc), _offset_pos(text, exc.position)) from None
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlProblem(_syntax_message(exc), _pos(mark)) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML error: {exc}", None) from None
    finally:
        loader.dispose()
    doc = Document(value=None)
    if node is not None:
        doc.value = _convert(node, (), doc, loader, set())
    return doc


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def _convert(
    node: yaml.Node, path: Path_, doc: Document, loader: yaml.SafeLoader, seen: set[int]
) -> Any:
    if id(node) in seen or len(path) >= MAX_DEPTH:
        raise _SharedNode
    seen.add(id(node))
    pos = _pos(node.start_mark)
    if pos is not None:
        doc.values[path] = pos
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
        # Explicit tags (!!python/object/apply:...) are code or custom types, never data.
        doc.problems.append(YamlProblem(f"unsupported YAML tag '{node.tag}'", pos))
        doc.bad_values.add(path)
        return None
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        first_seen: dict[str, Pos | None] = {}
        for key_node, value_node in node.value:
            if id(key_node) in seen:
                raise _SharedNode
            seen.add(id(key_node))
            key_pos = _pos(key_node.start_mark)
            if (
                not isinstance(key_node, yaml.ScalarNode)
                or key_node.tag == "tag:yaml.org,2002:merge"
            ):
                doc.problems.append(YamlProblem("mapping keys must be plain text", key_pos))
                continue
            # The key's own text, so `on:`, `yes:` or `1:` stay the strings the user wrote.
            key = str(key_node.value)
            if key in first_seen:
                earlier = first_seen[key]
                where = f" (first at line {earlier.line})" if earlier else ""
                doc.problems.append(YamlProblem(f"duplicate key '{key}'{where}", key_pos))
                continue
            first_seen[key] = key_pos
            child = (*path, key)
            if key_pos is not None:
                doc.keys[child] = key_pos
            out[key] = _convert(value_node, child, doc, loader, seen)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), doc, loader, seen) for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        doc.problems.append(YamlProblem(f"cannot read this value: {problem}", pos))
        doc.bad_values.add(path)
        return None
