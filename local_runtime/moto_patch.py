"""A patch of moto for the local runtime: DynamoDB's TransactWriteItems without whole-table copies,
one lock around the emulated table operations, no record kept of every item and message ever
made, and a request dispatcher that does not list moto's package directory for every request.
Fits moto 5.2.5 only.

Why. moto 5.2.5's ``DynamoDBBackend.transact_write_items`` deep-copies every table a transaction
names, once per entry, before it applies anything, so that it can put the copies back if the
transaction is cancelled. A write then costs time and garbage in proportion to the whole table
(``make bench`` measures ``POST /webhooks``, a three-entry transaction, as the table grows). moto's server also runs every request on its own thread without a lock,
and its Query and Scan iterate the table's dict, which a concurrent first write to a partition
resizes ("dictionary changed size during iteration"); and a cancelled transaction restored its
copies over whatever another thread had written meanwhile. The local runtime runs functions side
by side, as Lambda does, so these races are real here.

What changes (nothing else):

- ``transact_write_items``: the same steps as moto's, in the same order, with the same errors and
  ``CancellationReasons``; but before an entry is applied, only the item it touches is copied
  (``copy.deepcopy`` of that one item, or a note that it did not exist), and each table's stream
  length is noted. A cancelled transaction puts those items back (or removes the ones it
  created) and truncates the stream to its noted length, in place; the table objects are never
  replaced, so a stream reader keeps reading the same stream. One difference no client can
  observe through DynamoDB's contract: an item a cancelled transaction had deleted comes back at
  the end of its partition's insertion order, so a Scan may list it in another place (DynamoDB
  promises no Scan order; Query sorts, in moto as in DynamoDB).
- moto keeps every instance of every model it ever made in a class-level list
  (``BaseModel.instances_tracked``, which only its ``/moto-api/data.json`` page and ``reset`` read):
  every DynamoDB item ever written or copied (each UpdateItem copies the item; each transaction
  copied whole tables), every SQS message and each copy ReceiveMessage makes of it, every stream
  record and shard iterator. None of them is ever freed, so memory grows with every request. The
  high-volume models (:data:`UNTRACKED_MODELS`) are not listed there; the rest still are.
- moto server's request dispatcher, which under one lock for every request lists moto's
  package directory and stats each entry (``moto.backends.list_of_moto_modules``, some 200
  system calls a request), gets that list once: it is fixed for an installed moto.
- A re-entrant lock, one per process, around ``get_item``, ``put_item``, ``update_item``,
  ``delete_item``, ``query``, ``scan``, ``describe_table`` and ``transact_write_items`` of the
  DynamoDB backend: a transaction is isolated from every other operation on the emulator, as
  DynamoDB's are, and no read iterates a table while a write changes its shape. (BatchWriteItem,
  TransactGetItems and BatchGetItem go through these one item at a time: each item is atomic.)

``apply()`` refuses, with :class:`MotoVersionMismatch`, on any moto but :data:`MOTO_VERSION`: the
replacement copies moto's method body, so another version needs this file read against its
``moto/dynamodb/models/__init__.py`` first. tests/integration/test_moto_patch.py pins that the
patched transactions answer exactly as moto's own do (all-or-nothing on a failed condition, the
same CancellationReasons, the same replays), that no table is copied, and that
requirements-run.txt pins this version.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable
from typing import Any

MOTO_VERSION = "5.2.5"

# The backend methods that read or write a table's items, run under one lock.
LOCKED_METHODS = (
    "get_item",
    "put_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "describe_table",
    "transact_write_items",
)

# (module, class): models made by the thousand, no longer kept in instances_tracked.
UNTRACKED_MODELS = (
    ("moto.dynamodb.models.dynamo_type", "Item"),
    ("moto.dynamodb.models.table", "StreamRecord"),
    ("moto.sqs.models", "Message"),
    ("moto.dynamodbstreams.models", "ShardIterator"),
)

_LOCK = threading.RLock()
_ORIGINALS: dict[str, Callable[..., Any]] = {}
_MARK = "_local_runtime_patched"


class _Untracked(list):  # type: ignore[type-arg]
    """An instances_tracked list that keeps nothing."""

    def append(self, item: Any) -> None:
        pass


def _models() -> list[type]:
    import importlib

    return [getattr(importlib.import_module(module), name) for module, name in UNTRACKED_MODELS]


class MotoVersionMismatch(RuntimeError):
    """The installed moto is not the version this patch was written against."""


def installed_moto_version() -> str:
    import moto

    return str(moto.__version__)


def apply(version: str | None = None) -> None:
    """Patch moto's DynamoDB backend in this process (idempotent). ``version``: the moto version
    to check against (default: the installed one); anything but MOTO_VERSION raises."""
    found = installed_moto_version() if version is None else version
    if found != MOTO_VERSION:
        raise MotoVersionMismatch(
            f"local_runtime/moto_patch.py fits moto {MOTO_VERSION}, but moto {found} is installed: the patch is NOT "
            f"applied. Compare DynamoDBBackend.transact_write_items in moto/dynamodb/models/__init__.py with the copy in "
            f"local_runtime/moto_patch.py, update the copy and MOTO_VERSION, and run tests/integration/test_moto_patch.py; "
            f"or install moto[server]=={MOTO_VERSION} (requirements-run.txt)."
        )
    from moto import backends
    from moto.dynamodb.models import DynamoDBBackend

    for model in _models():  # again on every call: moto's reset (mock_aws) gives each a new list
        model.instances_tracked = _Untracked()  # type: ignore[attr-defined]
    if getattr(DynamoDBBackend, _MARK, False):
        return
    for name in LOCKED_METHODS:
        original = getattr(DynamoDBBackend, name)
        _ORIGINALS[name] = original
        body = _transact_write_items if name == "transact_write_items" else original
        setattr(DynamoDBBackend, name, _locked(body))
    _ORIGINALS["list_of_moto_modules"] = backends.list_of_moto_modules
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment]
    setattr(DynamoDBBackend, _MARK, True)


def remove() -> None:
    """Undo :func:`apply` (for tests that compare with moto's own behaviour)."""
    from moto.dynamodb.models import DynamoDBBackend

    if not getattr(DynamoDBBackend, _MARK, False):
        return
    from moto import backends

    backends.list_of_moto_modules = _ORIGINALS.pop("list_of_moto_modules")  # type: ignore[assignment]
    for model in _models():
        model.instances_tracked = []  # type: ignore[attr-defined]
    for name, original in _ORIGINALS.items():
        setattr(DynamoDBBackend, name, original)
    _ORIGINALS.clear()
    setattr(DynamoDBBackend, _MARK, False)


def applied() -> bool:
    from moto.dynamodb.models import DynamoDBBackend

    return bool(getattr(DynamoDBBackend, _MARK, False))


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return method(*args, **kwargs)

    return locked


class _Undo:
    """What a transaction changed, to put back if it is cancelled: each touched item as it was
    (a deep copy of that one item) and each touched table's stream length."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self._items: list[tuple[Any, Any, Any, Any]] = []  # (table, hash key, range key, item before or None)
        self._streams: dict[int, tuple[Any, Any, int]] = {}  # id(table): (table, shard, length)

    def remember(self, table_name: str, key: dict[str, Any]) -> None:
        """Note the item ``key`` names before an entry changes it. Raises what moto's own
        ``get_item`` of the same key raises (no table, a key without the table's attributes)."""
        table = self._backend.get_table(table_name)
        hash_key, range_key = self._backend.get_keys_value(table, key)
        if id(table) not in self._streams:
            shard = table.stream_shard
            self._streams[id(table)] = (table, shard, len(shard.items) if shard is not None else 0)
        before = table.get_item(hash_key, range_key)
        self._items.append((table, hash_key, range_key, copy.deepcopy(before)))

    def rollback(self) -> None:
        for table, hash_key, range_key, before in reversed(self._items):
            if table.has_range_key:
                partition = table.items.get(hash_key)
                if before is not None:
                    table.items[hash_key][range_key] = before
                elif partition is not None:
                    partition.pop(range_key, None)
                    if not partition:
                        del table.items[hash_key]
            elif before is not None:
                table.items[hash_key] = before
            else:
                table.items.pop(hash_key, None)
        for table, shard, length in self._streams.values():
            if shard is not None and table.stream_shard is shard:
                del shard.items[length:]


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto 5.2.5's ``DynamoDBBackend.transact_write_items``, line for line, but for the backup:
    :class:`_Undo` instead of ``copy.deepcopy`` of every table named."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    undo = _Undo(self)  # moto: a deep copy of each table named, taken here

    target_items: set[tuple[str, str]] = set()

    def check_unicity(table_name: str, key: dict[str, Any]) -> None:
        item = (str(table_name), str(dict(sorted(key.items()))))
        if item in target_items:
            raise MultipleTransactionsException()
        target_items.add(item)

    errors: list[tuple[str, str, dict[str, Any]] | tuple[None, None, None]] = []
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        if len(list(item.keys())) > 1:
            raise TransactWriteSingleOpException

        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")

            table_name = op["TableName"]
            condition_expression = op.get("ConditionExpression")
            expression_attribute_names = op.get("ExpressionAttributeNames")
            expression_attribute_values = op.get("ExpressionAttributeValues")
            return_values_on_condition_check_failure = op.get("ReturnValuesOnConditionCheckFailure")

            if op_type == "Put":
                attrs = op["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]

            check_unicity(table_name, key)

            if op_type != "ConditionCheck":
                undo.remember(table_name, key)  # the one item this entry may change
            current = self.get_item(table_name, key)
            if condition_expression is not None:
                condition_op = get_filter_expression(
                    condition_expression,
                    expression_attribute_names,
                    expression_attribute_values,
                )
                if not condition_op.expr(current):
                    if return_values_on_condition_check_failure == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)

            if op_type == "Put":
                attrs = op["Item"]
                self.put_item(
                    table_name,
                    attrs,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Delete":
                self.delete_item(
                    table_name,
                    key,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            elif op_type == "Update":
                update_expression = op["UpdateExpression"]
                self.update_item(
                    table_name,
                    key,
                    update_expression=update_expression,
                    condition_expression=condition_expression,
                    expression_attribute_names=expression_attribute_names,
                    expression_attribute_values=expression_attribute_values,
                )
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            undo.rollback()  # moto: put the table copies back
            raise
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), original_item))  # type: ignore[arg-type]
        except Exception as e:  # noqa: BLE001 - as moto: the entry's failure becomes its cancellation reason
            errors.append((type(e).__name__, str(e), original_item))  # type: ignore[arg-type]

    if any(code is not None for code, _, _ in errors):
        undo.rollback()  # moto: put the table copies back
        raise TransactionCanceledException(errors)
