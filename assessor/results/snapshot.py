"""The read model: every number of one snapshot of a campaign's results, held as arrays.

A snapshot is what a publication freezes (and what an administrator's preview shows). It is
stored as one compressed numpy archive and answers questions about one organisation, a page
of organisations, a whole (organisation x measure) matrix, a group or a funnel by indexing
arrays, without building anything for organisations nobody asked about. Each edge (API
schema, Plotly figure, template) turns what it gets into its own shape.

Array layout: O organisations (sorted by code), M measures (overall, then each domain),
D domains x R rungs, I scored items, G = the three groupings. A value that is not shown is
NaN, with a non-zero reason code beside it.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# The read model's audience columns are the responses' audiences, in the same order.
from assessor.models.campaign import AUDIENCES

OVERALL = "overall"
RESULT_AUDIENCES = (*AUDIENCES, "combined")
GROUP_BYS = ("national", "region", "peer_group")
NATIONAL = "national"
BANDS = (None, "high_99.8", "high_95", "within", "low_95", "low_99.8")
BAND_CODE = {band: code for code, band in enumerate(BANDS)}
#: Arrays that only the next publication reads (the differencing rule's references).
REF = "ref."
#: Columns of a group's statistics array.
GROUP_FIELDS = ("n_orgs", "n_suppressed", "mean", "median", "q1", "q3", "min", "max")
#: Columns of a group's funnel array: sigma is the pooled respondent sd (staff and patient
#: leaders; NaN for combined, whose organisations carry their own se).
FUNNEL_FIELDS = ("target", "phi", "tau2", "sigma")


@dataclass(frozen=True)
class FunnelInputs:
    """What a funnel plot of one group, audience and measure needs."""

    codes: list[str]
    n: np.ndarray
    value: np.ndarray
    se: np.ndarray
    bands: list[str | None]
    target: float | None
    phi: float | None
    tau2: float | None


def _in_rows(name: str) -> bool:
    """Per-organisation arrays, stored a row per organisation in a publication; the rest
    (what selects, groups and counts organisations) is its head."""
    return not name.startswith((REF, "gid.", "grp.")) and name not in ("responses", "rate")


#: Per-organisation names stored in a publication's head as codes (`cat.<key>` arrays).
_CATEGORICAL = ("regions", "peer_groups")
_CATEGORY = "cat."
#: Per-organisation texts stored in a head as UTF-8 joined with offsets: one is read
#: without decoding the others, the whole list on first use.
_LISTS = ("orgs", "names")
_TEXT = "text."
_OFFSETS = "offsets."
_KEYS = "key.sorted"
_ORDER = "key.order"


class _LazyMeta(dict):  # type: ignore[type-arg]
    """A stored head's meta whose per-organisation lists are decoded when first read: a
    reader of one organisation never pays for the other 7,000."""

    def __init__(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        super().__init__(meta)
        self._sources: dict[str, Any] = {}
        for key in _LISTS:
            text, offsets = arrays.pop(f"{_TEXT}{key}"), arrays.pop(f"{_OFFSETS}{key}")
            self._sources[key] = (text.tobytes(), offsets)
        categories = self.pop("categories", {})
        for key, names in categories.items():
            self._sources[key] = (names, arrays.pop(f"{_CATEGORY}{key}"))

    def __missing__(self, key: str) -> Any:
        source = self._sources.get(key)
        if source is None:
            raise KeyError(key)
        first, second = source
        if isinstance(first, bytes):
            ends = second.tolist()
            value = [first[a:b].decode() for a, b in zip(ends[:-1], ends[1:], strict=True)]
        else:
            value = np.array(first, dtype=object)[second].tolist()
        self[key] = value
        return value

    def one(self, key: str, i: int) -> Any:
        """`self[key][i]`, without decoding the whole list when it is not decoded yet."""
        if dict.__contains__(self, key) or key not in self._sources:
            return self[key][i]
        first, second = self._sources[key]
        if isinstance(first, bytes):
            return first[int(second[i]) : int(second[i + 1])].decode()
        return first[int(second[i])]

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) or key in self._sources

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default  # noqa: SIM401 (dict.get skips __missing__)


#: Loads the stored rows of the given organisation indices.
RowLoader = Callable[[Sequence[int]], dict[int, bytes]]
_ROW_CACHE = 2048


@dataclass
class Snapshot:
    meta: dict[str, Any]
    arrays: dict[str, np.ndarray]
    #: Where the per-organisation rows of a stored publication come from; None when every
    #: array is in `arrays` (a snapshot just computed, or a preview).
    loader: RowLoader | None = None
    _index: dict[str, int] | None = field(default=None, repr=False)
    _code_array: np.ndarray | None = field(default=None, repr=False)
    _rows: dict[int, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)
    #: A stored head's organisation codes as sorted bytes, and their positions: finds one
    #: organisation without decoding every code.
    _sorted: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    @property
    def _codes(self) -> np.ndarray:
        if self._code_array is None:
            self._code_array = np.array(self.meta["orgs"], dtype=object)
        return self._code_array

    # ----------------------------------------------------------------- storage

    def to_bytes(self) -> bytes:
        """Everything readers read, in one archive (an administrators' preview)."""
        return self._archive({k: v for k, v in self.arrays.items() if not k.startswith(REF)})

    def head_to_bytes(self) -> bytes:
        """A publication's head: its meta, with the layout of its rows, and the arrays that
        select, group and count organisations."""
        layout = [
            [name, list(array.shape[1:]), array.dtype.str]
            for name, array in sorted(self.arrays.items())
            if _in_rows(name)
        ]
        head = {k: v for k, v in self.arrays.items() if not _in_rows(k) and not k.startswith(REF)}
        meta = {**self.meta, "layout": layout}
        # Each organisation's region and peer group as a code into the distinct names: a
        # cold reader then parses far less JSON (these lists were half the head).
        for key in _CATEGORICAL:
            values = meta.pop(key)
            names = list(dict.fromkeys(values))  # distinct, None included, in first-seen order
            code = {name: c for c, name in enumerate(names)}
            meta.setdefault("categories", {})[key] = names
            head[f"{_CATEGORY}{key}"] = np.array([code[v] for v in values], dtype=np.int32)
        # Codes and names are parsed only by readers of many organisations; one organisation
        # is found through the sorted codes.
        for key in _LISTS:
            encoded = [str(value).encode() for value in meta.pop(key)]
            head[f"{_TEXT}{key}"] = np.frombuffer(b"".join(encoded), np.uint8)
            head[f"{_OFFSETS}{key}"] = np.cumsum([0, *map(len, encoded)], dtype=np.int64)
        codes = np.array([code.encode() for code in self.orgs], dtype=bytes)
        order = np.argsort(codes, kind="stable")
        head[_KEYS] = codes[order]
        head[_ORDER] = order.astype(np.int32)
        return _pack(head, meta)

    def rows_to_bytes(self) -> list[bytes]:
        """One row per organisation: every per-organisation array's slice, as float64."""
        names = sorted(name for name in self.arrays if _in_rows(name))
        n_orgs = len(self.orgs)
        matrix = np.hstack(
            [self.arrays[name].reshape(n_orgs, -1).astype(np.float64) for name in names]
        )
        return [matrix[i].tobytes() for i in range(n_orgs)]

    def _archive(
        self,
        arrays: dict[str, np.ndarray],
        meta: dict[str, Any] | None = None,
        compress: bool = True,
    ) -> bytes:
        buffer = io.BytesIO()
        encoded = np.frombuffer(json.dumps(meta or self.meta).encode(), dtype=np.uint8)
        (np.savez_compressed if compress else np.savez)(buffer, __meta__=encoded, **arrays)
        return buffer.getvalue()

    def refs_to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **{k: v for k, v in self.arrays.items() if k.startswith(REF)})
        return buffer.getvalue()

    def with_refs(self, data: bytes) -> Snapshot:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            refs = {name: archive[name] for name in archive.files}
        return Snapshot(self.meta, {**self.arrays, **refs}, self.loader)

    @classmethod
    def from_bytes(cls, data: bytes, loader: RowLoader | None = None) -> Snapshot:
        if data.startswith(_MAGIC):
            meta, arrays = _unpack(data)
            keys = (arrays.pop(_KEYS), arrays.pop(_ORDER))
            return cls(_LazyMeta(meta, arrays), arrays, loader, _sorted=keys)
        # A preview, or a publication head stored before the packed format (an .npz).
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        meta = json.loads(arrays.pop("__meta__").tobytes().decode())
        return cls(meta, arrays, loader)

    @staticmethod
    def head_array(data: bytes, name: str) -> np.ndarray:
        """One array of a stored head, without decoding its meta or the other arrays."""
        if data.startswith(_MAGIC):
            return _unpack(data, only=name)[1][name]
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            return archive[name]

    def _columns(self, flat: np.ndarray, n_rows: int) -> dict[str, np.ndarray]:
        """Stored rows (float64, one after another) as whole arrays, one per layout entry:
        a page of rows is cut once per array rather than once per array and row."""
        matrix = flat.reshape(n_rows, -1)
        columns = {}
        start = 0
        for name, shape, dtype in self.meta["layout"]:
            size = math.prod(shape)
            part = matrix[:, start : start + size]
            columns[name] = part.reshape(n_rows, *shape).astype(dtype)
            start += size
        return columns

    def rows(self, indices: Sequence[int]) -> list[dict[str, np.ndarray]]:
        """The per-organisation arrays of these organisations, reading only their rows."""
        if self.loader is None:
            names = [name for name in self.arrays if _in_rows(name)]
            return [{name: self.arrays[name][i] for name in names} for i in indices]
        missing = [i for i in indices if i not in self._rows]
        if missing:
            if len(self._rows) + len(missing) > _ROW_CACHE:
                self._rows.clear()
            found = self.loader(missing)
            order = list(found)
            if order:
                flat = np.frombuffer(b"".join(found[i] for i in order), dtype=np.float64)
                columns = self._columns(flat, len(order)).items()
                for r, i in enumerate(order):
                    self._rows[i] = {name: column[r] for name, column in columns}
        return [self._rows[i] for i in indices]

    def row(self, i: int) -> dict[str, np.ndarray]:
        return self.rows([i])[0]

    def complete(self) -> Snapshot:
        """This snapshot with every organisation's rows loaded into whole arrays."""
        if self.loader is not None:
            self._load_all()
        return self

    def _load_all(self) -> None:
        """Every row, assembled into whole arrays (a national chart needs them all)."""
        assert self.loader is not None
        n_orgs = len(self.orgs)
        raw = self.loader(range(n_orgs))
        flat = np.frombuffer(b"".join(raw[i] for i in range(n_orgs)), dtype=np.float64)
        self.arrays.update(self._columns(flat, n_orgs))
        self.loader = None

    # ----------------------------------------------------------------- shape

    @property
    def orgs(self) -> list[str]:
        return self.meta["orgs"]

    @property
    def measures(self) -> list[str]:
        return self.meta["measures"]

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.arrays and _in_rows(name):
            self.complete()
        return self.arrays[name]

    def field(self, key: str, i: int) -> Any:
        """One organisation's code, name, region or peer group (`meta[key][i]`), decoding
        no other organisation's."""
        if isinstance(self.meta, _LazyMeta):
            return self.meta.one(key, i)
        return self.meta[key][i]

    def index(self, code: str) -> int | None:
        if self._index is None and self._sorted is not None:
            keys, order = self._sorted
            wanted = code.encode()
            at = int(np.searchsorted(keys, wanted))
            return int(order[at]) if at < len(keys) and keys[at] == wanted else None
        if self._index is None:
            self._index = {c: i for i, c in enumerate(self.meta["orgs"])}
        return self._index.get(code)

    def measure_index(self, measure: str) -> int:
        return self.measures.index(measure)

    def labels(self, by: str) -> list[str]:
        return self.meta["groups"][by]

    def group_of(self, i: int, by: str) -> str:
        return self.labels(by)[int(self.arrays[f"gid.{by}"][i])]

    # ----------------------------------------------------------------- selections

    def select(
        self,
        *,
        region: str | None = None,
        peer_group: str | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> tuple[np.ndarray, int]:
        """Indices of the organisations matching the filters after code `after` (at most
        `limit`), and how many match the filters in all."""
        mask = np.ones(len(self.orgs), dtype=bool)
        for by, value in (("region", region), ("peer_group", peer_group)):
            if value is not None:
                labels = self.labels(by)
                if value not in labels:
                    return np.empty(0, dtype=np.int64), 0
                mask &= self.arrays[f"gid.{by}"] == labels.index(value)
        total = int(mask.sum())
        start = 0 if after is None else int(np.searchsorted(self._codes, after, "right"))
        chosen = np.flatnonzero(mask[start:]) + start
        if limit is not None:
            chosen = chosen[:limit]
        return chosen, total

    def matrix(self, audience: str, measure: str) -> dict[str, np.ndarray]:
        """One measure of one audience for every organisation: value, n, ci low/high, reason
        code (views of the stored arrays, nothing copied)."""
        j = self.measure_index(measure)
        return {
            name: self[f"{audience}.{name}"][:, j] for name in ("value", "n", "lo", "hi", "reason")
        }

    def group_position(self, by: str, value: str) -> int | None:
        labels = self.labels(by)
        return labels.index(value) if value in labels else None

    def members(self, by: str, value: str) -> np.ndarray:
        g = self.group_position(by, value)
        if g is None:
            return np.empty(0, dtype=np.int64)
        return np.flatnonzero(self.arrays[f"gid.{by}"] == g)

    def funnel(self, audience: str, measure: str, by: str, value: str) -> FunnelInputs:
        """The organisations of one group with their values and standard errors, and the
        group's target, phi and tau2 (scoring.md s.4), for drawing limits."""
        j = self.measure_index(measure)
        g = self.group_position(by, value)
        idx = self.members(by, value)
        stats = self.arrays[f"grp.{audience}.{by}.funnel"][g, j] if g is not None else None
        n = self[f"{audience}.n"][idx, j]
        value_ = self[f"{audience}.value"][idx, j]
        if audience == "combined":
            se = self["combined.se"][idx, j]
        else:
            sigma = stats[3] if stats is not None else np.nan
            with np.errstate(divide="ignore", invalid="ignore"):
                se = np.where(n > 0, sigma / np.sqrt(np.maximum(n, 1)), np.nan)
        codes = self[f"{audience}.band"][idx, GROUP_BYS.index(by), j]

        def num(x: float) -> float | None:
            return None if x is None or np.isnan(x) else float(x)

        return FunnelInputs(
            codes=[self.orgs[i] for i in idx],
            n=n,
            value=value_,
            se=se,
            bands=[BANDS[c] for c in codes],
            target=num(stats[0]) if stats is not None else None,
            phi=num(stats[1]) if stats is not None else None,
            tau2=num(stats[2]) if stats is not None else None,
        )


# A publication's head is read whole by every cold reader: stored as one JSON header (meta
# and a directory of arrays) followed by the arrays' raw bytes, so that reading it costs a
# JSON parse and a view per array. (An .npz parsed each array's header with
# `ast.literal_eval`: half of a cold read at national scale.)
_MAGIC = b"assessor-head/1\n"
_LENGTH = 8


def _pack(arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> bytes:
    directory = []
    chunks = []
    offset = 0
    for name, array in arrays.items():
        raw = np.ascontiguousarray(array).tobytes()
        directory.append([name, array.dtype.str, list(array.shape), offset, len(raw)])
        chunks.append(raw)
        offset += len(raw)
    header = json.dumps({"meta": meta, "arrays": directory}).encode()
    return b"".join([_MAGIC, len(header).to_bytes(_LENGTH, "little"), header, *chunks])


def _unpack(data: bytes, only: str | None = None) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    start = len(_MAGIC) + _LENGTH
    end = start + int.from_bytes(data[len(_MAGIC) : start], "little")
    header = json.loads(data[start:end])
    view = memoryview(data)
    arrays = {
        name: np.frombuffer(
            view, dtype=np.dtype(dtype), count=math.prod(shape), offset=end + offset
        ).reshape(shape)
        for name, dtype, shape, offset, _ in header["arrays"]
        if only is None or name == only
    }
    return header["meta"], arrays
