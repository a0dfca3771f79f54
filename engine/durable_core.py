"""The only module that imports durable-rules; it owns that library's hazards (2.0.28, measured here).

We drive the C extension `durable_rules_engine` directly: no `durable.lang`, no global `Host`, no timer
thread. What each hazard asks of us, and where it is handled:

- at most 1,024 live sessions per rule set, then `MemoryError` and a crash: every evaluation deletes its
  session before returning, so at most one is ever live;
- deleting a session in which no rule fired frees an uninitialised pointer (segfault): every compiled
  rule set has a sentinel rule that matches every application fact, and we check it fired before deleting;
- `Host` timer threads segfault once two sessions are live: we never create a Host;
- distinct session ids can collide in its 32-bit hash and share state: one live session per rule set,
  behind a lock, always with the same id, deleted before the lock is released;
- it coerces types silently (`"abc" >= 5` is true, `1 == true`): the compiler types every field and the
  evaluator only ever asserts numbers into numeric fields and strings into choice fields;
- it rejects floats written as `1e-05`: numbers are encoded in plain decimal by `encode_number`;
- about 253 properties per object: facts are split into chunks of at most `MAX_FIELDS_PER_FACT`;
- a rule on an absent field alone loops forever: every condition is guarded by the fact's type tag;
- a posted event fires one rule only: we assert facts, so every matching rule fires;
- rule-set names cannot be registered twice: each compiled rule set gets a process-unique name;
- exceptions raised in actions are swallowed into state: we run no Python actions inside durable at all,
  we only read which rules fired, and every error code of the C API is raised as `DurableError`;
- the GIL is held throughout: parallel evaluation uses processes (see `engine.parallel`), not threads.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import durable_rules_engine as _dre

__all__ = ["DurableError", "DurableRuleSet", "MAX_FIELDS_PER_FACT", "SENTINEL", "encode_number", "live_rulesets"]

MAX_FIELDS_PER_FACT = 200
SENTINEL = "zz_sentinel"
_SESSION = "s"
_names = itertools.count()
_live: set[str] = set()
_live_lock = threading.Lock()


class DurableError(RuntimeError):
    """durable-rules refused an operation; the message says which and with what code."""


def encode_number(value: float) -> str:
    """JSON number text durable accepts: plain decimal, never exponent notation, never NaN/inf."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"not a number: {value!r}")
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ValueError(f"durable-rules cannot hold a non-finite number: {value!r}")
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(value, ".20f").rstrip("0")
        if text.endswith("."):
            text += "0"
    return text


def _encode_value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return encode_number(value)


def live_rulesets() -> int:
    with _live_lock:
        return len(_live)


class DurableRuleSet:
    """One durable-rules rule set: `fire(fields)` asserts an application's fields and returns the names of
    the rules that fired (without the sentinel).

    `rules` maps a rule name to its condition on one fact (durable's expression language: `$and`, `$or`,
    `$lte`, ...). The compiler chose the names; field names are those used in the conditions. Conditions
    must name fields of one chunk only; `chunk_of` says which chunk a field is in.
    """

    def __init__(self, label: str, rules: Mapping[str, dict[str, Any]], chunk_of: Mapping[str, int]):
        self.name = f"gc{next(_names)}_{os.getpid()}_{label}"[:100]
        self.chunk_count = max(chunk_of.values(), default=0) + 1
        self._chunk_of = dict(chunk_of)
        definition: dict[str, Any] = {}
        for rule_name, condition in rules.items():
            chunk = self._condition_chunk(condition)
            definition[rule_name] = {"all": [{"m": {"$and": [{"t": f"a{chunk}"}, condition]}}]}
        definition[SENTINEL] = {"all": [{"m": {"t": "a0"}}]}
        self.rule_count = len(rules)
        self._lock = threading.Lock()
        try:
            self._handle = _dre.create_ruleset(self.name, json.dumps(definition, ensure_ascii=False))
        except _dre.error as e:
            raise DurableError(f"durable-rules refused rule set `{label}`: {e}") from e
        with _live_lock:
            _live.add(self.name)
        self._closed = False

    def _condition_chunk(self, condition: Any) -> int:
        chunks = {self._chunk_of[f] for f in _fields(condition) if f in self._chunk_of}
        if len(chunks) > 1:
            raise DurableError("a condition spans fields of several facts")
        return chunks.pop() if chunks else 0

    def encode(self, fields: Mapping[str, Any]) -> str:
        """The facts for one evaluation, as the JSON text durable parses (numbers in plain decimal)."""
        parts: list[list[str]] = [[] for _ in range(self.chunk_count)]
        chunk_of = self._chunk_of
        for key, value in fields.items():
            parts[chunk_of[key]].append(f'"{key}":{_encode_value(value)}')
        facts = []
        for i, items in enumerate(parts):
            head = f'"sid":"{_SESSION}","id":"f{i}","t":"a{i}"'
            facts.append("{" + ",".join([head, *items]) + "}")
        return "[" + ",".join(facts) + "]"

    def fire(self, fields: Mapping[str, Any]) -> set[str]:
        payload = self.encode(fields)
        return self.fire_encoded(payload)

    def fire_encoded(self, payload: str) -> set[str]:
        fired: set[str] = set()
        with self._lock:
            if self._closed:
                raise DurableError(f"rule set `{self.name}` is closed")
            handle = self._handle
            try:
                _dre.assert_facts(handle, payload)
                result = _dre.start_action(handle)
                if result is not None:
                    state_offset = result[2]
                    message: str | None = result[1]
                    while message:
                        # a message is {"rule_name":{"m":{...}}}: the name is the first key
                        fired.add(message[2:message.index('"', 2)])
                        message = _dre.complete_and_start_action(handle, state_offset)
            except _dre.error as e:
                raise DurableError(f"durable-rules failed to evaluate: {e}") from e
            finally:
                if SENTINEL in fired:
                    _dre.delete_state(handle, _SESSION)
                else:  # pragma: no cover - the sentinel always matches a well-formed payload
                    # deleting a session where nothing fired would segfault: retract instead and fail loudly
                    self._closed = True
            if SENTINEL not in fired:  # pragma: no cover
                raise DurableError("the sentinel rule did not fire; the rule set was closed to stay safe")
        fired.discard(SENTINEL)
        return fired

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                try:
                    _dre.delete_ruleset(self._handle)
                except _dre.error:  # pragma: no cover
                    pass
                with _live_lock:
                    _live.discard(self.name)

    def __del__(self) -> None:  # pragma: no cover - best effort at interpreter exit
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass


def _fields(condition: Any) -> Sequence[str]:
    out: list[str] = []
    if isinstance(condition, dict):
        for key, value in condition.items():
            if key in ("$and", "$or"):
                for c in value:
                    out.extend(_fields(c))
            elif key.startswith("$"):
                out.extend(value.keys() if isinstance(value, dict) else [])
            else:
                out.append(key)
    return out
